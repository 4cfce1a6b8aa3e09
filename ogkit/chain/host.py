"""The one interface through which a host runs the AI chain.

Three hosts run it: Ape's in-process provider and `new_tester` (eth-tester backends made AI
backends by `backend.AIBackendMixin`) and `ogkit node` (`NodeChain`). Each hands the
chain-side services what they need, and calls them around sealing:

- the lock: every chain operation holds `chain_lock` (locking.py);
- the run ledger: where scheduled runs are recorded (scheduling.py; the node's is on disk);
- before a block is sealed, `ScheduledRuns.before_seal()` puts the due scheduled runs into
  it (and before an incoming transaction on an empty pending block, `runs_first()` asks for
  a block of runs first); the runs go in through `include_transaction`;
- after it is sealed, `ScheduledRuns.after_seal(header)`.
"""

from __future__ import annotations

from typing import Any, Protocol

from eth.abc import SignedTransactionAPI

from ogkit.chain.locking import ChainLock
from ogkit.workflows.runner import RunLedger


class ChainHost(Protocol):
    """What the chain-side services need from whatever hosts the chain."""

    @property
    def chain(self) -> Any:
        """The py-evm `MiningChain`; its `header` is the pending block."""
        ...

    @property
    def chain_lock(self) -> ChainLock: ...

    @property
    def run_ledger(self) -> RunLedger: ...

    def include_transaction(self, tx: SignedTransactionAPI) -> None:
        """Apply `tx` to the pending block, with the host's own bookkeeping (lock held)."""
        ...
