"""Which Solidity statement and function each instruction of a deployed contract belongs to.

Built from one solc standard-JSON output (the same input the project compiles with, plus
`evm.deployedBytecode.{object,sourceMap,immutableReferences}` and the sources' `ast`):

- items: the statements (AST nodes of a statement type; blocks are containers, not
  statements) and functions (function and modifier definitions with a body) of the
  profiled sources, each with a small integer key and a (line, col, end line, end col);
- per deployed contract, pc -> statement key: an instruction belongs to the innermost
  statement whose source range holds the instruction's source-map range (same file), so an
  `if`'s condition is the `if` statement and its branches are their own statements.

A statement with no instruction of its own in any contract is left out: nothing that runs
can show it ran (the optimizer merged it into other code, or its function is never
compiled in). A contract is recognised by its runtime code with the immutables zeroed, as
solc prints it, so a mismatching build is never mapped.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

STATEMENT_TYPES = frozenset(
    {
        "ExpressionStatement",
        "VariableDeclarationStatement",
        "Return",
        "IfStatement",
        "ForStatement",
        "WhileStatement",
        "DoWhileStatement",
        "EmitStatement",
        "RevertStatement",
        "Break",
        "Continue",
        "TryStatement",
        "InlineAssembly",
    }
)
"""Not `PlaceholderStatement` (a modifier's `_;`): it marks where the function runs, and
via-IR puts the continuation's address there before the modifier's checks, so it would
count as run when the checks revert."""
Location = tuple[int, int, int, int]
"""(line, column, end line, end column), 1-based lines and columns, as Ape's coverage."""


@dataclass(frozen=True)
class FunctionItem:
    key: int
    source_id: str
    contract: str
    name: str
    full_name: str
    line: int


@dataclass(frozen=True)
class StatementItem:
    key: int
    source_id: str
    function: int
    location: Location
    start: int
    length: int


@dataclass
class ContractMap:
    """One deployed contract: its runtime code as solc prints it and pc -> statement key."""

    name: str
    source_id: str
    code: bytes
    immutables: list[tuple[int, int]]
    statement_at: dict[int, int] = field(default_factory=dict)

    def matches(self, code: bytes) -> bool:
        """Whether `code` (from the chain) is this contract: equal once immutables are zeroed."""
        if len(code) != len(self.code):
            return False
        if not self.immutables:
            return code == self.code
        masked = bytearray(code)
        for start, length in self.immutables:
            masked[start : start + length] = bytes(length)
        return bytes(masked) == self.code


@dataclass
class CoverageIndex:
    functions: dict[int, FunctionItem] = field(default_factory=dict)
    statements: dict[int, StatementItem] = field(default_factory=dict)
    contracts: list[ContractMap] = field(default_factory=list)

    def contract_for(self, code: bytes) -> ContractMap | None:
        for contract in self.contracts:
            if contract.matches(code):
                return contract
        return None


def instruction_pcs(code: bytes) -> list[int]:
    """The pc of each instruction, in order (PUSH1..PUSH32 carry immediates)."""
    pcs, pc = [], 0
    while pc < len(code):
        pcs.append(pc)
        op = code[pc]
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return pcs


def parse_source_map(srcmap: str) -> list[tuple[int, int, int]]:
    """solc's compressed source map as (start, length, file index) per instruction."""
    out: list[tuple[int, int, int]] = []
    current = [0, 0, -1]
    for entry in srcmap.split(";") if srcmap else []:
        for i, part in enumerate(entry.split(":")[:3]):
            if part:
                current[i] = int(part)
        out.append((current[0], current[1], current[2]))
    return out


class LineIndex:
    """Byte offset -> (line, column), 1-based; solc's offsets count UTF-8 bytes."""

    def __init__(self, text: str) -> None:
        data = self.text = text.encode("utf-8")
        self.starts = [0] + [i + 1 for i, c in enumerate(data) if c == 0x0A]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def location(self, start: int, length: int) -> Location:
        line, col = self.at(start)
        end_line, end_col = self.at(max(start, start + length - 1))
        return line, col, end_line, end_col


def _src(node: dict[str, Any]) -> tuple[int, int, int]:
    start, length, index = (int(x) for x in node["src"].split(":"))
    return start, length, index


def _param_types(node: dict[str, Any]) -> str:
    params = (node.get("parameters") or {}).get("parameters") or []
    types = []
    for p in params:
        text = (p.get("typeDescriptions") or {}).get("typeString") or "?"
        for suffix in (" memory", " calldata", " storage ref", " storage pointer", " storage"):
            text = text.replace(suffix, "")
        types.append(text)
    return ",".join(types)


def _function_names(node: dict[str, Any]) -> tuple[str, str]:
    if node["nodeType"] == "ModifierDefinition":
        return node["name"], f"modifier {node['name']}({_param_types(node)})"
    kind = node.get("kind", "function")
    name = node.get("name") or kind  # constructor, fallback, receive have no name
    return name, f"{name}({_param_types(node)})"


BODY_KEYS = ("trueBody", "body", "clauses")


def _head(stmt: dict[str, Any], text: bytes) -> tuple[int, int]:
    """Where a statement shows: a compound one (if, for, while, try) up to its body, so a
    report does not paint its branches with its own hits; do-while: its condition."""
    start, length, _ = _src(stmt)
    if stmt["nodeType"] == "DoWhileStatement":
        cond, cond_len, _ = _src(stmt["condition"])
        return cond, cond_len
    for key in BODY_KEYS:
        body = stmt.get(key)
        if isinstance(body, list):
            body = body[0] if body else None
        if isinstance(body, dict) and "src" in body:
            end = _src(body)[0]
            while end > start and text[end - 1 : end].isspace():
                end -= 1
            return start, max(1, end - start)
    return start, length


def _statements(node: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        if node.get("nodeType") in STATEMENT_TYPES:
            out.append(node)
        for value in node.values():
            if isinstance(value, dict | list):
                _statements(value, out)
    elif isinstance(node, list):
        for value in node:
            _statements(value, out)


class _Items:
    """The functions and statements of the profiled sources, before pcs are mapped."""

    def __init__(self) -> None:
        self.index = CoverageIndex()
        # per file index: [(start, end, statement key)], sorted by start, inner after outer
        self.ranges: dict[int, list[tuple[int, int, int]]] = {}
        self.memo: dict[tuple[int, int, int], int | None] = {}

    def add_source(self, source_id: str, ast: dict[str, Any], text: str) -> None:
        lines = LineIndex(text)
        for contract in ast.get("nodes", []):
            if contract.get("nodeType") != "ContractDefinition":
                continue
            for node in contract.get("nodes", []):
                if node.get("nodeType") in ("FunctionDefinition", "ModifierDefinition") and (
                    node.get("body") is not None
                ):
                    self._add_function(source_id, contract["name"], node, lines)

    def _add_function(
        self, source_id: str, contract: str, node: dict[str, Any], lines: LineIndex
    ) -> None:
        name, full_name = _function_names(node)
        start, length, file_index = _src(node)
        key = len(self.index.functions) + len(self.index.statements)
        self.index.functions[key] = FunctionItem(
            key, source_id, contract, name, full_name, lines.at(start)[0]
        )
        found: list[dict[str, Any]] = []
        _statements(node["body"], found)
        for stmt in found:
            s, n, _ = _src(stmt)
            skey = len(self.index.functions) + len(self.index.statements)
            self.index.statements[skey] = StatementItem(
                skey, source_id, key, lines.location(*_head(stmt, lines.text)), s, n
            )
            self.ranges.setdefault(file_index, []).append((s, s + n, skey))

    def reuse(self, source_id: str, ast: dict[str, Any]) -> None:
        """Ranges for statements already indexed, under this compilation's file index."""
        _, _, file_index = _src(ast)
        for stmt in self.index.statements.values():
            if stmt.source_id == source_id:
                entry = (stmt.start, stmt.start + stmt.length, stmt.key)
                self.ranges.setdefault(file_index, []).append(entry)

    def innermost(self, file_index: int, start: int, length: int) -> int | None:
        """The key of the smallest statement holding the range (instructions share ranges
        a lot: each distinct one is searched once per compilation)."""
        key = (file_index, start, length)
        if key not in self.memo:
            self.memo[key] = self._search(file_index, start, length)
        return self.memo[key]

    def _search(self, file_index: int, start: int, length: int) -> int | None:
        best: tuple[int, int] | None = None  # (range size, key)
        for s, e, key in self.ranges.get(file_index, ()):
            if s <= start and start + length <= e and (best is None or e - s < best[0]):
                best = (e - s, key)
        return best[1] if best else None


def build_index(
    outputs: list[tuple[dict[str, Any], dict[str, str]]], profiled: set[str]
) -> CoverageIndex:
    """The index for the `profiled` source ids of solc outputs, each with its `texts`
    (source id -> content, from the standard-JSON input)."""
    items = _Items()
    used: set[int] = set()
    for output, texts in outputs:
        items.ranges, items.memo = {}, {}  # file indices are per compilation
        for source_id, source in sorted(output.get("sources", {}).items()):
            if source_id in profiled and "ast" in source and source_id in texts:
                if not any(f.source_id == source_id for f in items.index.functions.values()):
                    items.add_source(source_id, source["ast"], texts[source_id])
                else:  # compiled again under another version: map to the same items
                    items.reuse(source_id, source["ast"])
        for source_id, contracts in sorted(output.get("contracts", {}).items()):
            for name, data in sorted(contracts.items()):
                deployed = (data.get("evm") or {}).get("deployedBytecode") or {}
                code_hex = deployed.get("object") or ""
                if not code_hex or "__$" in code_hex:
                    continue  # interfaces, abstract contracts, unlinked libraries
                contract = _map_contract(items, name, source_id, deployed)
                used.update(contract.statement_at.values())
                items.index.contracts.append(contract)
    index = items.index
    index.statements = {k: v for k, v in index.statements.items() if k in used}
    return index


def _map_contract(items: _Items, name: str, source_id: str, deployed: dict) -> ContractMap:
    code = bytes.fromhex(deployed["object"].removeprefix("0x"))
    immutables = [
        (ref["start"], ref["length"])
        for refs in (deployed.get("immutableReferences") or {}).values()
        for ref in refs
    ]
    contract = ContractMap(name, source_id, code, immutables)
    for pc, (start, length, file_index) in zip(
        instruction_pcs(code), parse_source_map(deployed.get("sourceMap") or ""), strict=False
    ):
        if file_index >= 0 and (key := items.innermost(file_index, start, length)) is not None:
            contract.statement_at[pc] = key
    return contract
