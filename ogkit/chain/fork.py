"""The AI fork: Prague with OpenGradient's precompiles, as three small subclasses.

The State must be replaced too, because it owns `computation_class`, which also decides
which addresses count as warm under EIP-2929. eth-tester special-cases `PragueVM`, so these
subclass the real fork classes. The assembly (assembly.py) binds them to the services.
"""

from __future__ import annotations

from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState


class AIComputation(PragueComputation):
    """Prague's precompiles; `assembly.vm_class` binds the AI ones (`assembly.precompile_map`)."""


class AIState(PragueState):
    computation_class = AIComputation


class AIVM(PragueVM):
    fork = "prague+opengradient"
    _state_class = AIState
