"""eth-tester backend for the AI chain, for Python scripts and tests outside Ape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_tester import EthereumTester, PyEVMBackend

from ogkit.chain.assembly import ChainServices
from ogkit.chain.backend import AIBackendMixin, DevAccounts
from ogkit.chain.genesis import (
    DEFAULT_ACCOUNTS,
    DEFAULT_BALANCE,
    DEFAULT_HD_PATH,
    DEFAULT_MNEMONIC,
    LOCAL_CHAIN_ID,
)
from ogkit.chain.locking import LockedEthereumTester
from precompiles.host import LLMBackend, ModelBackend

if TYPE_CHECKING:
    from ogkit.inference.node import InferenceNode


class AIChainBackend(AIBackendMixin, PyEVMBackend):
    """`PyEVMBackend` on the AI chain (backend.py: the AI fork and chain id kept across
    resets, simulated calls, scheduled runs, the chain lock, records following reverts)."""

    def __init__(
        self,
        backend: ModelBackend | None = None,
        chain_id: int = LOCAL_CHAIN_ID,
        mnemonic: str = DEFAULT_MNEMONIC,
        num_accounts: int = DEFAULT_ACCOUNTS,
        balance: int = DEFAULT_BALANCE,
        tee_root_pem: bytes | None = None,
        llm_backend: LLMBackend | None = None,
        *,
        services: ChainServices | None = None,
    ) -> None:
        """`services`, or an inference backend (and the TEE root, the LLM backend) to make
        them from; the price feed is then a fresh default one per chain."""
        if services is None:
            if backend is None:
                raise TypeError("AIChainBackend needs an inference backend or services")
            services = ChainServices(backend, llm=llm_backend, tee_root_pem=tee_root_pem)
        self.services = services
        self.chain_id = chain_id
        self._dev_accounts = DevAccounts(mnemonic, num_accounts, DEFAULT_HD_PATH, balance)
        super().__init__()  # eth-tester's: `reset_to_genesis()` builds the chain

    def dev_accounts(self) -> DevAccounts:
        return self._dev_accounts


def new_tester(
    backend: ModelBackend | InferenceNode | None = None,
    chain_id: int = LOCAL_CHAIN_ID,
    tee_root_pem: bytes | None = None,
    llm_backend: LLMBackend | None = None,
    *,
    services: ChainServices | None = None,
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
            backend,
            chain_id=chain_id,
            tee_root_pem=tee_root_pem,
            llm_backend=llm_backend,
            services=services,
        )
    )
