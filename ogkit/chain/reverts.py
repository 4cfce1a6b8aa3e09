"""What a revert says: the reason an `Error(string)` or `Panic(uint256)` carries, in geth's
words. Shared by the node's answers and every host's call traces."""

from __future__ import annotations

from precompiles.guard import ERROR_SELECTOR

PANIC_SELECTOR = bytes.fromhex("4e487b71")
PANIC_REASONS = {
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array",
    0x31: "out-of-bounds pop()",
    0x32: "out-of-bounds array access",
    0x41: "out of memory",
    0x51: "uninitialized function pointer",
}


def revert_reason(output: bytes) -> str | None:
    """The reason an `Error(string)` or `Panic(uint256)` revert carries; None otherwise."""
    if output[:4] == ERROR_SELECTOR:
        try:
            from eth_abi import decode

            (reason,) = decode(["string"], output[4:])
            return reason
        except Exception:  # noqa: BLE001 - undecodable reason: report the bare revert
            return None
    if output[:4] == PANIC_SELECTOR and len(output) >= 36:
        code = int.from_bytes(output[4:36], "big")
        meaning = PANIC_REASONS.get(code, "unknown panic")
        return f"panic: {meaning} (0x{code:02x})"
    return None


def revert_message(output: bytes) -> str:
    """geth's wording: "execution reverted" plus the decoded reason when there is one."""
    reason = revert_reason(output)
    return "execution reverted" if reason is None else f"execution reverted: {reason}"
