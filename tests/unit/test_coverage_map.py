"""Statements and functions per instruction (ogkit/solidity/coverage_map.py): the source-map
and bytecode readers on hand-made input, and the index of a real solc 0.8.28 compile
(via-IR, as user projects compile) with exact statements."""

from __future__ import annotations

import pytest
from coverage_project import OWNED_SOL, TALLY_SOL
from solcx import compile_standard

from ape_opengradient.coverage import EXTRA_OUTPUTS
from ogkit import toolchain
from ogkit.solidity import EVM_VERSION, SOLC_VERSION
from ogkit.solidity.coverage_map import (
    ContractMap,
    LineIndex,
    build_index,
    instruction_pcs,
    parse_source_map,
)

STAMP_SOL = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Stamp {
    uint256 public immutable born = block.number + 1;
}
"""
SOURCES = {"contracts/Owned.sol": OWNED_SOL, "contracts/Tally.sol": TALLY_SOL}


def compile_sources(sources: dict[str, str], optimize: bool) -> dict:
    selection = {"*": list(EXTRA_OUTPUTS), "": ["ast"]}
    input_json = {
        "language": "Solidity",
        "sources": {k: {"content": v} for k, v in sources.items()},
        "settings": {
            "optimizer": {"enabled": optimize, "runs": 200},
            "viaIR": True,
            "evmVersion": EVM_VERSION,
            "outputSelection": {k: selection for k in sources},
        },
    }
    return compile_standard(
        input_json, solc_binary=toolchain.solc_binary(), solc_version=SOLC_VERSION
    )


@pytest.fixture(scope="module")
def unoptimized() -> dict:
    return compile_sources(SOURCES, optimize=False)


def test_instruction_pcs_skip_push_immediates():
    # PUSH1 0x80, PUSH2 0x0102, PUSH0, PUSH32 <32 bytes>, STOP
    code = bytes([0x60, 0x80, 0x61, 1, 2, 0x5F, 0x7F, *range(32), 0x00])
    assert instruction_pcs(code) == [0, 2, 5, 6, 39]


def test_compressed_source_map():
    # an empty field repeats the previous entry's; jump and modifier depth are ignored
    assert parse_source_map("58:458:0:-:0;;120:5::i;:7;-1:-1:-1:-") == [
        (58, 458, 0),
        (58, 458, 0),
        (120, 5, 0),
        (120, 7, 0),
        (-1, -1, -1),
    ]
    assert parse_source_map("") == []


def test_line_index_counts_utf8_bytes():
    lines = LineIndex("a\n// é\nxyz\n")
    assert lines.at(0) == (1, 1)
    assert lines.at(7) == (2, 6)  # "// é" is 5 bytes: the newline after it is byte 7
    assert lines.at(8) == (3, 1)
    assert lines.location(8, 3) == (3, 1, 3, 3)


def test_statements_and_functions_of_a_real_compile(unoptimized: dict):
    index = build_index([(unoptimized, SOURCES)], set(SOURCES))
    functions = {
        f.key: (f.source_id[10:], f.contract, f.name, f.full_name, f.line)
        for f in index.functions.values()
    }
    assert sorted(functions.values(), key=lambda f: (f[0], f[4])) == [
        ("Owned.sol", "Owned", "onlyOwner", "modifier onlyOwner()", 7),
        ("Tally.sol", "Tally", "add", "add(uint256)", 11),
        ("Tally.sol", "Tally", "reset", "reset()", 20),
        ("Tally.sol", "Tally", "double", "double(uint256)", 26),
    ]
    statements = sorted(
        (s.source_id[10:], functions[s.function][2], s.location) for s in index.statements.values()
    )
    assert statements == [
        ("Owned.sol", "onlyOwner", (8, 9, 8, 49)),  # `_;` is not a statement
        ("Tally.sol", "add", (12, 9, 12, 23)),
        ("Tally.sol", "add", (13, 9, 13, 24)),  # the `if`, shown up to its body
        ("Tally.sol", "add", (14, 13, 14, 20)),
        ("Tally.sol", "add", (16, 13, 16, 22)),
        ("Tally.sol", "double", (27, 9, 27, 20)),
        ("Tally.sol", "reset", (21, 9, 21, 17)),
        ("Tally.sol", "reset", (22, 9, 22, 15)),
        ("Tally.sol", "reset", (23, 9, 23, 17)),
    ]
    (tally,) = [c for c in index.contracts if c.name == "Tally"]
    # the inherited modifier's statement has instructions in Tally's own code
    owned = [s.key for s in index.statements.values() if s.source_id.endswith("Owned.sol")]
    assert set(owned) <= set(tally.statement_at.values())


def test_the_optimizer_leaves_statements_without_code_of_their_own():
    plain = TALLY_SOL.replace(" is Owned", "").replace(" onlyOwner", "")
    plain = plain.replace('import "./Owned.sol";\n', "")
    sources = {"contracts/Tally.sol": plain}
    index = build_index([(compile_sources(sources, optimize=True), sources)], set(sources))
    lines = sorted(s.location[0] for s in index.statements.values())
    # `big += 1` (line 13) and `total = 0` (line 20) merged into shared code: not listed,
    # as nothing that runs can show they ran
    assert lines == [11, 12, 15, 21, 22, 26]


def test_a_contract_is_recognised_with_its_immutables_set():
    output = compile_sources({"contracts/Stamp.sol": STAMP_SOL}, optimize=False)
    index = build_index([(output, {"contracts/Stamp.sol": STAMP_SOL})], {"contracts/Stamp.sol"})
    (stamp,) = index.contracts
    assert stamp.immutables and stamp.code
    start, length = stamp.immutables[0]
    on_chain = bytearray(stamp.code)
    on_chain[start : start + length] = (12345).to_bytes(length, "big")
    assert index.contract_for(bytes(on_chain)) is stamp
    on_chain[0] ^= 1
    assert index.contract_for(bytes(on_chain)) is None
    assert not ContractMap("X", "x.sol", b"\x00", []).matches(b"\x00\x00")
