"""Find a gateway answer's record by its signature, for a client that kept no job id.

OpenGradient's SDK keeps an answer's `tee_signature`, `tee_timestamp` and `tee_id` but not
the `X-Settlement-Job-ID` header, so `GET /v1/settlements/{job}` is out of its reach. RSA-PSS
signatures are salted: no two answers share one, so the signature names the answer (two
identical requests in the same second share hashes and timestamp, not a signature). The index
maps a digest of the signature to the job id, bounded like the record book it points into
(oldest first out); a lookup reads the book and answers only if that record still carries
the very signature asked for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections import OrderedDict

from ogkit.inference.book import DEFAULT_MAX_FINAL

SIGNATURE_BYTES = (256, 384, 512)
"""RSA-2048, -3072, -4096: what an enclave's signature can be."""


class BadSignature(ValueError):
    """The `tee_signature` asked for is not a base64 RSA signature (the message says why)."""


def signature_bytes(text: str) -> bytes:
    """The raw signature of a `tee_signature` as answers carry it (base64)."""
    try:
        # a `+` sent unescaped in a query string arrives as a space: base64 has none
        raw = base64.b64decode(text.replace(" ", "+").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("tee_signature must be the answer's base64 signature") from None
    if len(raw) not in SIGNATURE_BYTES:
        raise BadSignature(f"tee_signature is {len(raw)} bytes: an RSA signature is 256 to 512")
    return raw


class SignatureIndex:
    """Job ids by signature digest, at most `max_entries` (the oldest are forgotten)."""

    def __init__(self, max_entries: int = DEFAULT_MAX_FINAL) -> None:
        self.max_entries = max_entries
        self._jobs: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, signature: bytes, job_id: str) -> None:
        key = hashlib.sha256(signature).digest()
        with self._lock:
            self._jobs[key] = job_id
            self._jobs.move_to_end(key)
            while len(self._jobs) > self.max_entries:
                self._jobs.popitem(last=False)

    def job(self, signature: bytes) -> str | None:
        with self._lock:
            return self._jobs.get(hashlib.sha256(signature).digest())

    def __len__(self) -> int:
        return len(self._jobs)
