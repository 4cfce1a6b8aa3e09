"""The AI fork: Prague with OpenGradient's precompiles, as three small subclasses.

The State must be replaced too, because it owns `computation_class`, which also decides
which addresses count as warm under EIP-2929. eth-tester special-cases `PragueVM`, so these
subclass the real fork classes. The assembly (assembly.py) binds them to the services.

The State also makes EIP-7623's calldata floor a validity rule, as the EIP says: py-evm 0.12
tops a transaction's gas used up to the floor without first requiring gas limit >= floor, so
a transaction could use more gas than its limit and a block more than the block gas limit.
"""

from __future__ import annotations

from eth.abc import MessageAPI, SignedTransactionAPI, StateAPI, TransactionContextAPI
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.constants import STANDARD_TOKEN_COST, TOTAL_COST_FLOOR_PER_TOKEN
from eth.vm.forks.prague.state import PragueState
from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError

from ogkit.chain.account_db import AIAccountDB
from ogkit.chain.budget import DeadlineCodeStream, active_budget

TX_BASE_COST = 21_000
FLOOR_DATA_GAS_ERROR = "insufficient gas for floor data gas cost"
"""geth's `core.ErrFloorDataGas`; its pool adds ": gas X, minimum needed Y"."""


def floor_data_gas(data: bytes) -> int:
    """EIP-7623's floor: 21000 + 10 * tokens, a token per zero byte and 4 per other byte."""
    zeros = data.count(0)
    tokens = zeros + STANDARD_TOKEN_COST * (len(data) - zeros)
    return TX_BASE_COST + TOTAL_COST_FLOOR_PER_TOKEN * tokens


def floor_data_gas_message(gas: int, floor: int) -> str:
    """The refusal in geth's words (its transaction pool's), so clients matching on them work."""
    return f"{FLOOR_DATA_GAS_ERROR}: gas {gas}, minimum needed {floor}"


def check_floor_data_gas(transaction: SignedTransactionAPI) -> None:
    """Raise if the gas limit is below the calldata floor (the intrinsic gas is checked by
    the transaction's own `validate`, so together: gas limit >= max(intrinsic, floor))."""
    floor = floor_data_gas(transaction.data)
    if transaction.gas < floor:
        raise ValidationError(floor_data_gas_message(transaction.gas, floor))


class AIComputation(PragueComputation):
    """Prague's precompiles; `assembly.vm_class` binds the AI ones (`assembly.precompile_map`).
    Within `budget.deadline(...)` a frame checks the clock as it starts and as it runs."""

    def __init__(
        self, state: StateAPI, message: MessageAPI, transaction_context: TransactionContextAPI
    ) -> None:
        super().__init__(state, message, transaction_context)
        budget = active_budget()
        if budget is not None:
            budget.check()
            self.code = DeadlineCodeStream(message.code, budget)


class AIState(PragueState):
    computation_class = AIComputation
    account_db_class = AIAccountDB  # no trie walk to delete an absent account (account_db.py)

    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        """Prague's checks plus EIP-7623's floor. Simulations (`eth_call`, the estimators'
        trial runs: py-evm's `SpoofTransaction`) are exempt: a call does not pay, and the
        estimators add the floor themselves (py-evm's search starts below it)."""
        super().validate_transaction(transaction)
        if not isinstance(transaction, SpoofTransaction):
            check_floor_data_gas(transaction)


class AIVM(PragueVM):
    fork = "prague+opengradient"
    _state_class = AIState
