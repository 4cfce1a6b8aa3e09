"""What `ogkit llm verify` found: one named check per line, each passed, failed or skipped
with the reason, so a reader sees exactly what was and was not established."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped"]
MARKS = {"passed": "✓", "failed": "✗", "skipped": "-"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    required: bool = True
    """A skipped check that is not required (an input the caller did not give) does not fail
    the report; a required one that did not pass does."""


@dataclass
class VerificationReport:
    subject: str
    checks: list[Check] = field(default_factory=list)

    def passed(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, "passed", detail))

    def failed(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, "failed", detail))

    def skipped(self, name: str, detail: str, required: bool = False) -> None:
        self.checks.append(Check(name, "skipped", detail, required))

    def check(self, name: str) -> Check:
        (found,) = [c for c in self.checks if c.name == name]
        return found

    @property
    def ok(self) -> bool:
        """No check failed and every required one passed."""
        return all(
            c.status == "passed" or (c.status == "skipped" and not c.required) for c in self.checks
        )

    @property
    def strictly_ok(self) -> bool:
        """Every check passed: nothing skipped."""
        return all(c.status == "passed" for c in self.checks)

    def lines(self) -> list[str]:
        out = [f"verify {self.subject}"]
        for c in self.checks:
            word = "" if c.status != "skipped" else "skipped: "
            out.append(f"  {MARKS[c.status]} {c.name}: {word}{c.detail}")
        out.append("  => " + ("verified" if self.ok else "NOT verified"))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "ok": self.ok, "checks": [asdict(c) for c in self.checks]}


@dataclass(frozen=True)
class SignedClaim:
    """What an enclave signed: keccak256(requestHash ‖ outputHash ‖ uint256 timestamp)."""

    tee_id: bytes
    request_hash: bytes
    output_hash: bytes
    timestamp: int
    signature: bytes

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> SignedClaim:
        """The `tee_*` fields of a gateway answer (hex hashes, base64 signature)."""
        missing = [
            k
            for k in (
                "tee_id",
                "tee_signature",
                "tee_timestamp",
                "tee_request_hash",
                "tee_output_hash",
            )
            if body.get(k) in (None, "")
        ]
        if missing:
            raise ValueError(f"the response has no {', '.join(missing)}: not a TEE-signed answer")
        return cls(
            tee_id=_hex32(body["tee_id"], "tee_id"),
            request_hash=_hex32(body["tee_request_hash"], "tee_request_hash"),
            output_hash=_hex32(body["tee_output_hash"], "tee_output_hash"),
            timestamp=_int(body["tee_timestamp"]),
            signature=base64.b64decode(body["tee_signature"], validate=True),
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SignedClaim:
        """An `ogkit_getInferenceRecord` answer of a TEE-mode 0xF4 call."""
        signed = record.get("teeSignature")
        if not signed:
            raise ValueError("the record has no TEE signature: not a TEE-mode inference")
        return cls(
            tee_id=_hex32(signed["teeId"], "teeId"),
            request_hash=_hex32(record["inputHash"], "inputHash"),
            output_hash=_hex32(record["outputHash"], "outputHash"),
            timestamp=_int(signed["timestamp"]),
            signature=bytes.fromhex(signed["signature"].removeprefix("0x")),
        )


def _hex32(value: Any, name: str) -> bytes:
    try:
        raw = bytes.fromhex(str(value).removeprefix("0x"))
    except ValueError:
        raise ValueError(f"{name} is not hex") from None
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(raw)}")
    return raw


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"tee_timestamp must be an integer, got {value!r}")
    return int(value)
