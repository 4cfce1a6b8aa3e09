"""`ogkit node` stops cleanly on SIGTERM from the moment it answers: its handlers are set
before the port opens, so a supervisor that stops it right away gets exit status 0."""

from __future__ import annotations

from node_support import NodeProcess


def test_sigterm_as_soon_as_the_node_answers(tmp_path, model_store) -> None:
    for _ in range(3):
        node = NodeProcess(tmp_path, store=model_store.root).start()
        assert node.stop() == 0
        assert node.log().rstrip().endswith("Stopped.")
