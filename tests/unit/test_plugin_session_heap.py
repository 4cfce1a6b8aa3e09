"""The plugin's pytest hooks freeze what a session made before its tests
(`ape_opengradient.pytest_plugin.freeze_heap`): full collections during the session walk
only what came after. This file runs in such a session (`ape test` loads the plugin)."""

from __future__ import annotations

import gc
import sys
import weakref


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_the_heap_made_before_the_tests_is_frozen() -> None:
    """Ape's modules, loaded before the session connected, are in the permanent generation:
    outside `gc.get_objects()`, which lists the three generations a collection walks."""
    assert gc.get_freeze_count() > 50_000
    ape = sys.modules["ape"]
    assert not any(obj is ape for obj in gc.get_objects())


def test_a_cycle_made_in_a_test_is_still_collected() -> None:
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None
