"""`opengradient:local:test`: Ape's in-process test provider, running the AI chain.

Subclassing Ape's own `LocalProvider` keeps snapshots (test isolation), test accounts and
traces exactly as Ape users know them; only the py-evm chain underneath changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ape_test.provider import ApeEVMBackend, ApeTester, LocalProvider
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import setup_tester_chain

from ape_opengradient.ecosystem import OpenGradientConfig
from ape_opengradient.inference_api import InferenceAPI, LocalInferenceAPI
from ogkit.chain import ai_vm_configuration
from ogkit.chain.genesis import genesis_extras
from ogkit.chain.locking import ChainLock, LockedEthereumTester, lock_public_methods
from ogkit.chain.phase import PhaseAwareBackend
from ogkit.chain.reverts import RecordBook, RecordsFollowRevertsMixin
from ogkit.chain.scheduling import ScheduledRunsMixin
from ogkit.inference import InferenceEngine, InferenceRecord
from ogkit.inference.node import InferenceNode
from ogkit.llm import LLMEngine
from ogkit.models.store import ModelStore
from ogkit.pricefeed import PriceDataNode, default_price_feed
from ogkit.project import model_store_dir
from ogkit.settlement import SettlementService
from precompiles.addresses import OG_INFERENCE_ADDRESS


@dataclass(frozen=True)
class ChainParts:
    """What the AI chain is built from, besides Ape's own settings."""

    engine: InferenceEngine
    price_feed: PriceDataNode
    llm_engine: LLMEngine | None = None
    pipe: bool = False


@lock_public_methods
class AIEVMBackend(
    RecordsFollowRevertsMixin, ScheduledRunsMixin, PhaseAwareBackend, ChainLock, ApeEVMBackend
):
    """Ape's backend on the AI chain: calls and estimates run as simulations (PIPE's empty
    results when `pipe` is on), one lock lets the settlement service share the chain, and
    inference records follow snapshot reverts (Ape's test isolation)."""

    def __init__(self, config, chain_id: int, parts: ChainParts) -> None:
        self.pipe = parts.pipe
        super().__init__(config, chain_id)
        self.parts = parts

    @property
    def genesis_state(self) -> dict:
        return super().genesis_state | genesis_extras()

    def record_books(self) -> list[RecordBook]:
        parts = getattr(self, "parts", None)  # None while eth-tester's __init__ resets
        return [parts.engine] if parts is not None else []

    @cached_property
    def _setup_tester_chain(self):
        keys, chain = setup_tester_chain(
            None,
            self.genesis_state,
            self.config.number_of_accounts,
            ai_vm_configuration(
                self.parts.engine,
                price_feed=self.parts.price_feed,
                llm_backend=self.parts.llm_engine,
            ),
            self.config.mnemonic,
            self.config.hd_path,
        )
        # eth-tester derives one key per genesis entry: the system accounts and contracts
        return keys[: self.config.number_of_accounts], chain


class AITester(ApeTester):
    def __init__(self, config, chain_id: int, parts: ChainParts) -> None:
        super().__init__(config, chain_id)
        self.parts = parts

    def _new_backend(self) -> None:
        self._backend = AIEVMBackend(self.config, self.chain_id, self.parts)
        self._ethereum_tester = LockedEthereumTester(self._backend)

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
        self._ethereum_tester = LockedEthereumTester(value)


class AIProvider(LocalProvider):
    """In-process AI chain; `provider.inference_engine` exposes records and run counts."""

    NAME = "test"

    @property
    def config(self):  # the same `test:` section as Ape's own provider
        return self.config_manager.get_config("test")

    @cached_property
    def inference_node(self) -> InferenceNode:
        """This chain's inference node: model and LLM engines with one cache, one enclave key
        and one record book, and the settlement service. Its own (models and caches are
        cheap to share, records are not): the records belong to this chain alone."""
        return InferenceNode(ModelStore(self._model_store_dir()))

    @property
    def inference_engine(self) -> InferenceEngine:
        return self.inference_node.engine

    @property
    def llm_engine(self) -> LLMEngine:
        """0xF4's LLM backend: the store's LLMs (the tiny example one after `make setup`),
        and the OpenAI-compatible endpoint `OGKIT_LLM_URL` when set."""
        return self.inference_node.llm_engine

    def _model_store_dir(self) -> Path:
        return model_store_dir(self.local_project.path, self.og_config.model_store)

    def _project_path(self, configured: str | None) -> Path | None:
        """A configured path, relative to the project unless absolute; None if unset."""
        if not configured:
            return None
        path = Path(configured)
        return path if path.is_absolute() else self.local_project.path / path

    @property
    def og_config(self) -> OpenGradientConfig:
        return self.config_manager.get_config("opengradient")

    @cached_property
    def price_feed(self) -> PriceDataNode:
        """The data node behind 0xF5: `opengradient.price_csv`, `$OGKIT_PRICE_CSV` or the
        synthetic sample; `price_feed.records()` holds its signed records."""
        return default_price_feed(self._project_path(self.og_config.price_csv))

    @cached_property
    def tester(self) -> AITester:
        parts = ChainParts(
            self.inference_engine, self.price_feed, self.llm_engine, pipe=self.og_config.pipe
        )
        return AITester(self.config, self.settings.chain_id, parts)

    @property
    def pipe(self) -> bool:
        """Two-phase execution (PIPE) emulation: `eth_call` and gas estimates see empty model
        outputs flagged `is_simulation_result`, as on the alpha testnet; mined txs do not."""
        return self.tester.backend.pipe

    @pipe.setter
    def pipe(self, on: bool) -> None:
        self.tester.backend.pipe = bool(on)

    @property
    def settlement(self) -> SettlementService:
        """HACA's full-node role for this chain; started on connect unless configured off."""
        node = self.inference_node
        return node.settlement or node.attach_settlement(
            self.web3,
            batch_size=self.og_config.settlement_batch_size,
            receipt_timeout=2.0,  # auto-mined at once; longer means a snapshot revert
            chain_lock=self.tester.backend.chain_lock,
            idle_seconds=self.tester.backend.idle_seconds,
        )

    @cached_property
    def og(self) -> InferenceAPI:
        """Model runs, records, settlement waits and mocks, as on `opengradient:local:node`."""
        return LocalInferenceAPI(self, self.inference_engine)

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceRecord:
        """The record once settled (or failed, or VANILLA); raises if it stays pending."""
        return self.inference_node.wait_for_settlement(inference_id, timeout)

    def connect(self) -> None:
        super().connect()
        _register_precompile_abi(self)
        if self.og_config.settlement:
            self.settlement.start()

    def disconnect(self) -> None:
        if "inference_node" in self.__dict__:
            self.inference_node.stop()
        super().disconnect()


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
