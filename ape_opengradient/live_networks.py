"""OpenGradient's public networks as Ape networks: name, RPC and the chain id we expect.

The ids are the best published guesses (see reference/opengradient-interface.md §2); the
provider compares them with the node's `eth_chainId` on connect, so a wrong guess or a moved
RPC shows at once instead of as rejected signatures later.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CONNECT_TIMEOUT_S = 10.0
"""How long connecting may wait for the node's first answer (`eth_chainId`)."""


@dataclass(frozen=True)
class LiveNetwork:
    name: str
    rpc: str
    chain_id: int
    about: str


ALPHA = LiveNetwork(
    name="alpha",
    rpc="https://eth-devnet.opengradient.ai",
    chain_id=10744,
    about="alpha testnet: 0xF4/0xF5 inference, the inference hub and scheduler",
)
OGEVM = LiveNetwork(
    name="ogevm",
    rpc="https://ogevmdevnet.opengradient.ai",
    chain_id=10740,
    about="OG EVM devnet, the explorer's and SDK's default RPC since early 2026: "
    "TEE registry and LLM settlement, no 0xF4",
)

LIVE_NETWORKS: dict[str, LiveNetwork] = {net.name: net for net in (ALPHA, OGEVM)}
