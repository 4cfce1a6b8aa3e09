"""The node's py-evm chain class: the AI fork (0xF4 bound to the node's inference engine)
from genesis, no proof of work, the gas limit kept from block to block, and PREVRANDAO
fixed when a pending block is made."""

from __future__ import annotations

import os

from eth.abc import BlockAndMetaWitness, BlockAPI
from eth.chains.base import MiningChain
from eth.consensus import ConsensusApplier, NoProofConsensus
from eth.vm.base import VM
from eth.vm.interrupt import EVMMissingData

from ogkit.chain.fork import ai_vm_configuration
from ogkit.inference import InferenceEngine
from precompiles.llm_backend import LLMBackend
from precompiles.price_feed import PriceFeed


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


def make_chain_class(
    chain_id: int,
    engine: InferenceEngine,
    price_feed: PriceFeed | None = None,
    llm_backend: LLMBackend | None = None,
) -> type[MiningChain]:
    vm_config = tuple(
        (number, vm_class.configure(__name__=vm_class.__name__, finalize_block=_finalize_block))
        for number, vm_class in ConsensusApplier(NoProofConsensus).amend_vm_configuration(
            ai_vm_configuration(engine, price_feed=price_feed, llm_backend=llm_backend)
        )
    )

    class AINodeChain(MiningChain):
        vm_configuration = vm_config

        def create_header_from_parent(self, parent_header, **header_params):
            header_params.setdefault("gas_limit", parent_header.gas_limit)
            # PREVRANDAO is fixed when the pending block is made, so the transactions run
            # with the mixHash the sealed block shows (and a trace re-executes with it).
            header_params.setdefault("mix_hash", os.urandom(32))
            return super().create_header_from_parent(parent_header, **header_params)

    AINodeChain.chain_id = chain_id
    return AINodeChain
