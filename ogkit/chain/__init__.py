"""The AI chain: py-evm's newest fork plus OpenGradient's precompiles.

assembly.py  builds it from one bundle of services (`ChainServices`): the precompile map,
             the VM, the node's chain class, the replay variant traces run
host.py      the interface every host (Ape's provider, `new_tester`, the node) plugs into
backend.py   the mixin that makes an eth-tester backend an AI backend (tester.py, and Ape's
             provider); the chain-side services every host shares: scheduling.py (scheduled
             runs), locking.py (the chain lock), phase.py (calls run as simulations),
             budget.py (deadlines that stop a long call inside py-evm's opcode loop)
tracing.py   call traces (geth's callTracer) on an eth-tester chain: Ape's in-process
             provider re-executes a transaction on its pre-state with the replay map
"""

from ogkit.chain.assembly import ChainServices, mining_chain_class, vm_configuration
from ogkit.chain.fork import AIVM, AIComputation, AIState
from ogkit.chain.tester import AIChainBackend, new_tester

__all__ = [
    "AIComputation",
    "AIState",
    "AIVM",
    "AIChainBackend",
    "ChainServices",
    "mining_chain_class",
    "new_tester",
    "vm_configuration",
]
