"""The payment chain: what `ogkit node --payments` runs in place of the AI chain.

A local stand-in for Base, where x402 payments settle: chain id 8453 (the only network SDK 1.1.4
pays on), plain Prague (no AI precompiles: nothing here calls them), and a genesis holding the
dev accounts' ETH and OPG, the facilitator's ETH, and the payment contracts at their Base
addresses: OPG (constructed there by ogkit/chain/predeploy.py, balances in storage), Permit2
(Uniswap's runtime), the x402 `upto` proxy and Multicall3's batch reads. Everything else is the
node's own: JSON-RPC, mining, `--data-dir` persistence, dev methods.

Signatures made for this chain are valid on Base too (same chain id, same contract addresses and
EIP-712 domains): sign only with dev keys here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from eth_abi import encode

from ogkit.chain.assembly import mining_chain_class
from ogkit.chain.fork import AIVM, AIComputation, AIState
from ogkit.chain.predeploy import predeploy_all
from ogkit.contracts import load
from ogkit.payments.contracts import (
    FACILITATOR_KEY,
    MULTICALL3_ADDRESS,
    OPG_ADDRESS,
    PAYMENT_CHAIN_ID,
    PERMIT2_ADDRESS,
    UPTO_PROXY_ADDRESS,
    canonical,
)

if TYPE_CHECKING:
    from eth.chains.base import MiningChain

    from ogkit.chain.assembly import ChainServices
    from ogkit.node.chain.config import NodeConfig

DEFAULT_OPG_BALANCE = 1_000_000 * 10**18
"""Each dev account's OPG at genesis."""
FACILITATOR_BALANCE = 1_000 * 10**18
"""The facilitator's ETH at genesis: it pays the settlement transactions' gas."""
PROFILE_NAME = "payments"


def payment_vm_class() -> type[AIVM]:
    """Prague with only Prague's precompiles; the fork's other rules (the call budget's
    deadline, EIP-7623's floor as a validity rule) as on the AI chain."""
    from eth.vm.forks.prague.computation import PragueComputation

    computation = AIComputation.configure(
        __name__="PaymentComputation", _precompiles=dict(PragueComputation._precompiles)
    )
    state = AIState.configure(__name__="PaymentState", computation_class=computation)
    return AIVM.configure(__name__="PaymentVM", _state_class=state, fork="prague")


@dataclass(frozen=True)
class PaymentChainProfile:
    """`NodeConfig.profile` for the payment chain."""

    opg_balance: int = DEFAULT_OPG_BALANCE
    name: str = PROFILE_NAME

    def chain_class(self, chain_id: int, services: ChainServices) -> type[MiningChain]:
        return mining_chain_class(chain_id, services, vms=((0, payment_vm_class()),))

    def genesis_extras(self, keys: Any) -> dict[bytes, dict]:
        """Everything besides the dev accounts' ETH (the node adds that)."""
        holders = [key.public_key.to_canonical_address() for key in keys]
        return payment_genesis(holders, self.opg_balance)


def payment_genesis(
    holders: list[bytes], opg_balance: int, chain_id: int = PAYMENT_CHAIN_ID
) -> dict[bytes, dict]:
    """OPG (first holder may mint), Permit2, the upto proxy, Multicall3 and the funded
    facilitator account, in py-evm's genesis-state shape."""
    from eth_keys import keys

    minter = "0x" + holders[0].hex() if holders else "0x" + "00" * 20
    opg_args = encode(
        ["address", "address[]", "uint256[]"],
        [minter, ["0x" + h.hex() for h in holders], [opg_balance] * len(holders)],
    )
    built = predeploy_all(
        {
            canonical(OPG_ADDRESS): load("OPGToken").bytecode + opg_args,
            canonical(UPTO_PROXY_ADDRESS): load("X402UptoPermit2Proxy").bytecode,
            canonical(MULTICALL3_ADDRESS): load("Multicall3Lite").bytecode,
        },
        chain_id=chain_id,
    )
    permit2 = {"balance": 0, "nonce": 1, "code": load("Permit2").runtime, "storage": {}}
    facilitator = keys.PrivateKey(FACILITATOR_KEY).public_key.to_canonical_address()
    return built | {
        canonical(PERMIT2_ADDRESS): permit2,
        facilitator: {"balance": FACILITATOR_BALANCE, "nonce": 0, "code": b"", "storage": {}},
    }


def payment_config(config: NodeConfig, opg_balance: int | None = None) -> NodeConfig:
    """`config` made a payment chain's: chain id 8453 unless given, no settlement service
    (nothing to settle here), dev keys allowed (it is a local stand-in by definition)."""
    profile = PaymentChainProfile(opg_balance if opg_balance is not None else DEFAULT_OPG_BALANCE)
    return replace(
        config,
        profile=profile,
        chain_id=config.chain_id if config.chain_id is not None else PAYMENT_CHAIN_ID,
        settlement=False,
        allow_dev_keys=True,
    )
