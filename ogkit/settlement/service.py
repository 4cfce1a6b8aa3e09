"""The settlement service: HACA's full-node role, running beside a chain in a thread.

It wakes when the engine has something to settle (and at least every `interval` seconds),
makes sure the verification contracts are on chain, and lets each settler settle what is
ready: TEE signatures at once, ZK proofs once the engine's prover queue has made them.
Callers never wait for it; tests and scripts that want the outcome call
`wait_for_settlement`.

    service = SettlementService(engine, w3).start()
    record = service.wait_for_settlement(inference_id)      # settled / failed: … / not required
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ogkit.chain.genesis import SETTLEMENT_RELAYER_KEY
from ogkit.inference.engine import InferenceEngine
from ogkit.inference.records import InferenceRecord
from ogkit.settlement import deployment
from ogkit.settlement.deployment import VerificationContracts
from ogkit.settlement.sender import TxSender
from ogkit.settlement.tee import Settled, TeeSettlement
from ogkit.settlement.zk import ZkSettlement

log = logging.getLogger("ogkit.settlement")
QUIET = 0.03
"""Seconds without a chain request that count as a quiet moment."""
MAX_DEFER = 1.0
"""A pass waits at most this long for quiet, so a busy chain still gets settled."""


class Settler(Protocol):
    def settle_pass(self) -> list[Settled]:
        """What one pass of the service settles, under the chain's lock."""
        ...


class SettlementService:
    """`batch_size` > 1 settles TEE records in Merkle batches of up to that many."""

    def __init__(
        self,
        engine: InferenceEngine,
        w3: Web3,
        *,
        relayer: LocalAccount | None = None,
        batch_size: int = 1,
        interval: float = 0.2,
        receipt_timeout: float = 120.0,
        chain_lock: AbstractContextManager | None = None,
        idle_seconds: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.w3 = w3
        self.relayer = relayer or Account.from_key(SETTLEMENT_RELAYER_KEY)
        self._batch_size = batch_size
        self.interval = interval
        self.receipt_timeout = receipt_timeout
        self.chain_lock = chain_lock or nullcontext()
        """An in-process chain's lock: a deployment then runs whole, never split by a snapshot
        revert from the test thread."""
        self.idle_seconds = idle_seconds
        """How long the chain has been quiet: a pass waits for a quiet moment (up to
        `MAX_DEFER` s) so that a user's next request never queues behind a settlement."""
        self.contracts: VerificationContracts | None = None
        self.settlers: list[Settler] = []
        self.last_error: str | None = None
        """Why the last pass failed, if it did (it is retried on the next)."""
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> SettlementService:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="ogkit-settlement", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self.engine.work:
            self.engine.work.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the service off (e.g. while a test drives a settler by hand)."""
        self._paused.set()
        with self._busy:  # let a pass in flight finish first
            pass
        try:
            yield
        finally:
            self._paused.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self._paused.is_set() and self.run_once() and self._has_work():
                continue  # more is ready (ZK: one proof a pass): wait only for a quiet moment
            with self.engine.work:  # something to settle, a new block, or the interval
                self.engine.work.wait(self.interval)

    def _has_work(self) -> bool:
        """Is a record ready for a settler: a signed TEE result, or a ZK one the prover has
        proved? (A ZK record still queued or proving wakes the service when proved.)"""
        return self.engine.book.has_work()

    # --- one pass ---------------------------------------------------------------------

    def run_once(self) -> list[Settled]:
        """Settle whatever is ready now; errors are logged and retried on the next pass."""
        with self._busy:
            if not self._has_work():
                return []
            self._wait_for_quiet()
            try:
                # whole, under the chain's lock: a snapshot revert (which takes its records
                # with it) comes before or after a pass, never between a check and a send
                with self.chain_lock:
                    if not self._has_work():  # a revert took it while we waited for quiet
                        return []
                    self._ensure_contracts()
                    return [done for s in self.settlers for done in s.settle_pass()]
            except Exception as exc:  # noqa: BLE001 - a service thread must not die
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("settlement pass failed: %s", self.last_error)
                return []

    def _wait_for_quiet(self) -> None:
        if self.idle_seconds is None:
            return
        deadline = time.monotonic() + MAX_DEFER
        while time.monotonic() < deadline and not self._stop.is_set():
            quiet = self.idle_seconds()
            if quiet >= QUIET:
                return
            time.sleep(QUIET - quiet)

    def _ensure_contracts(self) -> None:
        if deployment.is_deployed(self.w3, self.contracts):
            return
        sender = TxSender(self.w3, self.relayer, self.receipt_timeout)
        self.contracts, self.settlers = None, []
        slot = getattr(self.engine, "enclave_slot", None)
        enclave = self.engine.enclave if slot is None or slot.attestable else None
        self.contracts = deployment.deploy(sender, enclave)
        log.info("verification contracts deployed: %s", self.contracts)
        self.settlers = [
            TeeSettlement(
                self.engine,
                self.w3,
                self.contracts.relay,
                self.relayer,
                batch_size=self._batch_size,
                receipt_timeout=self.receipt_timeout,
            ),
            ZkSettlement(
                self.engine,
                self.w3,
                self.contracts.zk_settlement,
                self.relayer,
                receipt_timeout=self.receipt_timeout,
            ),
        ]

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, size: int) -> None:
        if size < 1:
            raise ValueError("batch size must be at least 1")
        self._batch_size = size
        for settler in self.settlers:
            if isinstance(settler, TeeSettlement):
                settler.batch_size = size

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceRecord:
        """Block (on the engine's condition, not a sleep) until the record is final."""
        return self.engine.wait_for_settlement(inference_id, timeout)
