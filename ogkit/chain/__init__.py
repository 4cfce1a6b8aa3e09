"""The AI chain: py-evm's newest fork plus OpenGradient's precompiles."""

from ogkit.chain.fork import AIVM, AIComputation, AIState, ai_vm_configuration
from ogkit.chain.tester import AIChainBackend, new_tester

__all__ = [
    "AIComputation",
    "AIState",
    "AIVM",
    "AIChainBackend",
    "ai_vm_configuration",
    "new_tester",
]
