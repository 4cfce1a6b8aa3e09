"""eth-tester backend for the AI chain, for Python scripts and tests outside Ape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_tester import EthereumTester, PyEVMBackend

from ogkit.chain.fork import ai_vm_configuration
from ogkit.chain.genesis import (
    DEFAULT_ACCOUNTS,
    DEFAULT_BALANCE,
    DEFAULT_HD_PATH,
    DEFAULT_MNEMONIC,
    LOCAL_CHAIN_ID,
    genesis_extras,
)
from ogkit.chain.locking import ChainLock, LockedEthereumTester, lock_public_methods
from ogkit.chain.phase import PhaseAwareBackend
from ogkit.chain.reverts import RecordBook, RecordsFollowRevertsMixin
from ogkit.chain.scheduling import ScheduledRunsMixin
from precompiles.backend import InferenceBackend
from precompiles.llm_backend import LLMBackend

if TYPE_CHECKING:
    from ogkit.inference.node import InferenceNode


@lock_public_methods
class AIChainBackend(
    RecordsFollowRevertsMixin, ScheduledRunsMixin, PhaseAwareBackend, ChainLock, PyEVMBackend
):
    """`PyEVMBackend` whose chain keeps the AI fork and chain id across resets, and runs
    scheduled workflows (scheduling.py).

    eth-tester's `reset_to_genesis()` would otherwise rebuild a plain Prague chain. Calls and
    estimates run as simulations (no inference records; PIPE's empty results when `pipe`).
    """

    def __init__(
        self,
        backend: InferenceBackend,
        chain_id: int = LOCAL_CHAIN_ID,
        mnemonic: str = DEFAULT_MNEMONIC,
        num_accounts: int = DEFAULT_ACCOUNTS,
        balance: int = DEFAULT_BALANCE,
        tee_root_pem: bytes | None = None,
        llm_backend: LLMBackend | None = None,
    ) -> None:
        self.inference_backend = backend
        self.llm_backend = llm_backend
        self.tee_root_pem = tee_root_pem
        self.chain_id = chain_id
        self._genesis_state = (
            self.generate_genesis_state(
                mnemonic=mnemonic,
                overrides={"balance": balance},
                num_accounts=num_accounts,
                hd_path=DEFAULT_HD_PATH,
            )
            | genesis_extras()
        )
        self._mnemonic = mnemonic
        self._num_accounts = num_accounts
        super().__init__(
            genesis_state=self._genesis_state,
            vm_configuration=ai_vm_configuration(
                backend, tee_root_pem=tee_root_pem, llm_backend=llm_backend
            ),
            mnemonic=mnemonic,
            hd_path=DEFAULT_HD_PATH,
        )

    def record_books(self) -> list[RecordBook]:
        backend = getattr(self, "inference_backend", None)
        return [backend] if hasattr(backend, "forget_after") else []

    def reset_to_genesis(
        self,
        genesis_params=None,
        genesis_state=None,
        num_accounts=None,
        vm_configuration=None,
        mnemonic=None,
        hd_path=None,
    ) -> None:
        super().reset_to_genesis(
            genesis_params,
            genesis_state or self._genesis_state,
            self._num_accounts,  # eth-tester counts genesis entries, system accounts too
            vm_configuration
            or ai_vm_configuration(
                self.inference_backend, tee_root_pem=self.tee_root_pem, llm_backend=self.llm_backend
            ),
            mnemonic or self._mnemonic,
            hd_path or DEFAULT_HD_PATH,
        )
        type(self.chain).chain_id = self.chain_id
        # eth-tester derives one key per genesis entry: the system accounts and contracts
        self.account_keys = self.account_keys[: self._num_accounts]


def new_tester(
    backend: InferenceBackend | InferenceNode | None = None,
    chain_id: int = LOCAL_CHAIN_ID,
    tee_root_pem: bytes | None = None,
    llm_backend: LLMBackend | None = None,
) -> EthereumTester:
    """An auto-mining `EthereumTester` on the AI chain (TEE root: the dev root unless given).

    `backend` is an inference node (its engines answer 0xF4's model and LLM calls), a bare
    model backend (no LLM backend unless given), or None for a new node on the default
    store."""
    from ogkit.inference.node import InferenceNode

    if backend is None:
        backend = InferenceNode()
    if isinstance(backend, InferenceNode):
        backend, llm_backend = backend.engine, llm_backend or backend.llm_engine
    return LockedEthereumTester(
        AIChainBackend(
            backend, chain_id=chain_id, tee_root_pem=tee_root_pem, llm_backend=llm_backend
        )
    )
