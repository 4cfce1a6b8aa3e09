"""Network types of the `opengradient` ecosystem (not `networks.py`: that name would shadow
the plugin hook `networks` on the package). `local` is the AI chain, `alpha` the testnet."""

from __future__ import annotations

from collections.abc import Iterator

from ape.api.networks import LOCAL_NETWORK_NAME, NetworkAPI, create_network_type

from ape_opengradient.ecosystem import NETWORKS


def network_types() -> Iterator[tuple[str, str, type[NetworkAPI]]]:
    for name, (network_id, chain_id) in NETWORKS.items():
        yield "opengradient", name, create_network_type(chain_id, network_id)
    # Local providers report their own chain id.
    yield "opengradient", LOCAL_NETWORK_NAME, NetworkAPI
