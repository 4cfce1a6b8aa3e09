"""Counting what a library does: `calls_of(monkeypatch, owner, name)` wraps a method so each
call records its first argument after the receiver (a key, a message hash, a block hash) and
runs as before; the tests assert how often work was done, not only what came out."""

from __future__ import annotations

from typing import Any


def calls_of(monkeypatch: Any, owner: type, name: str, static: bool = False) -> list[Any]:
    """`owner.name` wrapped for the test (undone by monkeypatch); the list of its arguments.
    `static`: a staticmethod whose first parameter plays the receiver (py-evm's `db`)."""
    seen: list[Any] = []
    original = getattr(owner, name)

    def counted(receiver: Any, argument: Any, *rest: Any, **named: Any) -> Any:
        seen.append(argument)
        return original(receiver, argument, *rest, **named)

    monkeypatch.setattr(owner, name, staticmethod(counted) if static else counted)
    return seen
