"""`opengradient:local:test`: Ape's in-process test provider, running the AI chain.

Subclassing Ape's own `LocalProvider` keeps snapshots (test isolation), test accounts and
traces exactly as Ape users know them; only the py-evm chain underneath changes.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ape.api.providers import BlockAPI
from ape.api.trace import TraceAPI
from ape.api.transactions import ReceiptAPI, TransactionAPI
from ape.exceptions import UnknownSnapshotError
from ape_ethereum.trace import TraceApproach, TransactionTrace
from ape_test.provider import ApeEVMBackend, ApeTester, LocalProvider
from eth.exceptions import HeaderNotFound
from eth_tester import EthereumTester
from eth_utils.exceptions import ValidationError
from hexbytes import HexBytes

from ape_opengradient import direct, direct_call
from ape_opengradient.ecosystem import OpenGradientConfig
from ape_opengradient.inference_api import InferenceAPI, LocalInferenceAPI
from ape_opengradient.snapshots import SnapshotIds
from ogkit.chain.assembly import ChainServices
from ogkit.chain.backend import AIBackendMixin, DevAccounts
from ogkit.chain.locking import LockedEthereumTester
from ogkit.inference import InferenceEngine, InferenceRecord
from ogkit.inference.node import InferenceNode
from ogkit.llm import LLMEngine
from ogkit.models.store import ModelStore
from ogkit.pricefeed import PriceDataNode, default_price_feed, load_price_feed_key
from ogkit.project import model_store_dir
from ogkit.settlement import SettlementService
from ogkit.tee.trust import load_tee_root
from precompiles.addresses import OG_INFERENCE_ADDRESS

if TYPE_CHECKING:
    from ogkit.chain.tester_tracer import AnyTracerTesterTracer

TRACE_METHODS = ("debug_traceTransaction", "debug_traceCall")


class AIEVMBackend(AIBackendMixin, ApeEVMBackend):
    """Ape's backend on the AI chain (ogkit/chain/backend.py: simulated calls and estimates,
    PIPE's empty results when `pipe` is on, scheduled runs, one lock the settlement service
    shares, inference records following snapshot reverts: Ape's test isolation)."""

    def __init__(self, config, chain_id: int, services: ChainServices, pipe: bool = False) -> None:
        self.services = services
        self.pipe = pipe
        super().__init__(config, chain_id)

    def dev_accounts(self) -> DevAccounts:
        config = self.config
        return DevAccounts(config.mnemonic, config.number_of_accounts, self.hd_path, self.balance)

    @cached_property
    def _setup_tester_chain(self):
        return self._new_chain()

    def _adopt_chain(self, keys: tuple, chain) -> None:
        self.__dict__["_setup_tester_chain"] = (keys, chain)  # Ape's `account_keys` reads it
        self.chain = chain


class AITester(ApeTester):
    def __init__(self, config, chain_id: int, services: ChainServices, pipe: bool = False) -> None:
        super().__init__(config, chain_id)
        self.services = services
        self.pipe = pipe

    def _new_backend(self) -> None:
        self._backend = AIEVMBackend(self.config, self.chain_id, self.services, self.pipe)
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
        return InferenceNode(ModelStore(self._model_store_dir()), provers=self.og_config.provers)

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
        synthetic sample, signing with `opengradient.price_feed_key_file`,
        `$OGKIT_PRICE_FEED_KEY` or the dev key; `price_feed.records()` holds its records."""
        key = load_price_feed_key(self._project_path(self.og_config.price_feed_key_file))
        return default_price_feed(self._project_path(self.og_config.price_csv), key)

    @cached_property
    def tee_root_pem(self) -> bytes | None:
        """The root 0x900 trusts (`opengradient.tee_root`; None: the dev root). This chain's
        enclave attests under it with `opengradient.tee_ca`, else TEE mode reverts."""
        return trust_tee_root(
            self.inference_node,
            self._project_path(self.og_config.tee_root),
            self._project_path(self.og_config.tee_ca),
        )

    @cached_property
    def tester(self) -> AITester:
        services = ChainServices(
            self.inference_engine, self.llm_engine, self.price_feed, self.tee_root_pem
        )
        return AITester(self.config, self.settings.chain_id, services, pipe=self.og_config.pipe)

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

    # ------------------------------------------------------------------ the direct path

    @cached_property
    def direct_outcomes(self) -> direct.Outcomes:
        """What the last transactions' own executions said (direct.py)."""
        return direct.Outcomes()

    def send_transaction(self, txn: TransactionAPI) -> ReceiptAPI:
        """Ape's, on the direct path (direct.py) when it can be taken."""
        if direct.can_send_directly(self, txn):
            return direct.send_transaction(self, txn)
        return _ape_send_transaction(self, txn)

    def send_call(self, txn: TransactionAPI, block_id=None, state=None, **kwargs) -> HexBytes:  # noqa: ANN001 - Ape's
        """Ape's, without web3's middleware at the head (direct_call.py). (Ape reads a state
        override from `state_override=`, not from `state`.)"""
        if direct_call.can_call_directly(block_id, kwargs.get("state_override")):
            kwargs.pop("state_override", None)
            return direct_call.send_call(self, txn, block_id, **kwargs)
        return super().send_call(txn, block_id, state, **kwargs)

    def get_receipt(
        self,
        txn_hash: str,
        required_confirmations: int = 0,
        timeout: int | None = None,
        **kwargs,
    ) -> ReceiptAPI:
        """Ape's, with the receipt read from eth-tester without web3's middleware, when
        Ape already has the transaction (right after sending it) and the receipt exists."""
        transaction = kwargs.get("transaction")
        if isinstance(transaction, dict) and required_confirmations == 0:
            data = direct.formatted_receipt(self.tester.ethereum_tester, txn_hash)
            if data is not None:
                receipt_data = dict(data)
                if "effectiveGasPrice" in receipt_data:
                    receipt_data["gasPrice"] = receipt_data["effectiveGasPrice"]
                data = {"required_confirmations": 0, **transaction, **receipt_data}
                return self._create_receipt(**data).await_confirmations()
        return super().get_receipt(txn_hash, required_confirmations, timeout, **kwargs)

    def get_block(self, block_id) -> BlockAPI:  # noqa: ANN001 - Ape's
        """Ape's; the latest block read without web3's middleware (Ape asks for it on every
        snapshot restore: `chain.blocks.height`)."""
        if block_id == "latest":
            data = direct.formatted_latest_block(self.tester.ethereum_tester)
            if data is not None:
                return self.network.ecosystem.decode_block(dict(data))
        return super().get_block(block_id)

    @cached_property
    def snapshot_ids(self) -> SnapshotIds:
        return SnapshotIds()

    def snapshot(self) -> int:
        """A new id naming the latest block (Ape's is the block's hash itself: snapshots.py
        says why one scope's restore then skipped another's)."""
        return self.snapshot_ids.take(self.evm_backend.take_snapshot())

    def restore(self, snapshot_id) -> None:  # noqa: ANN001 - Ape's
        """Ape's, comparing the snapshot's block with the latest header's hash (Ape
        serialises the whole latest block for it)."""
        if snapshot_id is None:
            return
        block_hash = self.snapshot_ids.block_of(snapshot_id)
        backend = self.evm_backend
        with backend.chain_lock:  # no settlement block between the look and the revert
            if block_hash == backend.latest_header().hash:
                return
            try:
                backend.revert_to_snapshot(block_hash)
            except (HeaderNotFound, ValidationError) as err:
                raise UnknownSnapshotError(snapshot_id) from err

    def get_code(self, address, block_id=None):  # noqa: ANN001, ANN201 - Ape's
        """The code at the head (Ape asks before and after every transaction), from the
        backend; other blocks (and addresses web3 would refuse) through web3 as before."""
        if (block_id is None or block_id == "latest") and direct_call.is_checksum(address):
            return HexBytes(self.evm_backend.get_code(HexBytes(address), "latest"))
        return super().get_code(address, block_id)

    @property
    def max_gas(self) -> int:
        """Ape's (the latest block's gas limit), from the header alone."""
        return self.evm_backend.latest_header().gas_limit

    def _get_last_base_fee(self) -> int:
        """Ape's (the pending block's base fee), from the header alone."""
        base_fee = getattr(self.evm_backend.pending_header(), "base_fee_per_gas", None)
        if base_fee is not None:
            return base_fee
        return super()._get_last_base_fee()  # raises Ape's error

    def _get_call_max_fee(self, block_id=None) -> int:  # noqa: ANN001 - Ape's
        """Ape's (the highest base fee of the call's block, latest and pending) from the
        headers alone when the call is at the head; eth-tester builds each whole block."""
        if block_id not in (None, "latest", "pending"):
            return super()._get_call_max_fee(block_id)
        backend = self.evm_backend
        headers = (backend.latest_header(), backend.pending_header())
        fees = [fee for h in headers if (fee := getattr(h, "base_fee_per_gas", None)) is not None]
        return max(fees) if fees else self._get_last_base_fee()

    def calls_console(self, txn_hash: str) -> bool | None:
        """Whether the sent transaction `txn_hash` called the console address (so it may
        have debug logs); None when this provider did not see it run (direct.py)."""
        outcome = self.direct_outcomes.get(self.evm_backend, bytes(HexBytes(txn_hash)))
        return None if outcome is None else outcome.calls_console

    # ------------------------------------------------------------------ call traces

    @property
    def supports_tracing(self) -> bool:
        return True  # debug_traceTransaction / debug_traceCall (call_traces.py)

    @property
    def call_trace_approach(self) -> TraceApproach:
        return TraceApproach.GETH_CALL_TRACER  # Ape's cheaper route; struct logs answer too

    def get_transaction_trace(self, transaction_hash: str, **kwargs) -> TraceAPI:
        # Not cached by hash: after a snapshot revert the same hash can be mined again.
        kwargs.setdefault("call_trace_approach", self.call_trace_approach)
        return TransactionTrace(transaction_hash=transaction_hash, **kwargs)

    @property
    def tracer(self) -> AnyTracerTesterTracer:
        """Re-executes on this chain for traces; `tracer.replay.model_runs` counts the model
        runs a trace needed (results the cache no longer held)."""
        from ogkit.chain.tester_tracer import AnyTracerTesterTracer  # on use (its imports)

        backend = self.tester.backend
        tracer = self.__dict__.get("_tracer")
        if tracer is None or tracer.backend is not backend:
            tracer = self.__dict__["_tracer"] = AnyTracerTesterTracer(backend, backend.services)
        return tracer

    def _increment_call_func_coverage_hit_count(self, txn) -> None:  # noqa: ANN001 - Ape's
        from ape_opengradient.coverage import cover_call  # statements of calls: coverage.py

        if not cover_call(self, txn):
            super()._increment_call_func_coverage_hit_count(txn)

    def make_request(self, rpc: str, parameters=None):  # noqa: ANN001, ANN201 - Ape's
        if rpc in TRACE_METHODS:
            from ape_opengradient import call_traces  # the node's params parsing: on use

            return call_traces.answer(self.tracer, rpc, parameters)
        return super().make_request(rpc, parameters)

    def stream_request(self, method: str, params, iter_path: str = "result.item"):  # noqa: ANN001, ANN201
        """Ape streams struct logs over HTTP (`trace.get_raw_frames()`); in process the
        answer is already a Python object: walk `iter_path` in it."""
        if method not in TRACE_METHODS:
            return super().stream_request(method, params, iter_path)
        from ape_opengradient import call_traces

        return call_traces.items(self.make_request(method, params), iter_path)

    def connect(self) -> None:
        super().connect()
        self.__dict__.pop("direct_outcomes", None)  # a new chain: new hashes
        _register_precompile_abi(self)
        if self.og_config.settlement:
            self.settlement.start()

    def disconnect(self) -> None:
        if "inference_node" in self.__dict__:
            self.inference_node.stop()
        super().disconnect()


def _ape_send_transaction(provider: AIProvider, txn: TransactionAPI) -> ReceiptAPI:
    """`LocalProvider.send_transaction` itself, without the post-send hook Ape wraps it in
    when a `LocalProvider` is made (ours is wrapped already: the hook must run once)."""
    send = LocalProvider.send_transaction
    if getattr(send, "_is_post_tx_wrapped", False):
        send = send.__wrapped__
    return send(provider, txn)


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


def trust_tee_root(node: InferenceNode, root: Path | None, ca: Path | None) -> bytes | None:
    """The TEE root in `root` (None: the dev root), with `node`'s enclave attesting under
    it through the CA in `ca`, or not at all (`EnclaveSlot.trust_root`)."""
    root_pem = load_tee_root(root) if root is not None else None
    node.enclave_slot.trust_root(root_pem, ca)
    return root_pem
