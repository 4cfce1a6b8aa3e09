"""Generated sections of bench/RESULTS.md: one script per section, none erasing another's.

A section is the text between `<!-- begin NAME -->` and `<!-- end NAME -->`."""

from __future__ import annotations

import re
from pathlib import Path


def _marked(name: str, body: str) -> str:
    return f"<!-- begin {name} -->\n{body.rstrip()}\n<!-- end {name} -->\n"


def sections(text: str) -> dict[str, str]:
    found = re.finditer(r"<!-- begin (\S+) -->\n(.*?)<!-- end \1 -->\n", text, flags=re.S)
    return {m.group(1): m.group(2) for m in found}


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) section `name` in `path`, leaving the rest of the file alone."""
    text = path.read_text() if path.exists() else ""
    block = _marked(name, body)
    pattern = re.compile(
        rf"<!-- begin {re.escape(name)} -->\n.*?<!-- end {re.escape(name)} -->\n", re.S
    )
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block
    )
    path.write_text(text)


def keep_sections(path: Path, new_text: str) -> str:
    """`new_text` with the sections other scripts wrote to `path` appended again."""
    old = sections(path.read_text()) if path.exists() else {}
    mine = sections(new_text)
    extra = "".join(_marked(n, b) for n, b in old.items() if n not in mine)
    return new_text.rstrip() + ("\n\n" + extra if extra else "\n")
