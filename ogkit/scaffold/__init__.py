"""`ogkit init`: a new Ape project that calls a model and passes `ape test` at once.

The files are in `template/` (shipped in the wheel), written as they are except
`__PROJECT_NAME__`; `gitignore` becomes `.gitignore` (a dotfile would be dropped from the
wheel). Existing files are never overwritten unless asked, and a second run over an
unchanged project changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "template"
RENAMES = {"gitignore": ".gitignore"}


class ScaffoldError(RuntimeError):
    """The project cannot be written; the message says why and what to do."""


@dataclass
class Plan:
    """What `create` did (or would do) to each file, by path relative to the project."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def project_name(directory: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", directory.resolve().name.lower()).strip("-")
    return name or "my-project"


def rendered_files(name: str) -> dict[str, bytes]:
    files = {}
    for path in sorted(TEMPLATE.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(TEMPLATE).as_posix()
        relative = RENAMES.get(relative, relative)
        files[relative] = path.read_bytes().replace(b"__PROJECT_NAME__", name.encode())
    return files


def create(directory: Path, force: bool = False) -> Plan:
    """Write the project into `directory`; refuse (writing nothing) if a file would change
    and `force` is off."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} is a file, not a folder: pick another DIR")
    plan = Plan()
    files = rendered_files(project_name(directory))
    for relative, data in files.items():
        target = directory / relative
        if not target.exists():
            plan.written.append(relative)
        elif target.is_file() and target.read_bytes() == data:
            plan.unchanged.append(relative)
        else:
            plan.conflicts.append(relative)
    if plan.conflicts and not force:
        raise ScaffoldError(
            f"would overwrite {', '.join(plan.conflicts)} in {directory.resolve()}: "
            "keep them and pick another DIR, or pass --force to replace them"
        )
    for relative in plan.written + plan.conflicts:
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])
    if force:
        plan.written += plan.conflicts
        plan.conflicts = []
    return plan


def build_model(directory: Path) -> str:
    """Run the project's own `scripts/build_model.py` (as the tests do); returns the CID."""
    import importlib.util

    script = Path(directory) / "scripts" / "build_model.py"
    spec = importlib.util.spec_from_file_location("_ogkit_build_model", script)
    if spec is None or spec.loader is None:
        raise ScaffoldError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(Path(directory))
