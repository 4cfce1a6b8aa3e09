"""Compiled contracts the toolkit deploys itself (genesis contracts, settlement contracts).

A user project does not have our Solidity sources, so the chain, the node and the settlement
service load these committed artifacts instead of compiling at run time:

    relay = load("InferenceSettlementRelay")   # .abi, .bytecode, .runtime

`python -m ogkit.contracts.build` regenerates them from `contracts/`; a test checks they match.
"""

from ogkit.contracts.artifacts import Artifact, load

__all__ = ["Artifact", "load"]
