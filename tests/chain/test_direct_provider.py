"""The in-process provider's direct path (ape_opengradient/direct.py) against Ape's own.

Every scenario runs twice from the same snapshot: once on the direct path (the default) and
once on Ape's `LocalProvider.send_transaction` (eth-tester's send and auto-mine, web3's
receipt, Ape's `eth_call` replay for the revert reason, a trace for debug logs). What an Ape
user sees must be the same: receipts, logs, events, gas, return values, errors and their
messages, debug logs. And the direct path must run the EVM once per transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import pytest
from ape.exceptions import ContractLogicError, TransactionError
from eth.vm.forks.frontier.state import FrontierState
from eth_tester import PyEVMBackend
from hexbytes import HexBytes  # web3's type, not Ape's subclass
from web3.exceptions import InvalidAddress

from ape_opengradient import direct


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


@contextmanager
def ape_path(monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(direct, "can_send_directly", lambda provider, txn: False)
        yield


@contextmanager
def counting_executions(monkeypatch: pytest.MonkeyPatch):
    """Counts EVM transaction executions (sends, `eth_call`s and trace replays alike)."""
    box = {"executions": 0}
    original = FrontierState.apply_transaction

    def counted(self: Any, transaction: Any) -> Any:
        box["executions"] += 1
        return original(self, transaction)

    with monkeypatch.context() as m:
        m.setattr(FrontierState, "apply_transaction", counted)
        yield box


def seen(receipt: Any, error: BaseException | None) -> dict[str, Any]:
    """Everything an Ape user reads off a sent transaction, minus the block hash and time
    (eth-tester draws a new mixHash per sealed block)."""
    logs = [{k: v for k, v in dict(log).items() if k != "blockHash"} for log in receipt.logs]
    out = {
        "hash": receipt.txn_hash,
        "status": receipt.status,
        "failed": receipt.failed,
        "block": receipt.block_number,
        "gas_used": receipt.gas_used,
        "gas_limit": receipt.gas_limit,
        "gas_price": receipt.gas_price,
        "nonce": receipt.nonce,
        "contract_address": receipt.contract_address,
        "logs": logs,
        "events": [
            (e.event_name, dict(e.event_arguments), e.log_index, e.transaction_index)
            for e in receipt.events
        ],
        "receipt_error": describe(receipt.error),
        "raised": describe(error),
        "debug_logs": receipt.debug_logs_typed,
        "type": type(receipt).__name__,
    }
    if not receipt.failed:
        out["return_value"] = receipt.return_value
    return out


def describe(error: BaseException | None) -> tuple | None:
    if error is None:
        return None
    inputs = getattr(error, "inputs", None)
    return (type(error).__name__, str(error), getattr(error, "revert_message", None), inputs)


def send(action: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return action(), None
    except (ContractLogicError, TransactionError) as exc:
        return exc.txn, exc


def both_paths(chain: Any, monkeypatch: pytest.MonkeyPatch, action: Callable[[], Any]):
    """(what the direct path shows, what Ape's path shows, (EVM executions on the direct
    path, on Ape's)) for `action`, each run from the same snapshot."""
    snapshot = chain.snapshot()
    with counting_executions(monkeypatch) as count:
        sent = send(action)
        assert isinstance(sent[0].debug_logs_typed, list)  # Ape asked it after sending
    fast = seen(*sent)
    chain.restore(snapshot)
    with ape_path(monkeypatch), counting_executions(monkeypatch) as apes:
        sent = send(action)
        assert isinstance(sent[0].debug_logs_typed, list)
    ape = seen(*sent)
    return fast, ape, (count["executions"], apes["executions"])


def test_success_identical_with_one_execution(chain, owner, probe, monkeypatch):
    fast, ape, executions = both_paths(chain, monkeypatch, lambda: probe.set(42, sender=owner))
    assert fast == ape
    assert fast["status"] == 1 and fast["raised"] is None
    assert fast["events"][0][:2] == ("Set", {"by": owner.address, "value": 42})
    assert fast["return_value"] == (84, "set")
    assert fast["debug_logs"] == []
    assert executions == (1, 2)  # no trace replay for debug logs


def test_legacy_transaction_identical(chain, owner, probe, monkeypatch):
    fast, ape, _ = both_paths(chain, monkeypatch, lambda: probe.set(5, sender=owner, type=0))
    assert fast == ape and fast["status"] == 1


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("failString", (), "DirectProbe: no"),
        ("failCustom", (3,), "code=3, why=custom"),
        ("failPanic", (0,), "Division or modulo division by zero"),
        ("failEmpty", (), "Transaction failed."),
        ("failInner", (), "DirectProbe: no"),
    ],
)
def test_revert_identical_without_replay(chain, owner, probe, monkeypatch, method, args, message):
    def action():
        return getattr(probe, method)(*args, sender=owner)

    fast, ape, executions = both_paths(chain, monkeypatch, action)
    assert fast == ape
    assert fast["status"] == 0 and fast["raised"] is not None
    assert message in fast["raised"][1]
    # the revert reason and the debug logs came from the transaction's own execution: Ape's
    # path replays it for each (its error enrichment may trace it, on both paths alike)
    assert executions[1] - executions[0] == 2


def test_revert_without_raising_identical(chain, owner, probe, monkeypatch):
    fast, ape, _ = both_paths(
        chain, monkeypatch, lambda: probe.failString(sender=owner, raise_on_revert=False)
    )
    assert fast == ape
    assert fast["raised"] is None and fast["receipt_error"][1] == "DirectProbe: no"


def test_out_of_gas_takes_apes_replay(chain, owner, probe, monkeypatch):
    fast, ape, executions = both_paths(
        chain, monkeypatch, lambda: probe.burn(sender=owner, gas=100_000)
    )
    assert fast == ape
    assert fast["status"] == 0 and fast["gas_used"] == 100_000
    assert executions == (2, 3)  # not a revert: Ape's replay on both; no debug-log trace here


def test_console_log_identical(chain, owner, probe, monkeypatch):
    fast, ape, _ = both_paths(chain, monkeypatch, lambda: probe.logs("hello", sender=owner))
    assert fast == ape
    assert fast["debug_logs"] == [("hello",)]


def test_console_log_in_reverted_frame_identical(chain, owner, probe, monkeypatch):
    fast, ape, _ = both_paths(chain, monkeypatch, lambda: probe.logsThenFail("inner", sender=owner))
    assert fast == ape
    assert fast["debug_logs"] == [("inner",)]


def test_deploy_identical(chain, owner, project, monkeypatch):
    def action():
        owner.deploy(project.DirectProbe)
        return chain.history[owner.address][-1]

    fast, ape, _ = both_paths(chain, monkeypatch, action)
    fast.pop("return_value"), ape.pop("return_value")
    assert fast == ape and fast["contract_address"] is not None


def test_invalid_nonce_identical(chain, owner, probe, monkeypatch):
    def action():
        return probe.set(1, sender=owner, nonce=owner.nonce + 5)

    snapshot = chain.snapshot()
    with pytest.raises(Exception) as fast:  # noqa: PT011 - compared with Ape's below
        action()
    chain.restore(snapshot)
    with ape_path(monkeypatch), pytest.raises(Exception) as ape:  # noqa: PT011
        action()
    assert (type(fast.value), str(fast.value)) == (type(ape.value), str(ape.value))
    assert "nonce" in str(fast.value).lower()


def test_receipt_is_web3s(chain, owner, probe):
    receipt = probe.set(9, sender=owner)
    provider = chain.provider
    ours = direct.formatted_receipt(provider.tester.ethereum_tester, receipt.txn_hash)
    assert ours == provider.web3.eth.get_transaction_receipt(receipt.txn_hash)
    assert [type(v) for v in ours.values()] == [
        type(v) for v in provider.web3.eth.get_transaction_receipt(receipt.txn_hash).values()
    ]


def test_code_is_web3s(chain, probe, owner):
    provider = chain.provider
    for address in (probe.address, owner.address):
        assert provider.get_code(address) == provider.web3.eth.get_code(address)
        assert type(provider.get_code(address)) is HexBytes
    assert provider.get_code(probe.address, block_id=0) == HexBytes(b"")
    with pytest.raises(InvalidAddress, match="only accepts checksum addresses"):
        provider.get_code(probe.address.lower())  # refused as web3 refuses it


def test_outcome_follows_snapshot_revert(chain, owner, probe):
    snapshot = chain.snapshot()
    receipt = probe.logs("gone", sender=owner)
    assert chain.provider.calls_console(receipt.txn_hash) is True
    chain.restore(snapshot)
    assert chain.provider.calls_console(receipt.txn_hash) is None  # its block is gone
    again = probe.set(1, sender=owner)  # same nonce, same block number, another tx
    assert chain.provider.calls_console(again.txn_hash) is False
    assert again.debug_logs_typed == []


def test_manual_mining_takes_apes_path(chain, owner, probe):
    provider = chain.provider
    provider.auto_mine = False
    try:
        assert not direct.can_send_directly(provider, probe.set.as_transaction(1, sender=owner))
        receipt = probe.set(11, sender=owner)
        assert receipt.block_number == -1  # pending, as on Ape's chain
        chain.mine()
    finally:
        provider.auto_mine = True
    assert probe.value() == 11


def test_head_reads_are_eth_testers(chain, owner, probe):
    """Nonce, balance, code, gas limit and base fee read at the head (kept state, headers
    alone) equal eth-tester's reads through whole blocks, as the head moves and comes back."""
    provider = chain.provider
    backend = provider.evm_backend
    sender, code_at = HexBytes(owner.address), HexBytes(probe.address)

    def ours():
        return (
            backend.get_nonce(sender),
            backend.get_balance(sender),
            backend.get_code(code_at),
            provider.max_gas,
            provider.base_fee,
        )

    def eth_testers():
        return (
            PyEVMBackend.get_nonce(backend, sender),
            PyEVMBackend.get_balance(backend, sender),
            PyEVMBackend.get_code(backend, code_at),
            PyEVMBackend.get_block_by_number(backend, "latest")["gas_limit"],
            PyEVMBackend.get_block_by_number(backend, "pending")["base_fee_per_gas"],
        )

    seen_nonces = []
    snapshot = chain.snapshot()
    for step in (lambda: None, lambda: probe.set(3, sender=owner), lambda: chain.mine(3)):
        step()
        assert ours() == eth_testers()
        seen_nonces.append(ours()[0])
    chain.restore(snapshot)
    assert ours() == eth_testers() and ours()[0] == seen_nonces[0]
    assert seen_nonces[1] == seen_nonces[0] + 1


def test_default_transaction_type_is_ethereums(chain, owner, probe, monkeypatch):
    """The ecosystem's shortcut answers what Ethereum's property answers, on each network
    and after a project changes a network's setting; a tx then has that type."""
    from ape import networks
    from ape_ethereum.ecosystem import Ethereum

    ecosystem = networks.get_ecosystem("opengradient")
    ethereums = Ethereum.default_transaction_type.fget
    assert ecosystem.default_transaction_type == ethereums(ecosystem)
    assert ecosystem.default_transaction_type.value == 2  # the local network's
    network = ecosystem.get_network("local")
    legacy = network.config.model_copy(update={"default_transaction_type": 0})
    configs = type(network).config

    def config(self):
        ours = self.name == "local" and self.ecosystem.name == "opengradient"
        return legacy if ours else configs.fget(self)

    monkeypatch.setattr(type(network), "config", property(config))  # a project's setting
    assert ecosystem.default_transaction_type == ethereums(ecosystem)
    assert ecosystem.default_transaction_type.value == 0
    assert probe.set(2, sender=owner).transaction.type == 0


def test_sealing_skips_the_debug_formatting(chain):
    """Every host seals with `_finalize_block` (VM.finalize_block minus a debug line that
    formats the whole block per seal), the in-process chain too."""
    from ogkit.chain.assembly import _finalize_block

    vm = chain.provider.evm_backend.chain.get_vm()
    assert type(vm).finalize_block is _finalize_block


def test_snapshot_revert_is_eth_testers_without_reexecution(chain, owner, probe, monkeypatch):
    """A revert makes the snapshot block the head again, as eth-tester's does, without
    re-executing that block's transactions; the chain goes on from there identically."""
    backend = chain.provider.evm_backend
    probe.set(1, sender=owner)  # the snapshot block has a transaction to re-execute
    snapshot = chain.snapshot()

    def after_revert(revert):
        probe.set(2, sender=owner)
        probe.set(3, sender=owner)
        with counting_executions(monkeypatch) as count:
            revert(snapshot)
        head, pending = backend.chain.get_canonical_head(), backend.chain.header
        seen = (head.hash, pending.block_number, pending.parent_hash, pending.gas_limit)
        reads = (probe.value(), owner.nonce, owner.balance)
        receipt = probe.set(4, sender=owner)
        return seen, reads, (receipt.block_number, receipt.gas_used, probe.value()), count

    ours = after_revert(chain.provider.restore)  # Ape's restore, on our backend
    chain.provider.restore(snapshot)
    block_of = chain.provider.snapshot_ids.block_of  # eth-tester's snapshot: the block hash
    theirs = after_revert(lambda s: PyEVMBackend.revert_to_snapshot(backend, block_of(s)))
    assert ours[:3] == theirs[:3]
    assert ours[1][0] == 1 and ours[2][2] == 4
    assert ours[3]["executions"] == 0 and theirs[3]["executions"] == 1


def test_revert_to_genesis_and_unknown_snapshot():
    """Outside Ape (`new_tester`): back to block 0, and an unknown snapshot is refused as
    eth-tester refuses it."""
    from eth.exceptions import HeaderNotFound

    from ogkit.chain.tester import new_tester

    tester = new_tester()
    genesis = tester.take_snapshot()
    sender, receiver = tester.get_accounts()[:2]
    tx = {"from": sender, "to": receiver, "value": 1, "gas": 21000}
    tester.send_transaction(tx)
    tester.revert_to_snapshot(genesis)
    assert tester.get_block_by_number("latest")["number"] == 0
    assert tester.get_balance(receiver) == tester.get_balance(sender)
    tester.send_transaction(tx)
    assert tester.get_block_by_number("latest")["number"] == 1
    with pytest.raises(HeaderNotFound):
        tester.backend.revert_to_snapshot(b"\x01" * 32)


def test_call_max_fee_is_apes(chain, owner, probe):
    """The max fee Ape puts on an `eth_call`, from headers, equals Ape's from whole blocks."""
    from ape_test.provider import LocalProvider

    provider = chain.provider
    for step in (lambda: None, lambda: probe.set(3, sender=owner), lambda: chain.mine(2)):
        step()
        for block_id in (None, "latest", "pending", 0, 1):
            ours = provider._get_call_max_fee(block_id)
            assert ours == LocalProvider._get_call_max_fee(provider, block_id)
    assert probe.value() == 3  # a call still answers


def test_local_network_config_is_apes(chain, owner, probe, monkeypatch):
    """The local network's config, validated once, reads as Ape's validated-per-read one,
    a new object each time, and follows a change of the project's settings."""
    from ape.api.networks import NetworkAPI

    network = chain.provider.network
    apes = NetworkAPI.config.fget
    assert network.config.model_dump() == apes(network).model_dump()
    raw = network.ecosystem_config.get("local")
    if not isinstance(raw, dict):
        # Once Ape has compiled in this session it holds the settings as a `PluginConfig`,
        # which Ape hands out as is (no validation per read): then ours is Ape's own path.
        assert network.config is apes(network) is raw
        return
    assert network.config is not network.config
    network.config.required_confirmations = 5  # a copy: Ape's next read does not see it
    assert network.required_confirmations == 0
    monkeypatch.setitem(raw, "base_fee_multiplier", 1.5)
    assert network.base_fee_multiplier == 1.5 == apes(network).base_fee_multiplier
    assert network.config.model_dump() == apes(network).model_dump()
