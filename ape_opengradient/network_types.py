"""Network types of the `opengradient` ecosystem (not `networks.py`: that name would shadow
the plugin hook `networks` on the package). `local` is the AI chain, `alpha` the testnet."""

from __future__ import annotations

import copy
from collections.abc import Iterator

from ape.api.config import PluginConfig
from ape.api.networks import LOCAL_NETWORK_NAME, NetworkAPI, create_network_type

from ape_opengradient.ecosystem import NETWORKS


class LocalNetwork(NetworkAPI):
    """Ape's local network, its `config` validated once per configuration: Ape validates the
    same settings into a new `PluginConfig` (pydantic-settings) on every read, three reads
    per transaction. Each read still gets its own copy, as from Ape."""

    @property
    def config(self) -> PluginConfig:
        raw = self.ecosystem_config.get(self.name)
        if self.name != LOCAL_NETWORK_NAME or not isinstance(raw, dict):
            return super().config
        kept = self.__dict__.get("_kept_config")
        if kept is None or kept[0] != raw:
            kept = (copy.deepcopy(raw), PluginConfig.model_validate(raw))
            self.__dict__["_kept_config"] = kept
        return kept[1].model_copy(deep=True)


def network_types() -> Iterator[tuple[str, str, type[NetworkAPI]]]:
    for name, (network_id, chain_id) in NETWORKS.items():
        yield "opengradient", name, create_network_type(chain_id, network_id)
    # Local providers report their own chain id.
    yield "opengradient", LOCAL_NETWORK_NAME, LocalNetwork
