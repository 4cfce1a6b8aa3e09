"""`ogkit …` commands."""

from ogkit.cli.main import main

__all__ = ["main"]
