"""Opcode facts the struct logger (struct_logger.py) reports in geth's words: each opcode's
name as geth's `OpCode.String()` spells it, and how many stack items it needs (geth's
`stack underflow (have <=> need)` error names both)."""

from __future__ import annotations

from eth.vm.forks.prague.computation import PragueComputation

_RENAMED = {"SHA3": "KECCAK256", "PREVRANDAO": "DIFFICULTY"}
"""py-evm's mnemonics where geth's names differ."""


def _names() -> dict[int, str]:
    names = {}
    for value, opcode in PragueComputation.opcodes.items():
        mnemonic = getattr(opcode, "mnemonic", None)
        if mnemonic is None:
            mnemonic = opcode.__wrapped__.mnemonic
        names[value] = _RENAMED.get(mnemonic, mnemonic)
    names[0xFE] = "INVALID"
    return names


OP_NAMES = _names()


def op_name(opcode: int) -> str:
    """geth's name; an opcode the fork does not define as geth prints it."""
    name = OP_NAMES.get(opcode)
    return name if name is not None else f"opcode {opcode:#x} not defined"


_POPS_BY_RANGE: tuple[tuple[int, str], ...] = (
    (0x00, "022222223322"),  # STOP .. SIGNEXTEND
    (0x10, "22222122212222"),  # LT .. SAR
    (0x20, "2"),  # KECCAK256
    (0x30, "0100010303014031"),  # ADDRESS .. EXTCODEHASH
    (0x40, "10000000010"),  # BLOCKHASH .. BLOBBASEFEE
    (0x50, "1122121200001230"),  # POP .. PUSH0
    (0xA0, "23456"),  # LOG0 .. LOG4
)
"""Stack items each opcode pops, one digit per opcode from the range's first."""


def _pops() -> dict[int, int]:
    pops = {}
    for start, digits in _POPS_BY_RANGE:
        for offset, digit in enumerate(digits):
            pops[start + offset] = int(digit)
    for n in range(1, 17):
        pops[0x7F + n] = n  # DUPn
        pops[0x8F + n] = n + 1  # SWAPn
    for n in range(1, 33):
        pops[0x5F + n] = 0  # PUSHn
    pops.update({0xF0: 3, 0xF1: 7, 0xF2: 7, 0xF3: 2, 0xF4: 6, 0xF5: 4, 0xFA: 6, 0xFD: 2})
    pops.update({0xFE: 0, 0xFF: 1})
    return pops


STACK_POPS = _pops()


def stack_error(opcode: int, stack_size: int, overflow: bool) -> str:
    """geth's `ErrStackUnderflow` / `ErrStackOverflow` text for `opcode` at `stack_size`."""
    if overflow:
        return f"stack limit reached {stack_size} (1023)"
    return f"stack underflow ({stack_size} <=> {STACK_POPS.get(opcode, 0)})"
