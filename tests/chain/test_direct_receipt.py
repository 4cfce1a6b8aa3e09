"""The direct path's receipt conversion (ape_opengradient/direct_receipt.py) against web3's:
`web3.eth.get_transaction_receipt` through the middleware, and the same endpoint and
formatters without it (`direct.web3_formatted_receipt`). Equal values of equal types, keys in
the same order, nested alike, for receipts of every shape the direct path gives: legacy,
access-list and EIP-1559 transactions, a deployment, a revert, several logs (one from the
0xF4 precompile), an earlier transaction, an unknown one; and web3's functions for a receipt
of another shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from eth_tester import exceptions as tester_errors
from web3.datastructures import AttributeDict

from ape_opengradient import direct, direct_receipt
from ape_opengradient.direct_receipt import RECEIPT_FIELDS, plain_receipt
from precompiles.fixed_point import to_number

FEATURES = tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0])


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


def shape(value: Any) -> Any:
    """`value` with every type and key order spelled out, for an exact comparison."""
    if isinstance(value, Mapping):
        return (type(value), [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value), [shape(v) for v in value])
    return (type(value), value)


def assert_is_web3s(provider: Any, txn_hash: str) -> AttributeDict:
    tester = provider.tester.ethereum_tester
    ours = direct.formatted_receipt(tester, txn_hash)
    through_web3 = provider.web3.eth.get_transaction_receipt(txn_hash)
    assert shape(ours) == shape(direct.web3_formatted_receipt(tester, txn_hash))
    assert shape(ours) == shape(through_web3)
    assert ours == through_web3
    raw = direct_receipt.tester_receipt(tester, txn_hash)
    assert plain_receipt(raw) is not None  # taken the one-step way
    return ours


@pytest.mark.parametrize("tx_type", [0, 1, 2])
def test_transaction_receipt(chain, owner, probe, tx_type):
    receipt = probe.set(5, sender=owner, type=tx_type)
    ours = assert_is_web3s(chain.provider, receipt.txn_hash)
    assert ours["type"] == tx_type
    assert len(ours["logs"]) == 1 and len(ours["logs"][0]["topics"]) == 2


def test_deployment_receipt(chain, owner, project):
    deployed = owner.deploy(project.DirectProbe)
    ours = assert_is_web3s(chain.provider, deployed.txn_hash)
    assert ours["contractAddress"] == deployed.address
    assert ours["to"] == ""  # eth-tester's creation: an empty `to`


def test_reverted_receipt(chain, owner, probe):
    receipt = probe.failString(sender=owner, raise_on_revert=False)
    ours = assert_is_web3s(chain.provider, receipt.txn_hash)
    assert ours["status"] == 0 and ours["logs"] == [] and ours["contractAddress"] is None


def test_receipt_with_precompile_log(chain, pool, admin):
    receipt = pool.assess(FEATURES, sender=admin)
    ours = assert_is_web3s(chain.provider, receipt.txn_hash)
    assert len(ours["logs"]) >= 2
    assert [log["logIndex"] for log in ours["logs"]] == list(range(len(ours["logs"])))


def test_earlier_receipt_and_unknown(chain, owner, probe):
    first = probe.set(1, sender=owner)
    probe.set(2, sender=owner)
    assert_is_web3s(chain.provider, first.txn_hash)  # not the last sealed: eth-tester's lookup
    tester = chain.provider.tester.ethereum_tester
    unknown = "0x" + "ab" * 32
    assert direct.formatted_receipt(tester, unknown) is None
    assert direct.web3_formatted_receipt(tester, unknown) is None


def test_bad_hash_refused_as_eth_tester(chain):
    tester = chain.provider.tester.ethereum_tester
    with pytest.raises(tester_errors.ValidationError) as ours:
        direct.formatted_receipt(tester, "0x1234")
    with pytest.raises(tester_errors.ValidationError) as theirs:
        direct.web3_formatted_receipt(tester, "0x1234")
    assert str(ours.value) == str(theirs.value)


def test_other_shapes_take_web3s_functions(chain, owner, probe, monkeypatch):
    """A field the one-step conversion does not know, or a value of another shape: None, and
    `formatted_receipt` answers with web3's functions, as before."""
    receipt = probe.set(3, sender=owner)
    tester = chain.provider.tester.ethereum_tester
    raw = direct_receipt.tester_receipt(tester, receipt.txn_hash)
    assert tuple(raw) == RECEIPT_FIELDS
    assert plain_receipt({**raw, "blob_gas_used": 0}) is None
    assert plain_receipt({**raw, "block_hash": None}) is None
    log = {**raw["logs"][0], "transaction_index": b"\x00"}
    assert plain_receipt({**raw, "logs": [log]}) is None
    assert plain_receipt({**raw, "to": None}) is None

    monkeypatch.setattr(direct, "plain_receipt", lambda raw: None)
    assert shape(direct.formatted_receipt(tester, receipt.txn_hash)) == shape(
        chain.provider.web3.eth.get_transaction_receipt(receipt.txn_hash)
    )
