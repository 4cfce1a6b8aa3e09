"""Solidity coverage for `ape test --coverage` on opengradient projects.

ape-solidity 0.8 implements neither `trace_source` nor `init_coverage_profile`, so Ape has
no Solidity coverage at all. For a project on the `opengradient` ecosystem (the same scope
as solidity.py's defaults; other projects keep ape-solidity's behaviour) and only while a
coverage session runs, these two methods of ape-solidity's compiler are answered here:

- `init_coverage_profile`: the statements and functions of the project's own sources
  (not `contracts/.cache/`), from one extra solc run of the project's own standard-JSON
  input asking for runtime source maps and ASTs (ogkit/solidity/coverage_map.py);
- `trace_source`: the pcs each frame executed (in process: ogkit/chain/pc_trace.py; on
  `ogkit node`: geth's struct logs and call tracer, ogkit/chain/struct_log_frames.py),
  mapped to statement keys that Ape's `CoverageTracker` counts as its "pcs".

Calls (`eth_call`) are covered too (`cover_call`): the in-process provider and the node
provider hand them here. Outside a coverage session nothing is traced or compiled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ape.utils.basemodel import ManagerAccessMixin
from ethpm_types.source import Closure, Statement

from ogkit.solidity.coverage_map import CoverageIndex, build_index

EXTRA_OUTPUTS = (
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.sourceMap",
    "evm.deployedBytecode.immutableReferences",
)
CACHE_PREFIX = ".cache/"
OPTIMIZER_NOTE = (
    "Coverage: the contracts are compiled with the optimizer, which merges and moves code, "
    "so statement coverage is approximate; for exact statements set `solidity: optimize: "
    "false` in ape-config.yaml (then `ape compile --force`)."
)
_index_cache: dict[tuple, CoverageIndex] = {}
notes: list[str] = []
"""What the session's summary should tell (coverage_report.py prints it)."""


def coverage_on() -> bool:
    runner = ManagerAccessMixin._test_runner
    return bool(runner is not None and runner.coverage_tracker.enabled)


def applies() -> bool:
    """A coverage session of an opengradient project."""
    from ape_opengradient.solidity import _uses_opengradient

    if not coverage_on():
        return False
    try:
        return _uses_opengradient(ManagerAccessMixin.local_project.config)
    except Exception:  # noqa: BLE001 - no project: not ours
        return False


def _own_sources(project: Any) -> list[Path]:
    contracts = Path(project.contracts_folder)
    return sorted(
        p
        for p in contracts.rglob("*.sol")
        if not p.relative_to(contracts).as_posix().startswith(CACHE_PREFIX)
    )


def project_index(project: Any) -> CoverageIndex:
    """The coverage index of the project's sources as they are now (cached by content)."""
    paths = _own_sources(project)
    key = (str(project.path), tuple((str(p), p.stat().st_mtime_ns) for p in paths))
    if key not in _index_cache:
        _index_cache.clear()
        notes.clear()
        _index_cache[key] = _compile_index(project, paths)
        _warn_stale(project, _index_cache[key])
    return _index_cache[key]


def _warn_stale(project: Any, index: CoverageIndex) -> None:
    """Ape recompiles only sources whose text changed, so a build made with other settings
    (say, before `optimize: false`) stays; its code matches nothing here: say so."""
    from ape.logging import logger

    stale = []
    for contract in index.contracts:
        try:
            built = project.contracts[contract.name].contract_type.runtime_bytecode.bytecode
        except (KeyError, AttributeError):
            continue
        if built and not contract.matches(bytes.fromhex(built.removeprefix("0x"))):
            stale.append(contract.name)
    if stale:
        notes.append(
            f"Coverage: the build of {', '.join(sorted(stale))} differs from its source compiled "
            "now with the project's settings (compiled with other settings?); statements there "
            "are not measured. Run `ape compile --force`."
        )
        logger.warning(notes[-1])


def _compile_index(project: Any, paths: list[Path]) -> CoverageIndex:
    solidity = ManagerAccessMixin.compiler_manager.registered_compilers[".sol"]
    inputs = solidity.get_standard_input_json(paths, project=project)
    cache = Path(project.manifest_path).parent / "coverage"
    outputs, kept = [], set()
    for version, input_json in inputs.items():
        for selection in input_json["settings"]["outputSelection"].values():
            selection["*"] = sorted({*selection.get("*", []), *EXTRA_OUTPUTS})
            selection[""] = ["ast"]
        output, name = _solc_output(project, str(version), input_json, cache)
        kept.add(name)
        texts = {k: v.get("content", "") for k, v in input_json["sources"].items()}
        outputs.append((output, texts))
    for old in cache.glob("solc-*.json"):
        if old.name not in kept:
            old.unlink()
    profiled = {p.relative_to(project.path).as_posix() for p in paths}
    if solidity.get_config(project=project).optimize:
        notes.append(OPTIMIZER_NOTE)
    return build_index(outputs, profiled)


def _solc_output(project: Any, version: str, input_json: dict, cache: Path) -> tuple[dict, str]:
    """solc's output for `input_json`, kept in `.build/coverage/` by the input's hash: the
    next coverage session of unchanged sources and settings skips the compile (~5 s)."""
    from ape_solidity.compiler import compile_standard, get_executable
    from packaging.version import Version

    digest = hashlib.sha256(json.dumps([version, input_json], sort_keys=True).encode())
    name = f"solc-{digest.hexdigest()[:24]}.json"
    path = cache / name
    if path.is_file():
        return json.loads(path.read_text()), name
    clean = Version(Version(version).base_version)
    output = compile_standard(
        input_json,
        solc_binary=get_executable(version=clean),
        solc_version=clean,
        base_path=project.path,
        allow_empty=True,
    )
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(output))
    return output, name


def init_coverage_profile(source_coverage: Any, contract_source: Any) -> None:
    """Ape's profile of one source: its functions, each with its measurable statements."""
    from ape.types.coverage import CoverageStatement

    if source_coverage.contracts:
        return  # several contract types share a source: profiled once
    try:
        index = project_index(ManagerAccessMixin.local_project)
    except Exception as exc:  # noqa: BLE001 - e.g. solc refused: Ape reports no data
        _warn_once(f"Coverage: the sources could not be indexed ({type(exc).__name__}: {exc}).")
        return
    by_function: dict[int, list] = {}
    for stmt in index.statements.values():
        if stmt.source_id == source_coverage.source_id:
            by_function.setdefault(stmt.function, []).append(stmt)
    for key, fn in sorted(index.functions.items()):
        if key not in by_function:
            continue  # no statement with code of its own: nothing can show it ran
        contract = source_coverage.include(fn.contract)
        function = contract.include(fn.name, fn.full_name)
        for stmt in sorted(by_function[key], key=lambda s: s.key):
            function.statements.append(CoverageStatement(location=stmt.location, pcs={stmt.key}))


def traceback(frames: list[Any], index: CoverageIndex, root: Path) -> Any:
    """Ape's `SourceTraceback`: per frame, one control flow per function that ran, whose
    "pcs" are the keys of the statements it ran."""
    from ape.types.trace import ControlFlow, SourceTraceback

    flows = []
    for frame in frames:
        if frame.is_create or (contract := index.contract_for(frame.code)) is None:
            continue
        groups: dict[int, set[int]] = {}
        for pc in frame.pcs:
            key = contract.statement_at.get(pc)
            if key is not None and key in index.statements:
                groups.setdefault(index.statements[key].function, set()).add(key)
        for fkey, keys in sorted(groups.items()):
            fn = index.functions[fkey]
            flows.append(
                ControlFlow(
                    statements=[Statement(type="source", pcs=keys)],
                    closure=Closure(name=fn.name, full_name=fn.full_name),
                    source_path=root / fn.source_id,
                    depth=frame.depth,
                )
            )
    return SourceTraceback.model_validate(flows)


def trace_source(trace: Any) -> Any:
    """The traceback of an Ape trace (a transaction's or a call's) on one of our providers."""
    from ape_opengradient import coverage_frames

    provider = ManagerAccessMixin.provider
    frames = coverage_frames.for_trace(provider, trace)
    if frames is None:
        raise NotImplementedError("not a provider of this plugin")
    project = ManagerAccessMixin.local_project
    return traceback(frames, project_index(project), Path(project.path))


def cover_call(provider: Any, txn: Any, block_id: Any = None) -> bool:
    """Count an `eth_call`'s statements in the session; False if not applicable."""
    from ape_opengradient import coverage_frames

    if not applies() or not txn.receiver:
        return False
    try:
        frames = coverage_frames.for_call(provider, txn, block_id)
        if frames is None:
            return False
        project = ManagerAccessMixin.local_project
        tb = traceback(frames, project_index(project), Path(project.path))
    except Exception as exc:  # noqa: BLE001 - coverage must never fail the user's call
        _warn_once(f"Coverage: a call could not be traced ({type(exc).__name__}: {exc}).")
        return False
    ManagerAccessMixin._test_runner.coverage_tracker.cover(tb)
    return True


def _warn_once(message: str) -> None:
    from ape.logging import logger

    if message not in notes:
        notes.append(message)
        logger.warning(message)


def install() -> None:
    """Answer ape-solidity's two coverage methods for opengradient coverage sessions."""
    try:
        from ape_solidity.compiler import SolidityCompiler
    except ImportError:
        return
    if getattr(SolidityCompiler, "_opengradient_coverage", False):
        return
    original_trace = SolidityCompiler.trace_source
    original_profile = SolidityCompiler.init_coverage_profile

    def trace(self, contract_source, trace, calldata):  # noqa: ANN001, ANN202 - Ape's API
        if contract_source is None or not applies():
            return original_trace(self, contract_source, trace, calldata)
        return trace_source(trace)

    def profile(self, source_coverage, contract_source):  # noqa: ANN001, ANN202 - Ape's API
        if not applies():
            return original_profile(self, source_coverage, contract_source)
        return init_coverage_profile(source_coverage, contract_source)

    _give_sources_an_ast()
    SolidityCompiler.trace_source = trace  # type: ignore[method-assign]
    SolidityCompiler.init_coverage_profile = profile  # type: ignore[method-assign]
    SolidityCompiler._opengradient_coverage = True  # type: ignore[attr-defined]


def _give_sources_an_ast() -> None:
    """Ape makes a `ContractSource` (which coverage and tracebacks need) only for a contract
    type with an AST and a pc map, and ape-solidity stores neither. In a coverage session of
    an opengradient project, a Solidity contract type without them gets placeholders (the
    statements come from this module's own solc run, not from them)."""
    from ape.managers.project import LocalProject
    from ethpm_types import ASTNode
    from ethpm_types.sourcemap import PCMap, SourceMapItem

    original = LocalProject._create_contract_source
    unit = ASTNode(
        ast_type="SourceUnit", src=SourceMapItem(start=0, length=0, contract_id=0, jump_code="-")
    )

    def create(self, contract_type):  # noqa: ANN001, ANN202 - Ape's signature
        source_id = contract_type.source_id or ""
        if contract_type.ast is None and source_id.endswith(".sol") and applies():
            placeholders = {"ast": unit, "pcmap": contract_type.pcmap or PCMap.model_validate({})}
            contract_type = contract_type.model_copy(update=placeholders)
        return original(self, contract_type)

    LocalProject._create_contract_source = create  # type: ignore[method-assign]
