"""The direct path's transaction-and-block in one VM (ogkit/chain/seal_alone.py) against
eth-tester's `apply_transaction` + `mine_blocks(1)`: the same block (but for eth-tester's
random mixHash, hence its hash, and the clock), the same receipt, eth-tester's lookups."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_tester import PyEVMBackend

from ape_opengradient import direct

VARYING = {"mix_hash", "timestamp"}
"""eth-tester draws a random mixHash per sealed block; the pending header's time is the clock's."""


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


def sealed(chain: Any, action: Any) -> tuple[dict, list, list, dict]:
    """(header fields, encoded transactions, encoded receipts, eth-tester's receipt) of the
    block `action`'s transaction went into."""
    backend = chain.provider.evm_backend
    receipt = action()
    block = backend.chain.get_canonical_block_by_number(receipt.block_number)
    header = {k: v for k, v in block.header.as_dict().items() if k not in VARYING}
    txs = [rlp.encode(tx) for tx in block.transactions]
    receipts = [rlp.encode(r) for r in block.get_receipts(backend.chain.chaindb)]
    tx_hash = bytes.fromhex(receipt.txn_hash[2:])
    return header, txs, receipts, PyEVMBackend.get_transaction_receipt(backend, tx_hash)


@pytest.mark.parametrize("tx_type", [0, 2])
def test_block_is_eth_testers(chain, owner, probe, monkeypatch, tx_type):
    def action() -> Any:
        return probe.set(13, sender=owner, type=tx_type)

    snapshot = chain.snapshot()
    ours = sealed(chain, action)
    chain.restore(snapshot)
    with monkeypatch.context() as m:
        m.setattr(direct, "can_send_directly", lambda provider, txn: False)
        theirs = sealed(chain, action)
    for mine, eth_testers in zip(ours[:3], theirs[:3], strict=True):
        assert mine == eth_testers
    # the receipts differ in the block hash alone (the mixHash): compare the rest
    for receipt in (ours[3], theirs[3]):
        receipt.pop("block_hash")
        for log in receipt["logs"]:
            log.pop("block_hash")
    assert ours[3] == theirs[3]
    assert ours[0]["gas_used"] > 21_000 and len(ours[1]) == 1


@pytest.mark.parametrize("tx_type", [0, 2])
def test_kept_receipt_is_eth_testers(chain, owner, probe, tx_type):
    """The receipt served from the block in memory (its sender from the transaction as
    applied) equals eth-tester's lookup, for the last transaction and an earlier one, and
    after a revert takes the block away."""
    backend = chain.provider.evm_backend
    first = probe.set(1, sender=owner, type=tx_type)
    snapshot = chain.snapshot()
    second = probe.set(2, sender=owner, type=tx_type)
    for receipt in (first, second):
        tx_hash = bytes.fromhex(receipt.txn_hash[2:])
        assert backend.get_transaction_receipt(tx_hash) == PyEVMBackend.get_transaction_receipt(
            backend, tx_hash
        )
    assert "_last_sealed" in backend.__dict__
    chain.restore(snapshot)
    gone = bytes.fromhex(second.txn_hash[2:])
    from eth_tester.exceptions import TransactionNotFound

    with pytest.raises(TransactionNotFound):
        backend.get_transaction_receipt(gone)  # as eth-tester: the block was reverted


def test_contract_creation_receipt(chain, owner, project):
    backend = chain.provider.evm_backend
    deployed = owner.deploy(project.DirectProbe)
    receipt = chain.history[owner.address][-1]
    tx_hash = bytes.fromhex(receipt.txn_hash[2:])
    ours = backend.get_transaction_receipt(tx_hash)
    assert ours == PyEVMBackend.get_transaction_receipt(backend, tx_hash)
    assert ours["contract_address"] == bytes.fromhex(deployed.address[2:])
