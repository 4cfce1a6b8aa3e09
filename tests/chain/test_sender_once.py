"""A legacy transaction's signature check keeping the sender it recovers
(ogkit/chain/sender_once.py) against py-evm's own check and sender recovery: the same sender,
the same errors for bad signatures, one recovery instead of two; and on the direct path, a
legacy transaction recovered twice in all (Ape's check of its signature, py-evm's check),
not four times, with eth-tester's receipt."""

from __future__ import annotations

import pytest
import rlp
from call_log import calls_of
from eth._utils.transactions import extract_transaction_sender, validate_transaction_signature
from eth.vm.forks import PragueVM
from eth_account import Account
from eth_keys.datatypes import Signature
from eth_tester import PyEVMBackend
from eth_utils import ValidationError

from ogkit.chain.sender_once import keep_checked_sender

BUILDER = PragueVM.get_transaction_builder()
KEY = "0x" + "42" * 32
TO = "0x" + "11" * 20
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
R_INDEX = 7
"""A legacy transaction's fields: nonce, gasPrice, gas, to, value, data, v, r, s."""


def legacy_raw(chain_id: int | None = 1337, nonce: int = 0, key: str = KEY) -> bytes:
    tx = {"nonce": nonce, "gasPrice": 10**9, "gas": 50_000, "to": TO, "value": 1, "data": b"\x01"}
    if chain_id is not None:
        tx["chainId"] = chain_id  # EIP-155; without: a pre-155 signature (v = 27 / 28)
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def with_field(raw: bytes, index: int, value: int) -> bytes:
    fields = rlp.decode(raw)
    fields[index] = value.to_bytes(32, "big").lstrip(b"\0")
    return rlp.encode(fields)


@pytest.fixture
def recoveries(monkeypatch) -> list[bytes]:
    """Every public key recovery (eth-keys' ecrecover), by message hash."""
    return calls_of(monkeypatch, Signature, "recover_public_key_from_msg_hash")


@pytest.mark.parametrize("chain_id", [1337, None])
def test_sender_is_py_evms(chain_id):
    raw = legacy_raw(chain_id)
    tx = BUILDER.decode(raw)
    keep_checked_sender(tx)
    tx.check_signature_validity()
    assert tx.__dict__["sender"] == extract_transaction_sender(BUILDER.decode(raw))
    assert tx.sender == bytes.fromhex(Account.from_key(KEY).address[2:])
    assert "check_signature_validity" not in tx.__dict__  # once, then py-evm's own again
    tx.check_signature_validity()  # py-evm's: still passes


def test_one_recovery_for_check_and_sender(recoveries):
    raw = legacy_raw()
    plain = BUILDER.decode(raw)
    plain.check_signature_validity()
    assert plain.sender
    assert len(recoveries) == 2  # py-evm: the check, then the sender, of the same message
    recoveries.clear()
    kept = BUILDER.decode(raw)
    keep_checked_sender(kept)
    kept.validate()  # py-evm's validation, which runs the check
    assert kept.sender == plain.sender
    assert len(recoveries) == 1


@pytest.mark.parametrize("r", [5, SECP256K1_N - 1])
def test_bad_signature_fails_as_py_evms(r):
    """An r that is no curve point's x: py-evm's `Bad Signature: ...`, word for word."""
    raw = with_field(legacy_raw(), R_INDEX, r)
    with pytest.raises(ValidationError) as theirs:
        validate_transaction_signature(BUILDER.decode(raw))
    tx = BUILDER.decode(raw)
    keep_checked_sender(tx)
    with pytest.raises(ValidationError) as ours:
        tx.check_signature_validity()
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).startswith("Bad Signature: ")
    assert "sender" not in tx.__dict__


def test_other_signature_recovers_the_same_other_sender():
    """A signature valid for another message (r = 1): the check passes, as py-evm's, and
    the sender is the one py-evm recovers (not the signer's)."""
    raw = with_field(legacy_raw(), R_INDEX, 1)
    tx = BUILDER.decode(raw)
    keep_checked_sender(tx)
    tx.check_signature_validity()
    theirs = extract_transaction_sender(BUILDER.decode(raw))
    assert tx.sender == theirs
    assert theirs != bytes.fromhex(Account.from_key(KEY).address[2:])


def test_typed_transaction_left_alone():
    signed = Account.sign_transaction(
        {
            "type": 2,
            "nonce": 0,
            "maxFeePerGas": 10**9,
            "maxPriorityFeePerGas": 0,
            "gas": 50_000,
            "to": TO,
            "value": 1,
            "chainId": 1337,
        },
        KEY,
    )
    tx = BUILDER.decode(bytes(signed.raw_transaction))
    keep_checked_sender(tx)
    assert "check_signature_validity" not in tx.__dict__
    assert "check_signature_validity" not in tx._inner.__dict__


@pytest.mark.parametrize("r", [5, 1])
def test_direct_path_refuses_bad_signature_as_eth_tester(chain, r):
    """A raw legacy transaction with a bad signature (no key: `Bad Signature`; another
    sender, unfunded: its balance error), sent on the direct path and through eth-tester's
    `send_raw_transaction`: the same error, nothing mined."""
    backend = chain.provider.evm_backend
    chain_id = chain.provider.chain_id
    raw = with_field(legacy_raw(chain_id), R_INDEX, r)
    head = backend.chain.get_canonical_head().hash
    with pytest.raises(ValidationError) as theirs:
        PyEVMBackend.send_raw_transaction(backend, raw)
    with pytest.raises(ValidationError) as ours:
        backend.send_raw_and_mine(raw)
    assert str(ours.value) == str(theirs.value)
    assert backend.chain.get_canonical_head().hash == head


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


@pytest.mark.parametrize(("tx_type", "expected"), [(0, 2), (2, 2)])
def test_recoveries_per_direct_transaction(chain, owner, probe, recoveries, tx_type, expected):
    """Legacy: Ape's check of the signature, py-evm's check (its key kept as the sender);
    type 2: Ape's check, py-evm's sender. Before: 4 for a legacy transaction (the sender
    recovered again for validation and again for the receipt)."""
    receipt = probe.set(7, sender=owner, type=tx_type)
    assert receipt.transaction.type == tx_type
    assert len(recoveries) == expected


@pytest.mark.parametrize("tx_type", [0, 2])
def test_direct_receipt_is_eth_testers(chain, owner, probe, tx_type):
    backend = chain.provider.evm_backend
    receipt = probe.set(11, sender=owner, type=tx_type)
    tx_hash = bytes.fromhex(receipt.txn_hash[2:])
    ours = backend.get_transaction_receipt(tx_hash)
    assert ours == PyEVMBackend.get_transaction_receipt(backend, tx_hash)
    assert ours["from"] == bytes.fromhex(owner.address[2:])
    assert ours["type"] == tx_type
    assert receipt.sender == owner.address
