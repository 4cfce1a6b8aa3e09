"""The one place the AI chain is put together: from one bundle of services, the precompile
map, the VM (fork.py's classes bound to it) and the chain classes every host runs.

Hosts: Ape's in-process provider and `new_tester` (eth-tester backends with
`backend.AIBackendMixin`, which build their chain class in eth-tester from
`vm_configuration`), and `ogkit node` (`mining_chain_class`). Each plugs the chain-side
services (scheduled runs, the lock) in through `host.ChainHost`. A trace re-executes with
the same map bound to `replay_services` (0xF4 reads the result cache, records nothing).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from eth.abc import BlockAndMetaWitness, BlockAPI, ComputationAPI
from eth.chains.base import MiningChain
from eth.consensus import ConsensusApplier, NoProofConsensus
from eth.vm.base import VM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.interrupt import EVMMissingData

from ogkit.chain.bn254 import NATIVE_BN254
from ogkit.chain.fork import AIVM, AIComputation, AIState
from ogkit.chain.precompile_adapter import as_py_evm
from ogkit.chain.replay import ReplayBackend
from precompiles.addresses import (
    OG_HISTORICAL_ADDRESS,
    OG_INFERENCE_ADDRESS,
    TEE_VERIFIER_ADDRESS,
)
from precompiles.historical.precompile import make_og_historical
from precompiles.host import LLMBackend, ModelBackend, PriceFeedBackend
from precompiles.inference.precompile import make_og_inference
from precompiles.tee.precompile import make_tee_verifier

PrecompileMap = dict[Any, Callable[[ComputationAPI], ComputationAPI]]
VMConfiguration = tuple[tuple[int, type[AIVM]], ...]


@dataclass(frozen=True)
class ChainServices:
    """What the precompiles reach outside the EVM. Nothing in the chain reads a wall clock
    (0x900 and 0xF5 use the block time; block timestamps are each host's business)."""

    inference: ModelBackend
    """0xF4's models, and 0xF5's inference on price data."""
    llm: LLMBackend | None = None
    """0xF4's LLM functions; None makes them revert."""
    price_feed: PriceFeedBackend | None = None
    """What 0xF5 serves; None: a fresh `ogkit.pricefeed.default_price_feed()` per chain."""
    tee_root_pem: bytes | None = None
    """The root 0x900 trusts for an empty `rootCertificate` (og-evm: AWS Nitro's); None:
    the project's local dev root, for development only."""

    def forget_after(self, block_number: int) -> None:
        """Records follow the chain back: every service that keeps records per block (the
        record book behind 0xF4, the price feed's signed records) drops those of blocks
        after `block_number`. Every host calls this when a revert or reset removes blocks."""
        for service in (self.inference, self.llm, self.price_feed):
            forget = getattr(service, "forget_after", None)
            if forget is not None:
                forget(block_number)


def precompile_map(services: ChainServices) -> PrecompileMap:
    """THE precompile map: Prague's (its BN254 ones, 0x06–0x08, computed by revm:
    `ogkit.chain.bn254`), plus 0xF4, 0xF5 and 0x900 bound to `services`."""
    from ogkit.tee.dev_ca import dev_root_pem

    tee_root = services.tee_root_pem if services.tee_root_pem is not None else dev_root_pem()
    price_feed = services.price_feed
    if price_feed is None:
        from ogkit.pricefeed import default_price_feed

        price_feed = default_price_feed()
    backend = services.inference
    return {
        **PragueComputation._precompiles,
        **NATIVE_BN254,
        OG_INFERENCE_ADDRESS: as_py_evm(make_og_inference(backend, services.llm), "OGInference"),
        TEE_VERIFIER_ADDRESS: as_py_evm(make_tee_verifier(tee_root), "TEEVerifier"),
        OG_HISTORICAL_ADDRESS: as_py_evm(make_og_historical(price_feed, backend), "OGHistorical"),
    }


def vm_class(services: ChainServices) -> type[AIVM]:
    """The AI fork with its precompiles bound to `services`; blocks sealed without
    `VM.finalize_block`'s debug line (it formats the whole block whether logging is on or not)."""
    computation = AIComputation.configure(
        __name__="AIComputation", _precompiles=precompile_map(services)
    )
    state = AIState.configure(__name__="AIState", computation_class=computation)
    return AIVM.configure(__name__="AIVM", _state_class=state, finalize_block=_finalize_block)


def vm_configuration(services: ChainServices) -> VMConfiguration:
    """`vm_configuration` for py-evm or eth-tester: the AI fork from genesis on."""
    return ((0, vm_class(services)),)


def replay_services(services: ChainServices, replay: ReplayBackend) -> ChainServices:
    """The services a re-execution (a trace) runs with: inference through `replay`."""
    return replace(services, inference=replay, llm=replay if services.llm is not None else None)


def _finalize_block(self: VM, block: BlockAPI) -> BlockAndMetaWitness:
    """`VM.finalize_block` without its debug line, which formats the whole block (and the
    witness) on every call, whether debug logging is on or not."""
    if block.number > 0:
        snapshot = self.state.snapshot()
        try:
            self._assign_block_rewards(block)
        except EVMMissingData:
            self.state.revert(snapshot)
            raise
        else:
            self.state.commit(snapshot)
    meta_witness = self.state.persist()
    final_block = block.copy(header=block.header.copy(state_root=self.state.state_root))
    return BlockAndMetaWitness(final_block, meta_witness)


class AIMiningChain(MiningChain):
    """The node's chain: no proof of work, the gas limit kept from block to block, and
    PREVRANDAO fixed when a pending block is made."""

    def create_header_from_parent(self, parent_header, **header_params):  # noqa: ANN001, ANN201
        header_params.setdefault("gas_limit", parent_header.gas_limit)
        # PREVRANDAO is fixed when the pending block is made, so the transactions run
        # with the mixHash the sealed block shows (and a trace re-executes with it).
        header_params.setdefault("mix_hash", os.urandom(32))
        return super().create_header_from_parent(parent_header, **header_params)


def mining_chain_class(
    chain_id: int, services: ChainServices, vms: VMConfiguration | None = None
) -> type[MiningChain]:
    """The py-evm chain class `ogkit node` runs: the AI fork from genesis on (or `vms`: the
    payment chain's plain Prague, ogkit/payments/chain.py)."""
    vm_config = tuple(
        (number, vm.configure(__name__=vm.__name__, finalize_block=_finalize_block))
        for number, vm in ConsensusApplier(NoProofConsensus).amend_vm_configuration(
            vms or vm_configuration(services)
        )
    )
    return AIMiningChain.configure(
        __name__="AINodeChain", vm_configuration=vm_config, chain_id=chain_id
    )


__all__ = [
    "AIMiningChain",
    "ChainServices",
    "PrecompileMap",
    "ReplayBackend",
    "mining_chain_class",
    "precompile_map",
    "replay_services",
    "vm_class",
    "vm_configuration",
]
