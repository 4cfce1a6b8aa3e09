"""Foundry beside Ape: what `forge` needs to build, deploy and test AI-calling contracts."""
