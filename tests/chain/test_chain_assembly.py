"""One assembly (ogkit/chain/assembly.py): every host runs the same precompile map, the
replay variant records nothing, one chain lock, one scheduling adapter, one backend mixin."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eth.vm.forks.prague.computation import PragueComputation

from ogkit.chain.assembly import (
    ChainServices,
    mining_chain_class,
    precompile_map,
    replay_services,
    vm_configuration,
)
from ogkit.chain.locking import ChainLock
from ogkit.chain.replay import ReplayBackend
from ogkit.chain.scheduling import ScheduledRuns
from ogkit.chain.tester import AIChainBackend, new_tester
from ogkit.inference import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles.addresses import (
    OG_HISTORICAL_ADDRESS,
    OG_INFERENCE_ADDRESS,
    TEE_VERIFIER_ADDRESS,
)

AI_ADDRESSES = {OG_INFERENCE_ADDRESS, OG_HISTORICAL_ADDRESS, TEE_VERIFIER_ADDRESS}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> ChainServices:
    return ChainServices(InferenceEngine(ModelStore(tmp_path_factory.mktemp("models"))))


def _precompiles(vm: Any) -> set:
    return set(vm._state_class.computation_class._precompiles)


def test_every_host_runs_the_same_precompile_map(services: ChainServices) -> None:
    expected = set(PragueComputation._precompiles) | AI_ADDRESSES
    assert set(precompile_map(services)) == expected
    ((_, in_process),) = vm_configuration(services)
    ((_, node),) = mining_chain_class(1337, services).vm_configuration
    assert _precompiles(in_process) == _precompiles(node) == expected
    assert mining_chain_class(10744, services).chain_id == 10744
    tester = new_tester(services=services)
    assert _precompiles(tester.backend.chain.get_vm()) == expected


class _Engine:
    model_runs = 0

    def resolve(self, model_id: str) -> str:
        return model_id

    def infer(self, *args: Any) -> str:
        return "cached"

    def record(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a replay must record nothing")


def test_the_replay_variant_reads_the_cache_and_records_nothing(services: ChainServices) -> None:
    engine = _Engine()
    replay = ReplayBackend(engine)
    replayed = replay_services(services, replay)
    assert replayed.inference is replay and replayed.llm is None
    assert replayed.price_feed is services.price_feed
    assert set(precompile_map(replayed)) == set(precompile_map(services))
    assert replay.infer("m", 0, {}, "id", None) == "cached"
    replay.record("m", 0, {}, {}, "id", None)
    assert (replay.cache_hits, replay.model_runs) == (1, 0)


def test_the_chain_lock_runs_its_hook_on_every_acquisition() -> None:
    lock = ChainLock()
    seen: list[bool] = []
    lock.on_acquire = lambda: seen.append(lock.rlock._is_owned())  # type: ignore[attr-defined]
    with lock, lock:
        pass
    assert seen == [True, True]

    def failing() -> None:
        raise RuntimeError("owed block")

    lock.on_acquire = failing
    with pytest.raises(RuntimeError), lock:
        pass
    lock.on_acquire = None
    taken = threading.Thread(target=lambda: lock.rlock.acquire(blocking=False) or seen.append(0))
    taken.start()
    taken.join()
    assert seen == [True, True]  # the other thread got the lock: the failed hook released it


def test_a_backend_and_its_tester_share_one_lock_and_note_use(services: ChainServices) -> None:
    tester = new_tester(services=services)
    backend = tester.backend
    assert tester._chain_lock is backend.chain_lock
    tester.mine_blocks(1)
    assert 0 <= backend.idle_seconds() < 60
    hooked: list[int] = []
    backend.chain_lock.on_acquire = lambda: hooked.append(1)
    tester.get_block_by_number("latest")
    assert hooked  # the per-call wrapper runs the hook as `with lock` does


def test_subclassing_an_ai_backend_does_not_lock_twice(services: ChainServices) -> None:
    class Sub(AIChainBackend):
        pass

    assert Sub.mine_blocks is AIChainBackend.mine_blocks
    assert getattr(Sub.mine_blocks, "chain_locked", False)
    assert not hasattr(Sub.mine_blocks.__wrapped__, "chain_locked")


class _BrokenHost:
    chain_lock = ChainLock()
    run_ledger = None

    @property
    def chain(self) -> Any:
        raise RuntimeError("no chain")

    def include_transaction(self, tx: Any) -> None:
        pass


def test_a_broken_scheduler_never_fails_the_block(capsys: pytest.CaptureFixture) -> None:
    assert ScheduledRuns(_BrokenHost()).before_seal() == []
    assert "scheduled workflow runs failed" in capsys.readouterr().err


def test_an_ape_backend_keeps_the_ai_chain_across_a_reset(services: ChainServices) -> None:
    from ape_test.config import ApeTestConfig

    from ape_opengradient.provider import AIEVMBackend

    config = ApeTestConfig()
    backend = AIEVMBackend(config, 1337, services)
    accounts = list(backend.account_keys)
    assert len(accounts) == config.number_of_accounts
    backend.mine_blocks(2)
    backend.reset_to_genesis()
    assert backend.chain.get_canonical_head().block_number == 0
    assert list(backend.account_keys) == accounts
    assert backend.chain.chain_id == 1337
    assert AI_ADDRESSES <= _precompiles(backend.chain.get_vm())


def test_the_node_is_a_chain_host_on_the_same_assembly() -> None:
    from ogkit.node import NodeChain, NodeConfig

    node = NodeChain(NodeConfig())
    try:
        assert node.chain_lock is node.lock
        assert node.workflows.host is node and node.run_ledger.store is node.db
        assert callable(node.include_transaction)
        assert node.lock.on_acquire == node.miner.settle
        assert node.miner.before_block == node.workflows.before_seal
        assert AI_ADDRESSES <= _precompiles(node.chain.get_vm())
    finally:
        node.close()


def test_a_trace_through_0xf5_reads_the_cache_and_records_nothing(tmp_path) -> None:
    """The replay map is the whole map: 0xF5's inference replays too (it used to record)."""
    from eth_abi import encode

    from og_examples.models import build_examples
    from ogkit.chain.callframes import TraceOptions
    from ogkit.node import NodeChain, NodeConfig
    from ogkit.node.rpc.params import TxParams

    store = ModelStore(tmp_path / "store")
    store.add(build_examples(tmp_path / "examples")["volatility"], "volatility")

    query = ("ETH", "USD", 10, 60, 0, [2, 0, 1, 3])
    data = bytes.fromhex("a192a0f9") + encode(  # runInferenceOnPriceFeed
        ["string", "string", "(string,string,uint32,uint32,uint8,uint8[])"],
        ["volatility", "open_high_low_close", query],
    )
    node = NodeChain(NodeConfig(model_store=store.root))
    try:
        sender = node.accounts[0]
        tx = TxParams(sender=sender, to=OG_HISTORICAL_ADDRESS, data=data, gas=3_000_000)
        tx_hash = node.send_transaction(tx)
        _, block, index = node.find_transaction(tx_hash)
        assert node.receipts(block)[index].state_root == b"\x01"
        recorded: list[tuple] = []
        node.engine.record = lambda *args, **kwargs: recorded.append(args)
        frames = node.trace_transaction(tx_hash, TraceOptions(only_top_call=True, with_log=False))
        assert "error" not in frames and recorded == []
        stats = node.inference_stats()
        assert (stats["traceCacheHits"], stats["traceModelRuns"]) == (1, 0)
    finally:
        node.close()
