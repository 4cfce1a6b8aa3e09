"""ogkit: everything around the EVM — chain, model store, inference node, CLI."""

from ogkit.hashing import use_pysha3

use_pysha3()
