"""Result cache keyed by (model hash, exact input bytes): replays never run a model twice.

One cache per inference node, for model outputs and LLM results alike (their keys are
sha256 digests of different inputs, so they never meet). Ape replays every transaction
with `eth_call`, gas estimation runs it a dozen times, and a snapshot restore re-executes the
head block; all of them must read the first result.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

Outputs = list[tuple[str, np.ndarray]]


def _copy(value: Any) -> Any:
    """Model outputs are copied (arrays are mutable); other results (frozen) are shared."""
    if isinstance(value, list):
        return [(name, np.array(array, copy=True)) for name, array in value]
    return value


def input_key(model_hash: bytes, inputs: dict[str, np.ndarray]) -> bytes:
    """A digest of everything that determines a model's output."""
    h = hashlib.sha256(model_hash)
    for name in sorted(inputs):
        array = np.ascontiguousarray(inputs[name])
        h.update(name.encode() + b"\0" + array.dtype.str.encode() + repr(array.shape).encode())
        if array.dtype == object:
            for item in array.reshape(-1):
                encoded = str(item).encode()
                h.update(len(encoded).to_bytes(8, "big") + encoded)
        else:
            h.update(array.tobytes())
    return h.digest()


class ResultCache:
    """A bounded LRU; model outputs are copied in and out so no caller can mutate them."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Any:
        """Model outputs (`Outputs`) or an LLM result, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return None
            self._entries.move_to_end(key)
            return _copy(value)

    def put(self, key: bytes, value: Any) -> None:
        with self._lock:
            self._entries[key] = _copy(value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
