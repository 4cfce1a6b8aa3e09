"""An automined transaction and its block in one VM (the in-process chain's direct path).

eth-tester auto-mines a transaction in two steps: `MiningChain.apply_transaction` (a VM,
the transaction, the state persisted and its root computed, the pending block rebuilt) and
`mine_blocks(1)` (two more VMs to check the fork, the pending block decoded back from the
database for its blob gas, another VM and the block decoded again to seal, the state
persisted again). `apply_and_seal` does what those do, once: the same VM runs the
transaction and seals the block with eth-tester's sealing arguments (a fresh random mixHash,
the zero coinbase, the blob gas of its transactions), py-evm's VM and chain validation, and
the same block, receipt and next pending header result (ogkit node's miner does the same,
ogkit/node/chain/mining.py `_seal_alone`).

Only for a transaction alone in its block: the pending block must be empty and nothing may
join it before the seal (the backend checks that no scheduled run is due)."""

from __future__ import annotations

import os
from typing import Any

from eth.exceptions import HeaderNotFound
from eth.vm.forks import ParisVM, PragueVM
from eth_tester.backends.pyevm.main import get_total_blob_gas
from eth_tester.backends.pyevm.serializers import (
    BLOB_TX_TYPE,
    _extract_transaction_type,
    serialize_transaction_receipt,
)

from ogkit.chain.scheduling import ZERO_ADDRESS, pending_has_txs


def can_seal_alone(chain: Any) -> bool:
    return not pending_has_txs(chain)


def apply_and_seal(
    chain: Any, tx: Any, coinbase: bytes = ZERO_ADDRESS
) -> tuple[Any, Any, Any, Any]:
    """(the sealed block, the transaction's receipt, its computation, the state the block
    ends with: persisted, not to be written to); raises py-evm's `ValidationError` for a
    transaction the chain refuses, leaving the chain as it was."""
    vm = chain.get_vm(chain.header)
    base = vm.get_block()
    receipt, computation = vm.apply_transaction(base.header, tx)
    header = vm.add_receipt_to_header(base.header, receipt)
    block = vm.set_block_transactions_and_withdrawals(base, header, (tx,), (receipt,))
    mine_kwargs: dict[str, Any] = {"coinbase": coinbase}  # eth-tester's `mine_blocks`
    if isinstance(vm, ParisVM):
        mine_kwargs["mix_hash"] = os.urandom(32)
    if isinstance(vm, PragueVM):
        mine_kwargs["blob_gas_used"] = get_total_blob_gas(tx)
    mined = vm.mine_block(block, **mine_kwargs).block
    chain.validate_block(mined)
    chain.chaindb.persist_block(mined)
    chain.header = chain.create_header_from_parent(mined.header)
    return mined, receipt, computation, vm.state


def kept_receipt(chain: Any, sealed: tuple[Any, tuple, tuple], tx_hash: bytes) -> dict | None:
    """eth-tester's `get_transaction_receipt(tx_hash)` answered from a block sealed here,
    `sealed` = (block, its receipts, its transactions as applied), while that block is
    canonical; None: ask eth-tester. (eth-tester finds it by decoding blocks from the newest
    down and recovers the sender; the applied transaction has it already: the block holds
    copies, and a legacy transaction's copy would recover it again.)"""
    block, receipts, applied = sealed
    found = [i for i, tx in enumerate(applied) if tx.hash == tx_hash]
    if not found or block.number >= chain.header.block_number:
        return None
    try:
        if chain.chaindb.get_canonical_block_hash(block.number) != block.hash:
            return None  # reverted (and perhaps mined again)
    except HeaderNotFound:
        return None
    index = found[0]
    tx = applied[index]
    if _extract_transaction_type(tx) == BLOB_TX_TYPE:
        return None  # its receipt needs the VM
    return serialize_transaction_receipt(block, receipts, tx, index, False, None)


__all__ = ["apply_and_seal", "can_seal_alone", "kept_receipt"]
