"""The record book: what the chain committed to for each inference, and how far it settled.

One book per inference node, shared by the model engine, the LLM engine, the prover queue
and the settlers. A record's settlement is a `SettlementState` that only moves through the
book's named transitions (each checks the move is legal), under the book's one lock, so a
waiter, the settlement service and the node's store (a listener) all see every change.

    PENDING ──proving──▶ PROVING ──proved──▶ PROVED ──settled──▶ SETTLED
       │  (ZK: queued)        └──failed──▶ FAILED ◀──failed──┘
       └──settled (TEE)──▶ SETTLED        NOT_REQUIRED, MOCKED: final from the start

`record.settlement` renders the state as the text every public output has always shown
("pending", "settled <tx> in batch 0x…", "failed: <reason>", …).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from precompiles.inference.types import ModelInferenceMode

if TYPE_CHECKING:
    from ogkit.inference.book import RecordBook
    from ogkit.tee.enclave import SignedResult
    from ogkit.zk import ZkProof

InferenceId = bytes
"""An inference id inside the book: the 32 bytes 0xF4 derives (see `record_key`)."""


class SettlementState(Enum):
    NOT_REQUIRED = "not required"
    MOCKED = "mocked"
    PENDING = "pending"
    """Awaiting settlement (TEE) or queued for proving (ZK)."""
    PROVING = "proving"
    PROVED = "proved"
    SETTLED = "settled"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        SettlementState.NOT_REQUIRED,
        SettlementState.MOCKED,
        SettlementState.SETTLED,
        SettlementState.FAILED,
    }
)
MOCKED = SettlementState.MOCKED.value
"""The settlement text of a mocked inference: final, and nothing to settle."""
PENDING_STATES = frozenset({"pending", "proving", "proved"})
"""Settlement texts that still change; every other one is final."""

_LEGAL: dict[str, frozenset[SettlementState]] = {
    "queued": frozenset({SettlementState.PENDING}),
    "proving": frozenset({SettlementState.PENDING}),
    "proved": frozenset({SettlementState.PROVING}),
    "settled": frozenset({SettlementState.PENDING, SettlementState.PROVED}),
    "failed": frozenset({SettlementState.PENDING, SettlementState.PROVING, SettlementState.PROVED}),
    "reopen": frozenset({SettlementState.SETTLED, SettlementState.FAILED}),
}


class IllegalTransition(ValueError):
    """A settlement move the state machine does not have (e.g. settling a VANILLA record)."""


def record_key(inference_id: str | bytes) -> InferenceId:
    """The book's key for an id given as bytes32, `0x`-hex or bare hex (any other text, e.g.
    a hand-made test id, keys by its UTF-8 bytes)."""
    if isinstance(inference_id, bytes | bytearray):
        return bytes(inference_id)
    text = inference_id.lower().removeprefix("0x")
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    return inference_id.encode()


@dataclass
class InferenceRecord:
    """What the chain committed to for one inference; proofs settle against it later."""

    inference_id: str
    """As 0xF4 names it in its event: bare hex of the 32-byte id."""
    model_hash: bytes
    input_hash: bytes
    output_hash: bytes
    mode: Any
    """`ModelInferenceMode` (an `LLMRecord`: `LLMInferenceMode`)."""
    block_number: int
    state: SettlementState
    reason: str | None = None
    """FAILED: why."""
    tee_signature: SignedResult | None = None
    """TEE mode: the enclave's RSA-PSS signature over keccak256(input ‖ output ‖ time)."""
    settlement_tx: str | None = None
    """The transaction that settled it, once settled."""
    merkle_root: bytes | None = None
    merkle_proof: tuple[bytes, ...] = ()
    """Batch settlement: the batch root on chain and this record's proof against it."""
    zk_proof: ZkProof | None = None
    """ZK mode: the EZKL proof the prover queue made (state PROVED and later)."""
    zk_verified: bool | None = None
    """ZK mode: ezkl's off-chain verdict on `zk_proof`."""
    mocked: bool = False
    """The output came from a test's mock, not the model: never signed, proved or settled."""
    caller: bytes | None = None
    """The contract (or account) that called the precompile: receipts list it."""

    @property
    def key(self) -> InferenceId:
        return record_key(self.inference_id)

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    @property
    def settlement(self) -> str:
        """The state as text, exactly as records, RPC and the node's store always showed it."""
        if self.state is SettlementState.SETTLED:
            batch = f" in batch 0x{self.merkle_root.hex()}" if self.merkle_root else ""
            return f"settled {self.settlement_tx}{batch}"
        if self.state is SettlementState.FAILED:
            return f"failed: {self.reason}"
        return self.state.value


def first_state(mode: ModelInferenceMode, mocked: bool) -> SettlementState:
    """The state a new model record starts in."""
    if mocked:
        return SettlementState.MOCKED
    if mode is ModelInferenceMode.VANILLA:
        return SettlementState.NOT_REQUIRED
    return SettlementState.PENDING


class SettlementTimeout(TimeoutError):
    """An inference did not reach a final settlement state in time."""


class RecordView(MutableMapping):
    """A dict-like window on the book keyed as ids print (bare hex), accepting any id form;
    kept because callers and tests index `engine.records[event.inferenceID]`."""

    def __init__(self, book: RecordBook, unsettled: bool = False) -> None:
        self._book = book
        self._unsettled = unsettled

    def _data(self) -> dict[InferenceId, InferenceRecord]:
        return self._book._unsettled if self._unsettled else self._book._records

    def __getitem__(self, inference_id: str | bytes) -> InferenceRecord:
        return self._data()[record_key(inference_id)]

    def __setitem__(self, inference_id: str | bytes, record: InferenceRecord) -> None:
        self._book.put(record)

    def __delitem__(self, inference_id: str | bytes) -> None:
        self._book.remove(inference_id)

    def __contains__(self, inference_id: object) -> bool:
        if not isinstance(inference_id, str | bytes):
            return False
        return record_key(inference_id) in self._data()

    def __iter__(self) -> Iterator[str]:
        return iter([r.inference_id for r in list(self._data().values())])

    def __len__(self) -> int:
        return len(self._data())

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == (
            dict(other.items()) if isinstance(other, RecordView) else other
        )

    def __repr__(self) -> str:
        return f"RecordView({dict(self.items())!r})"
