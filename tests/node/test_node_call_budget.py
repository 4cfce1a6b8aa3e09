"""Call budgets (issue 12, item 3): `--rpc-evm-timeout` and `--rpc-gas-cap`, as geth's.

An infinite loop put in place with `anvil_setCode` used to hold the node's chain lock, and so
every other request, for as long as its gas lasted (9.7 s for an eth_call, 11.7 s for an
estimate), and `anvil_mine 10000` for 15.8 s. Now a call, an estimate or a trace stops at the
deadline with geth's error, a cheap read answers meanwhile, a long `anvil_mine` lets other
requests in between its slices, and the gas cap bounds what a call may burn.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from node_support import NodeProcess, RpcFailure

TIMEOUT = 0.5
TIMEOUT_ERROR = "execution aborted (timeout = 500ms)"
GAS_CAP = 100_000
LOOP = "0x" + "1" * 40
LOOP_CODE = "0x60015f555b600456"
"""PUSH1 1, PUSH0, SSTORE (slot 0 := 1), then JUMPDEST; PUSH1 4; JUMP: forever."""
SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
SLACK = 1.5
"""What a loaded 2-core machine may add to a deadline: thread switches, HTTP, the log."""


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store):
    process = NodeProcess(
        tmp_path_factory.mktemp("budget"),
        "--rpc-evm-timeout",
        str(TIMEOUT),
        "--no-settlement",
        store=model_store.root,
    ).start()
    process.rpc("anvil_setCode", LOOP, LOOP_CODE)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def capped(tmp_path_factory, model_store):
    process = NodeProcess(
        tmp_path_factory.mktemp("capped"),
        "--rpc-gas-cap",
        str(GAS_CAP),
        "--rpc-evm-timeout",
        "0",
        "--no-settlement",
        store=model_store.root,
    ).start()
    process.rpc("anvil_setCode", LOOP, LOOP_CODE)
    yield process
    process.stop()


def while_running(
    node: NodeProcess, method: str, *params: Any, reads: Callable[[], Any]
) -> tuple[RpcFailure, float, list[float]]:
    """Run `method` and, from another thread, `reads()` once it is under way: (the error
    `method` got, how long it took, how long each read took)."""
    started = threading.Event()
    outcome: dict[str, Any] = {}

    def long_request() -> None:
        began = time.monotonic()
        started.set()
        try:
            outcome["result"] = node.rpc(method, *params)
        except RpcFailure as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=long_request)
    thread.start()
    started.wait()
    time.sleep(0.15)  # the long request is running by now
    latencies = []
    while thread.is_alive():
        began = time.monotonic()
        reads()
        latencies.append(time.monotonic() - began)
        time.sleep(0.01)
    thread.join()
    assert "error" in outcome, f"{method} returned {outcome.get('result')!r}"
    return outcome["error"], outcome["seconds"], latencies


def block_number(node: NodeProcess) -> int:
    return int(node.rpc("eth_blockNumber"), 16)


class KeepAlive:
    """One keep-alive connection: a connection's next request is read only once the node's
    thread for it is done with the last one, so a wait after answering shows here too."""

    def __init__(self, node: NodeProcess) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
        self.expected_number = int(self.rpc("eth_blockNumber"), 16)
        self.expected_balance = int(self.rpc("eth_getBalance", SENDER, "latest"), 16)
        self.nonce = int(self.rpc("eth_getTransactionCount", SENDER, "latest"), 16)
        self.turn = 0

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        self.connection.request("POST", "/", body, {"Content-Type": "application/json"})
        return json.loads(self.connection.getresponse().read())["result"]

    def cheap_read(self) -> None:
        """The next of what wallets poll, in turn: none of it may queue behind a long call."""
        self.turn += 1
        if self.turn % 4 == 0:
            assert self.rpc("eth_chainId") == "0x539"
        elif self.turn % 4 == 1:
            assert int(self.rpc("eth_blockNumber"), 16) == self.expected_number
        elif self.turn % 4 == 2:
            balance = self.rpc("eth_getBalance", SENDER, "latest")
            assert int(balance, 16) == self.expected_balance
        else:
            nonce = self.rpc("eth_getTransactionCount", SENDER, "pending")
            assert int(nonce, 16) == self.nonce

    def close(self) -> None:
        self.connection.close()


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("eth_call", ["latest"]),
        ("eth_estimateGas", ["latest"]),
        ("debug_traceCall", ["latest", {"tracer": "callTracer"}]),
    ],
)
def test_a_looping_call_stops_at_the_deadline_and_reads_go_on(node, method, extra):
    number = block_number(node)
    client = KeepAlive(node)
    try:
        error, seconds, latencies = while_running(
            node, method, {"from": SENDER, "to": LOOP}, *extra, reads=client.cheap_read
        )
    finally:
        client.close()
    assert (error.code, error.message) == (-32000, TIMEOUT_ERROR)
    assert TIMEOUT <= seconds < TIMEOUT + SLACK
    assert len(latencies) >= 4, latencies  # each of the four reads at least once
    assert max(latencies) < TIMEOUT / 2, latencies  # never queued behind the call
    # nothing of the aborted run stayed: no block, slot 0 still empty; the node serves on
    assert block_number(node) == number
    assert node.rpc("eth_getStorageAt", LOOP, "0x0", "latest") == "0x" + "00" * 32


def test_the_node_serves_normally_after_timeouts(node):
    # a bounded run of the same loop: out of gas well before the deadline, as before
    with pytest.raises(RpcFailure) as failed:
        node.rpc("eth_call", {"from": SENDER, "to": LOOP, "gas": hex(50_000)}, "latest")
    assert failed.value.message.startswith("execution failed: OutOfGas")
    tx = {"from": SENDER, "to": "0x" + "22" * 20, "value": "0x1"}
    assert node.rpc("eth_estimateGas", tx, "latest") == hex(21_000)
    receipt_hash = node.rpc("eth_sendTransaction", tx)
    receipt = node.rpc("eth_getTransactionReceipt", receipt_hash)
    assert receipt["status"] == "0x1"
    assert node.rpc("eth_getBalance", "0x" + "22" * 20, "latest") == "0x1"


def test_trace_transaction_is_bounded_too(node):
    """A mined transaction that loops until its gas runs out (5M gas: over a second of
    py-evm) re-executes under the same deadline."""
    tx = {"from": SENDER, "to": LOOP, "gas": hex(5_000_000)}
    tx_hash = node.rpc("eth_sendTransaction", tx, timeout=120)
    assert node.rpc("eth_getTransactionReceipt", tx_hash)["status"] == "0x0"
    error, seconds, latencies = while_running(
        node,
        "debug_traceTransaction",
        tx_hash,
        {"tracer": "callTracer"},
        reads=lambda: block_number(node),
    )
    assert (error.code, error.message) == (-32000, TIMEOUT_ERROR)
    assert TIMEOUT <= seconds < TIMEOUT + SLACK
    assert max(latencies) < TIMEOUT / 2, latencies


def test_a_long_anvil_mine_lets_other_requests_in(node):
    """2000 blocks take seconds; a read that needs the lock waits one slice at most."""
    number = block_number(node)
    account = "0x" + "33" * 20
    latencies: list[float] = []
    done = threading.Event()

    def reads() -> None:
        while not done.is_set():
            began = time.monotonic()
            assert node.rpc("eth_getBalance", account, "latest") == "0x0"
            latencies.append(time.monotonic() - began)
            time.sleep(0.02)

    reader = threading.Thread(target=reads)
    reader.start()
    began = time.monotonic()
    try:
        assert node.rpc("anvil_mine", hex(2000), timeout=120) is None
    finally:
        done.set()
        reader.join()
    seconds = time.monotonic() - began
    assert block_number(node) == number + 2000
    assert len(latencies) >= 5, latencies
    assert max(latencies) < TIMEOUT, latencies
    assert max(latencies) < seconds / 2, (seconds, latencies)  # no read waited for it all


def test_the_gas_cap_caps_a_call(capped):
    # without a timeout the loop runs until the capped gas is gone: out of gas, at once
    began = time.monotonic()
    with pytest.raises(RpcFailure) as failed:
        capped.rpc("eth_call", {"from": SENDER, "to": LOOP, "gas": hex(10_000_000)}, "latest")
    assert time.monotonic() - began < SLACK
    assert failed.value.code == -32000
    assert failed.value.message.startswith("execution failed: OutOfGas")
    frame = capped.rpc(
        "debug_traceCall", {"from": SENDER, "to": LOOP}, "latest", {"tracer": "callTracer"}
    )
    assert (frame["gas"], frame["gasUsed"], frame["error"]) == (
        hex(GAS_CAP),
        hex(GAS_CAP),
        "out of gas",
    )


def test_an_estimate_searches_up_to_the_gas_cap(capped):
    with pytest.raises(RpcFailure) as failed:
        capped.rpc("eth_estimateGas", {"from": SENDER, "to": LOOP}, "latest")
    assert (failed.value.code, failed.value.message) == (
        -32000,
        f"gas required exceeds allowance ({GAS_CAP})",
    )
    tx = {"from": SENDER, "to": "0x" + "22" * 20, "value": "0x1"}
    assert capped.rpc("eth_estimateGas", tx, "latest") == hex(21_000)


def test_the_budget_options_are_checked_and_shown() -> None:
    from click.testing import CliRunner

    from ogkit.cli.node import node as node_command

    help_text = " ".join(CliRunner().invoke(node_command, ["--help"]).output.split())
    assert "--rpc-gas-cap GAS" in help_text and "[default: 50000000; x>=0]" in help_text
    assert "--rpc-evm-timeout SECONDS" in help_text and "[default: 5.0; x>=0]" in help_text
    for option in ("--rpc-gas-cap", "--rpc-evm-timeout"):
        refused = CliRunner().invoke(node_command, [option, "-1"])
        assert refused.exit_code == 2
        assert f"Invalid value for '{option}'" in refused.output
