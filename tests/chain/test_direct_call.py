"""The in-process provider's direct `eth_call` (ape_opengradient/direct_call.py) and the head
reads behind it (ogkit/chain/calls.py, backend.py) against Ape's own path.

Every call runs on both paths: the direct one (the default) and Ape's `LocalProvider.send_call`
through `web3.eth.call` (web3's middleware, eth-tester). What an Ape user sees must be the
same: return values, errors (type, message, revert data, custom errors decoded), `ape.reverts`,
what eth-tester is asked. (0xF4 in a direct call: test_pipe.py; sends: test_direct_provider.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import ape
import pytest
from ape.api.providers import CallResult
from ape.exceptions import ContractLogicError, UnknownSnapshotError
from ape_ethereum.provider import Web3Provider
from ape_test.provider import LocalProvider
from eth_tester import PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3.manager import RequestManager

from ape_opengradient import direct_call

TX_FIELDS = ("to", "value", "data", "type", "max_fee_per_gas", "max_priority_fee_per_gas")


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


@contextmanager
def web3_requests(monkeypatch: pytest.MonkeyPatch):
    """The methods sent through web3's request manager (its middleware) meanwhile."""
    sent: list[str] = []
    original = RequestManager.request_blocking

    def counted(self: Any, method: str, params: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(method)
        return original(self, method, params, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(RequestManager, "request_blocking", counted)
        yield sent


@contextmanager
def apes_path(monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(direct_call, "can_call_directly", lambda block_id, state: False)
        yield


def outcome(action: Callable[[], Any]) -> tuple:
    try:
        return ("returned", action())
    except ContractLogicError as exc:
        base = exc.base_err
        return (
            type(exc).__name__,
            str(exc),
            exc.revert_message,
            getattr(exc, "inputs", None),
            type(base).__name__,
            str(base),
        )


def both_paths(monkeypatch, action: Callable[[], Any]) -> tuple[tuple, tuple, list[str]]:
    """(what the direct path shows, what Ape's path shows, web3 requests of the direct one)."""
    with web3_requests(monkeypatch) as sent:
        fast = outcome(action)
    with apes_path(monkeypatch), web3_requests(monkeypatch) as apes:
        ape_seen = outcome(action)
    assert "eth_call" in apes  # Ape's path did go through web3
    return fast, ape_seen, sent


def test_return_values_identical_without_web3(chain, owner, probe, monkeypatch):
    probe.set(21, sender=owner)
    for action, expected in (
        (lambda: probe.value(), 21),
        (lambda: probe.set.call(5), (10, "set")),
        (lambda: probe.set.call(6, sender=owner), (12, "set")),
    ):
        fast, ape_seen, sent = both_paths(monkeypatch, action)
        assert fast == ape_seen
        assert tuple(fast[1]) == expected if isinstance(expected, tuple) else fast[1] == expected
        assert sent == []  # no request through web3 at all


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("failString", (), ("ContractLogicError", "DirectProbe: no")),
        ("failCustom", (3,), ("Nope", "code=3, why=custom")),
        ("failPanic", (0,), ("DivisionByZeroError", "Division or modulo division by zero")),
        ("failEmpty", (), ("ContractLogicError", "Transaction failed.")),
        ("failInner", (), ("ContractLogicError", "DirectProbe: no")),
    ],
)
def test_revert_identical_without_web3(probe, monkeypatch, method, args, expected):
    fast, ape_seen, sent = both_paths(monkeypatch, lambda: getattr(probe, method).call(*args))
    assert fast == ape_seen
    assert sent == []
    assert fast[:2] == expected
    if method == "failCustom":
        assert fast[3] == {"code": 3, "why": "custom"}


def test_ape_reverts_match_calls(probe):
    with ape.reverts("DirectProbe: no"):
        probe.failString.call()
    with ape.reverts(probe.Nope):
        probe.failCustom.call(4)
    with ape.reverts(probe.Nope, code=5, why="custom"):
        probe.failCustom.call(5)


def test_revert_without_raising_identical(chain, probe, monkeypatch):
    txn = probe.failString.as_transaction()

    def action() -> tuple:
        result = chain.provider.send_call(txn, raise_on_revert=False)
        assert isinstance(result, CallResult)
        revert = result.revert
        return (type(revert).__name__, str(revert), revert.revert_message, bytes(result.returndata))

    fast, ape_seen, sent = both_paths(monkeypatch, action)
    assert fast == ape_seen and sent == []
    assert fast[1][:3] == ("ContractLogicError", "DirectProbe: no", "DirectProbe: no")


def test_eth_tester_asked_the_same(chain, owner, probe, monkeypatch):
    """The transaction and block eth-tester's `call` gets are the same on both paths: web3's
    formatting, its default sender (the first account) and its chain id check, reproduced."""
    tester = chain.provider.tester.ethereum_tester
    asked: list[tuple] = []
    original = tester.call

    def spy(transaction: dict, block_number: Any = "latest") -> Any:
        asked.append((dict(transaction), block_number))
        return original(transaction, block_number)

    monkeypatch.setattr(tester, "call", spy)
    for action in (lambda: probe.value(), lambda: probe.set.call(1, sender=owner)):
        both_paths(monkeypatch, action)
    assert len(asked) == 4
    assert asked[0] == asked[1] and asked[2] == asked[3]
    assert asked[0][0]["from"] == chain.provider.web3.eth.accounts[0]  # web3's guess
    assert set(TX_FIELDS) <= set(asked[0][0]) and "chain_id" not in asked[0][0]


def test_plain_requests_are_web3s(chain, owner, probe, monkeypatch):
    """For calls of Ape's usual shape the request is built without web3's formatter chain;
    it equals what that chain builds. Other shapes take the chain."""
    tester = chain.provider.tester
    base = probe.set.as_transaction(5).model_dump(by_alias=True, mode="json", exclude_none=True)
    base.pop("gas")
    plain_shapes = [
        base,
        {**base, "from": owner.address},
        {**base, "nonce": 3, "value": 10**18, "maxPriorityFeePerGas": 7},
        {k: v for k, v in base.items() if k not in ("to", "chainId")},
        {**base, "data": "0x"},
    ]
    other_shapes = [
        {**base, "data": base["data"].upper().replace("0X", "0x")},
        {**base, "accessList": [{"address": probe.address, "storageKeys": []}]},
        {**base, "gasPrice": 1},
        {**base, "value": "0x1"},
        {**base, "to": probe.address.lower()},
        {**base, "from": None},
    ]
    for shape in plain_shapes:
        assert direct_call.plain_request(shape, tester.chain_id) is not None
        fast = direct_call.tester_request(dict(shape), tester)
        with monkeypatch.context() as m:
            m.setattr(direct_call, "plain_request", lambda transaction, chain_id: None)
            assert fast == direct_call.tester_request(dict(shape), tester)
    for shape in other_shapes:
        assert direct_call.plain_request(shape, tester.chain_id) is None
    assert direct_call.plain_request({**base, "chainId": 5}, tester.chain_id) is None


def test_other_blocks_and_overrides_take_web3(chain, owner, probe, monkeypatch):
    provider = chain.provider
    probe.set(7, sender=owner)
    before = chain.blocks.height
    probe.set(8, sender=owner)
    txn = probe.value.as_transaction()
    with web3_requests(monkeypatch) as sent:
        old = provider.send_call(txn, block_id=before)
    assert sent.count("eth_call") == 1 and int.from_bytes(old, "big") == 7
    with web3_requests(monkeypatch) as sent:
        latest = provider.send_call(txn, block_id="latest")
    assert sent == [] and int.from_bytes(latest, "big") == 8
    assert not direct_call.can_call_directly(None, {probe.address: {"balance": 1}})


def test_wrong_chain_id_refused_as_web3_refuses(chain, probe, monkeypatch):
    txn = probe.value.as_transaction()
    txn.chain_id = 5
    fast, ape_seen = [], []
    for box, path in ((fast, None), (ape_seen, apes_path)):
        with path(monkeypatch) if path else web3_requests(monkeypatch):
            with pytest.raises(Exception) as err:  # noqa: PT011 - compared below
                chain.provider.send_call(txn)
        box.append((type(err.value), str(err.value)))
    assert fast == ape_seen and "chain ID 5" in fast[0][1]


def test_backend_call_is_eth_testers(chain, owner, probe):
    """`AIBackendMixin.call` at "latest" (no blocks built) equals `PyEVMBackend.call`: output,
    and the exception for a revert, as the head moves."""
    backend = chain.provider.evm_backend
    sender = bytes.fromhex(owner.address[2:])
    to = bytes.fromhex(probe.address[2:])

    def both(data: bytes) -> tuple:
        seen = []
        for call in (backend.call, lambda tx: PyEVMBackend.call(backend, tx)):
            try:
                seen.append(call({"from": sender, "to": to, "data": data}))
            except TransactionFailed as exc:
                seen.append((type(exc), exc.args))
        return tuple(seen)

    value = probe.value.as_transaction().data
    fail = probe.failCustom.as_transaction(9).data
    for step in (lambda: None, lambda: probe.set(3, sender=owner), lambda: chain.mine(2)):
        step()
        for data in (value, fail, probe.failString.as_transaction().data):
            ours, theirs = both(bytes(data))
            assert ours == theirs


def test_latest_block_snapshot_and_restore_are_apes(chain, owner, probe):
    provider = chain.provider
    backend = provider.evm_backend
    probe.set(4, sender=owner)
    assert provider.get_block("latest") == Web3Provider.get_block(provider, "latest")
    assert backend.get_block_by_number("latest", False) == PyEVMBackend.get_block_by_number(
        backend, "latest", False
    )
    assert backend.take_snapshot() == PyEVMBackend.take_snapshot(backend)
    snapshot = chain.snapshot()
    probe.set(5, sender=owner)
    chain.restore(snapshot)  # Ape's restore (the chain manager's, with its history), ours below
    assert probe.value() == 4 and backend.take_snapshot() == provider.snapshot_ids.block_of(
        snapshot
    )
    provider.restore(snapshot)  # already there: nothing to do, as Ape
    with pytest.raises(UnknownSnapshotError):
        provider.restore(b"\x01" * 32)
    with pytest.raises(UnknownSnapshotError):
        LocalProvider.restore(provider, b"\x01" * 32)
