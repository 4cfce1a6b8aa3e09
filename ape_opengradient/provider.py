"""`opengradient:local:test`: Ape's in-process test provider, running the AI chain.

Subclassing Ape's own `LocalProvider` keeps snapshots (test isolation), test accounts and
traces exactly as Ape users know them; only the py-evm chain underneath changes.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ape_test.provider import ApeEVMBackend, ApeTester, LocalProvider
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import setup_tester_chain

from ogkit.chain import ai_vm_configuration
from ogkit.chain.genesis import genesis_contracts
from ogkit.chain.scheduling import ScheduledRunsMixin
from ogkit.inference import InferenceEngine, default_engine
from precompiles.addresses import OG_INFERENCE_ADDRESS


class AIEVMBackend(ScheduledRunsMixin, ApeEVMBackend):
    def __init__(self, config, chain_id: int, engine: InferenceEngine) -> None:
        super().__init__(config, chain_id)
        self.engine = engine

    @cached_property
    def _setup_tester_chain(self):
        genesis_state = {**self.genesis_state, **genesis_contracts()}
        keys, chain = setup_tester_chain(
            None,
            genesis_state,
            self.config.number_of_accounts,
            ai_vm_configuration(self.engine),
            self.config.mnemonic,
            self.config.hd_path,
        )
        # eth-tester derives one key per genesis entry; the genesis contracts have none
        return keys[: self.config.number_of_accounts], chain


class AITester(ApeTester):
    def __init__(self, config, chain_id: int, engine: InferenceEngine) -> None:
        super().__init__(config, chain_id)
        self.engine = engine

    def _new_backend(self) -> None:
        self._backend = AIEVMBackend(self.config, self.chain_id, self.engine)
        self._ethereum_tester = EthereumTester(self._backend)

    @property
    def ethereum_tester(self) -> EthereumTester:
        if self._ethereum_tester is None:
            self._new_backend()
        return self._ethereum_tester

    @ethereum_tester.setter
    def ethereum_tester(self, value: EthereumTester) -> None:
        self._ethereum_tester = value
        self._backend = value.backend

    @property
    def backend(self) -> AIEVMBackend:
        if self._backend is None:
            self._new_backend()
        return self._backend

    @backend.setter
    def backend(self, value: AIEVMBackend) -> None:
        self._backend = value
        self._ethereum_tester = EthereumTester(value)


class AIProvider(LocalProvider):
    """In-process AI chain; `provider.inference_engine` exposes records and run counts."""

    NAME = "test"

    @property
    def config(self):  # the same `test:` section as Ape's own provider
        return self.config_manager.get_config("test")

    @cached_property
    def inference_engine(self) -> InferenceEngine:
        configured = self.config_manager.get_config("opengradient").model_store
        store = None
        if configured:
            store = Path(configured)
            if not store.is_absolute():
                store = self.local_project.path / store
        return default_engine(store)

    @cached_property
    def tester(self) -> AITester:
        return AITester(self.config, self.settings.chain_id, self.inference_engine)

    def connect(self) -> None:
        super().connect()
        _register_precompile_abi(self)


def _register_precompile_abi(provider: AIProvider) -> None:
    """Let receipts decode `ModelInferenceEvent` logs emitted by 0xF4."""
    from ape_opengradient.abi import og_inference_contract_type

    network = provider.network
    provider.chain_manager.contracts.cache_contract_type(
        network.ecosystem.decode_address(OG_INFERENCE_ADDRESS),
        og_inference_contract_type(),
        ecosystem_key=network.ecosystem.name,
        network_key=network.name,
    )
