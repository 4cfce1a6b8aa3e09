"""The struct logger's options (struct_logger.py): geth's `logger.Config`, read from the trace
options object as geth reads it (its error messages for a wrong type), and the output caps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_STEPS = 200_000
"""Steps one trace may collect (a 30M-gas loop runs ~10M opcodes)."""
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""About the JSON size one trace may collect (memory dumps grow fastest)."""

OPTION_KEYS = ("disableStack", "enableMemory", "disableStorage", "enableReturnData")


@dataclass(frozen=True)
class StructLogConfig:
    """geth's `logger.Config` (the top-level keys of the trace options) and the caps."""

    disable_stack: bool = False
    enable_memory: bool = False
    disable_storage: bool = False
    enable_return_data: bool = False
    limit: int = 0
    max_steps: int = DEFAULT_MAX_STEPS
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_json(
        cls,
        options: dict[str, Any],
        max_steps: int = DEFAULT_MAX_STEPS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> StructLogConfig:
        """From the trace options object; ValueError in geth's words for a wrong type."""
        flags = {}
        for key in OPTION_KEYS:
            value = options.get(key, False)
            if value is None:
                value = False
            if not isinstance(value, bool):
                raise ValueError(_unmarshal_error(value, key, "bool"))
            flags[key] = value
        limit = options.get("limit")
        if limit is None:
            limit = 0
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ValueError(_unmarshal_error(limit, "limit", "int"))
        return cls(
            disable_stack=flags["disableStack"],
            enable_memory=flags["enableMemory"],
            disable_storage=flags["disableStorage"],
            enable_return_data=flags["enableReturnData"],
            limit=limit,
            max_steps=max_steps,
            max_bytes=max_bytes,
        )


def _unmarshal_error(value: Any, key: str, go_type: str) -> str:
    kinds = {bool: "bool", str: "string", list: "array", dict: "object", float: "number"}
    kind = kinds.get(type(value), "number")
    return f"json: cannot unmarshal {kind} into Go struct field TraceConfig.{key} of type {go_type}"
