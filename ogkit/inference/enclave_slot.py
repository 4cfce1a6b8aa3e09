"""One inference node's enclave key, shared by every engine that signs.

Models and LLMs sign with the same (simulated, dev-only) enclave, so a node has one TEE
identity that the settlement contracts register once. The key is made on first use: an
RSA-2048 key takes a moment, and most chains never sign anything.
"""

from __future__ import annotations

import threading

from ogkit.tee.enclave import SimulatedEnclave


class EnclaveSlot:
    def __init__(self, enclave: SimulatedEnclave | None = None) -> None:
        self._enclave = enclave
        self._lock = threading.Lock()

    @classmethod
    def of(cls, enclave: SimulatedEnclave | EnclaveSlot | None) -> EnclaveSlot:
        """The slot to share: a given slot as it is, an enclave (or none) in a new one."""
        return enclave if isinstance(enclave, EnclaveSlot) else cls(enclave)

    def get(self) -> SimulatedEnclave:
        """The enclave, made now if nothing signed yet."""
        with self._lock:
            if self._enclave is None:
                self._enclave = SimulatedEnclave()
            return self._enclave

    def install(self, enclave: SimulatedEnclave) -> bool:
        """Use `enclave` if nothing signed yet (a node's kept key); False if one was made."""
        with self._lock:
            if self._enclave is not None:
                return False
            self._enclave = enclave
            return True

    @property
    def current(self) -> SimulatedEnclave | None:
        """The enclave if it was made, without making it."""
        return self._enclave
