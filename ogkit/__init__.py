"""ogkit: everything around the EVM — chain, model store, inference node, CLI."""
