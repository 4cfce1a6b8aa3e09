"""The node's chain: the AI fork on py-evm, in memory or in LevelDB, with dev controls.

`NodeChain` puts the parts together and is what the JSON-RPC side (ogkit/node/rpc) talks
to; everything here takes and returns Python values (bytes, ints, py-evm objects). All
access goes through one re-entrant lock (ogkit/chain/locking.py), so state changes happen
one at a time and every read sees one consistent head. Each part gets only what it needs: most take
`Blocks` (the py-evm chain, the database and the lock, with the reads), some a callable.
The parts, one job each:

    config.py        the settings (`NodeConfig`)
    datadir.py, db.py the database, the settings stored with the chain, the genesis
    devkeys.py       no publicly known key on a non-dev chain id; the enclave's TEE identity
    ogkit/chain      the py-evm chain class (assembly.py: the precompiles bound to the engines)
    blocks.py        the head, blocks, receipts, senders and state by block parameter
    clock.py         block timestamps and the dev clock
    mining.py        transactions into blocks; what waits: txpool, admission, pendingdrop.py
    slices.py        evm_mine of many blocks, in slices that let other requests in
    transactions.py  raw transactions decoded and checked; eth_sendTransaction signed
    signing.py       the dev accounts' keys, message signing, impersonation
    execution.py     eth_call, eth_estimateGas; the call budget (gas cap, timeout)
    simulate.py      eth_simulateV1: blocks of calls kept nowhere (simcall.py: one call)
    outcome.py       reverts and refused transactions as JSON-RPC errors
    tracing.py       debug_trace*: re-execution (ogkit/chain: callTracer, struct logger)
    head.py          evm_snapshot / evm_revert, debug_setHead
    ogkit/chain/locking.py  the lock; its hook seals an automined block owed after the response
                     (pending.py: then the next pending header, made when first needed)
    recovery.py      at start: a block a crash left owed; records it left unsettled
    devstate.py      anvil_setBalance, ..._setNonce, ..._setCode, ..._setStorageAt
    fees.py          base fee, gas price, eth_feeHistory
    logs.py          eth_getLogs and what filters report
    records.py, inference.py  inference records of mined txs; read back, mocks, statistics
    ogkit/chain/scheduling.py  scheduled workflows: due tasks' run() calls in each block

Blocks: the canonical head is the last mined block; py-evm's `MiningChain.header` is the
pending block on top of it. Dev state changes change the pending state, which "latest"
reads see while the pending block holds no transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI
from eth_tester.backends.pyevm.main import get_account_keys_from_mnemonic

from ogkit.chain.assembly import ChainServices, mining_chain_class
from ogkit.chain.callframes import TraceOptions
from ogkit.chain.locking import ChainLock
from ogkit.chain.scheduling import ScheduledRuns, StoredRunLedger
from ogkit.inference import InferenceEngine
from ogkit.inference.node import default_inference_node
from ogkit.models.store import ModelStore
from ogkit.node.chain import datadir, devstate, fees, logs, pendingdrop, recovery, transactions
from ogkit.node.chain.blocks import Blocks
from ogkit.node.chain.clock import Clock
from ogkit.node.chain.config import DataDirError, NodeConfig
from ogkit.node.chain.devkeys import check_settings, trust_enclave
from ogkit.node.chain.execution import CallBudget, Executor
from ogkit.node.chain.head import HeadControl
from ogkit.node.chain.inference import InferenceDesk
from ogkit.node.chain.mining import MinedTx, Miner
from ogkit.node.chain.pending import lazy_pending, settle_after_response
from ogkit.node.chain.signing import Signer
from ogkit.node.chain.tracing import Tracer
from ogkit.node.chain.transactions import TxDefaults
from ogkit.node.rpc.params import BlockRef, LogFilter, TxParams
from ogkit.pricefeed import default_price_feed

PENDING = BlockRef(tag="pending")


class NodeChain:
    def __init__(self, config: NodeConfig, engine: InferenceEngine | None = None) -> None:
        self.lock = self.chain_lock = ChainLock()  # ChainHost (ogkit/chain/host.py)
        self.config = config
        self.db = datadir.open_store(config)
        try:
            self._setup(config, engine)
        except BaseException:
            self.db.close()
            raise

    def _setup(self, config: NodeConfig, engine: InferenceEngine | None) -> None:
        meta = datadir.read_meta(self.db)
        self.resumed = meta is not None
        settings = datadir.resolve_settings(config, meta)
        check_settings(settings, config)  # before anything is written
        self.chain_id, self.mnemonic = settings.chain_id, settings.mnemonic
        self.num_accounts, self.hd_path = settings.num_accounts, settings.hd_path
        self.balance = settings.balance
        self.model_store = ModelStore(settings.model_store)
        self.inference = default_inference_node(self.model_store.root)
        """Engines, enclave, records and settlement (started by `Node`) of this store."""
        self.engine = engine or self.inference.engine
        tee_root = trust_enclave(self.engine, settings.tee_root_pem, config.tee_ca)
        self.engine.on_settlement.append(self._store_settlement)
        if config.provers is not None:
            self.engine.prover_queue.provers = config.provers
        self.pipe = config.pipe
        self.llm_engine = self.inference.llm_engine
        self.keys = (
            get_account_keys_from_mnemonic(self.mnemonic, self.num_accounts, self.hd_path)
            if self.num_accounts
            else ()
        )
        self.signer = Signer(self.keys)
        self.price_feed = default_price_feed(config.price_csv, config.price_feed_key)
        self.services = ChainServices(self.engine, self.llm_engine, self.price_feed, tee_root)
        profile = config.profile
        self.chain_class = lazy_pending(
            (profile.chain_class if profile else mining_chain_class)(self.chain_id, self.services)
        )
        if meta is None:
            extras = profile.genesis_extras(self.keys) if profile else None
            self.chain = datadir.create_genesis(
                self.db, self.chain_class, self.keys, self.balance, config.gas_limit, extras
            )
            datadir.write_settings(self.db, settings, config, self.chain, self.model_store.root)
        else:
            self.chain = self.chain_class(self.db)
        self.genesis_hash = self.chain.get_canonical_block_hash(0)
        self.block_time = config.block_time
        self._build_parts()
        recovery.resume(self)

    def _build_parts(self) -> None:
        """The parts, each given what it needs (see the module docstring)."""
        self.blocks = Blocks(self.chain, self.db, self.lock)
        self._senders = self.blocks.senders  # the caches, by the names tests clear them by
        self._blocks = self.blocks.block_cache
        self._receipts = self.blocks.receipt_cache
        self.clock = Clock(self.blocks)
        self.miner = Miner(
            self.blocks, self.clock, self.chain_id, self._engine_record, self.block_time
        )
        self.run_ledger = StoredRunLedger(self.db, self._has_transaction)
        self.workflows = ScheduledRuns(self)
        self.miner.before_block = self.workflows.before_seal
        self.miner.on_mined.append(lambda block, _: self.workflows.after_seal(block.header))
        self.lock.on_acquire = self.miner.settle
        self.blocks.owes_block = self.miner.owes_block
        self.txpool = self.miner.pool  # txpool_*, anvil_dropTransaction (rpc/methods/txpool.py)
        self.txpool.drop_pending = lambda tx_hash: pendingdrop.drop_from_pending(self, tx_hash)
        self.heads = HeadControl(self.blocks, self._pending_replaced)
        self.executor = Executor(self.blocks, self.clock, CallBudget.of(self.config))
        self.tracer = Tracer(
            self.blocks,
            self.chain_id,
            self.services,
            self.miner.prestate_root,
            self.executor.exec_header,
            self.executor.budget,
        )
        self.desk = InferenceDesk(self.blocks, self.engine, self.price_feed, self.tracer.stats)
        self.tx_defaults = TxDefaults(
            nonce=lambda address: self.nonce_of(address, PENDING),
            gas=lambda tx: self.estimate_gas(tx, PENDING),
            gas_price=self.gas_price,
            next_base_fee=self.next_base_fee,
        )

    def _engine_record(self, inference_id: str) -> Any:
        return self.engine.records.get(inference_id)

    def _pending_replaced(self) -> None:
        """The head moved: what went with the old pending block is forgotten, and so are
        the inference records (never settled) and price-feed records of the blocks it removed."""
        self.miner.reset_pending()
        self.clock.reset()
        self.services.forget_after(self.blocks.head.block_number)

    def include_transaction(self, tx: SignedTransactionAPI) -> None:
        """ChainHost: the node's own transactions (scheduled runs) into the pending block."""
        self.miner.include(tx)

    def _has_transaction(self, tx_hash: bytes) -> bool:
        return self.find_transaction(tx_hash) is not None

    def close(self) -> None:
        self.miner.stop()
        if self._store_settlement in self.engine.on_settlement:
            self.engine.on_settlement.remove(self._store_settlement)
        with self.lock:
            self.db.close()

    # ------------------------------------------------------------------ accounts

    @property
    def accounts(self) -> list[bytes]:
        return self.signer.accounts

    def sender_of(self, tx: SignedTransactionAPI) -> bytes:
        return self.blocks.sender_of(tx)

    def impersonate(self, address: bytes, on: bool) -> None:
        with self.lock:
            self.signer.impersonate(address, on)

    def sign_message(self, address: bytes, message: bytes) -> bytes:
        return self.signer.sign_message(address, message)

    def sign_typed_data(self, address: bytes, typed: dict[str, Any]) -> bytes:
        return self.signer.sign_typed_data(address, typed)

    # ------------------------------------------------------------------ blocks

    @property
    def head(self) -> BlockHeaderAPI:
        """The canonical head."""
        return self.blocks.head

    def forget_head(self) -> None:
        self.blocks.forget_head()

    def block_number(self) -> int:
        return self.blocks.block_number()

    def header_for(self, ref: BlockRef) -> BlockHeaderAPI | None:
        """The block a block parameter names; None if there is none (yet)."""
        return self.blocks.header_for(ref)

    def block(self, ref: BlockRef) -> tuple[BlockAPI, bool] | None:
        """(block, is_pending)."""
        return self.blocks.block(ref)

    def receipts(self, block: BlockAPI) -> tuple:
        return self.blocks.receipts(block)

    def find_transaction(
        self, tx_hash: bytes
    ) -> tuple[SignedTransactionAPI, BlockAPI | None, int | None] | None:
        """(tx, block or None when pending, index)."""
        return self.blocks.find_transaction(tx_hash)

    # ------------------------------------------------------------------ state reads

    def balance_of(self, address: bytes, ref: BlockRef) -> int:
        return self.blocks.read_state(ref, lambda state: state.get_balance(address))

    def nonce_of(self, address: bytes, ref: BlockRef) -> int:
        """At "pending", past the transactions waiting in the pool without a gap (geth's)."""
        at = self.txpool.next_nonce if ref.tag == "pending" else lambda _, nonce: nonce
        return self.blocks.read_state(ref, lambda state: at(address, state.get_nonce(address)))

    def code_of(self, address: bytes, ref: BlockRef) -> bytes:
        return self.blocks.read_state(ref, lambda state: state.get_code(address))

    def storage_of(self, address: bytes, slot: int, ref: BlockRef) -> int:
        return self.blocks.read_state(ref, lambda state: state.get_storage(address, slot))

    # ------------------------------------------------------------------ transactions

    def send_raw(self, raw: bytes) -> bytes:
        return self.miner.submit(transactions.checked_raw(self.chain, raw))

    def send_transaction(self, tx: TxParams) -> bytes:
        """`eth_sendTransaction`: a dev account signs; an impersonated account is spoofed."""
        sender = transactions.require_sender(tx)
        with self.lock:
            key, stand_in = self.signer.sending_key(sender)
            signed = transactions.sign_transaction(
                self.chain, self.chain_id, tx, key, self.tx_defaults
            )
            signed = transactions.as_received(self.chain, signed)
            return self.miner.submit(signed, sender=sender if stand_in else None)

    def call(self, tx: TxParams, ref: BlockRef, overrides: Any = None) -> bytes:
        return self.executor.call(tx, ref, self.pipe, overrides)

    def estimate_gas(self, tx: TxParams, ref: BlockRef, overrides: Any = None) -> int:
        return self.executor.estimate_gas(tx, ref, self.pipe, overrides)

    def trace_transaction(self, tx_hash: bytes, options: TraceOptions) -> dict[str, Any]:
        return self.tracer.trace_transaction(tx_hash, options)

    def trace_call(self, tx: TxParams, ref: BlockRef, options: TraceOptions) -> dict[str, Any]:
        return self.tracer.trace_call(tx, ref, options, self.pipe)

    # ------------------------------------------------------------------ mining and time

    @property
    def automine(self) -> bool:
        return self.miner.automine

    @property
    def on_mined(self) -> list[Callable[[BlockAPI, list[MinedTx]], None]]:
        return self.miner.on_mined

    def mine(self, blocks: int = 1, timestamp: int | None = None, interval: int = 1) -> list[bytes]:
        return self.miner.mine(blocks, timestamp, interval)

    def set_automine(self, on: bool) -> None:
        self.miner.set_automine(on)

    def sealing_after_response(self) -> AbstractContextManager[None]:
        """Within it, this thread's automined block may be sealed after the caller
        answers; `settle()` (or any later use of the node) seals it."""
        return self.miner.deferring()

    def settle(self) -> None:
        settle_after_response(self.miner, self.chain, self.lock)

    def start_miner(self) -> None:
        self.miner.start()

    def stop_miner(self) -> None:
        self.miner.stop()

    def increase_time(self, seconds: int) -> int:
        with self.lock:
            return self.clock.increase(seconds)

    def set_next_block_timestamp(self, timestamp: int) -> None:
        with self.lock:
            self.clock.set_next(timestamp)
            self.clock.freshen_pending()

    # ------------------------------------------------------------------ head and dev state

    def snapshot(self) -> int:
        return self.heads.snapshot()

    def revert(self, snapshot_id: int) -> bool:
        return self.heads.revert(snapshot_id)

    def set_head(self, number: int) -> None:
        self.heads.set_head(number)

    def set_balance(self, address: bytes, balance: int) -> None:
        with self.lock:
            devstate.set_balance(self.chain, address, balance)

    def set_nonce(self, address: bytes, nonce: int) -> None:
        with self.lock:
            devstate.set_nonce(self.chain, address, nonce)

    def set_code(self, address: bytes, code: bytes) -> None:
        with self.lock:
            devstate.set_code(self.chain, address, code)

    def set_storage(self, address: bytes, slot: int, value: int) -> None:
        with self.lock:
            devstate.set_storage(self.chain, address, slot, value)

    # ------------------------------------------------------------------ fees and logs

    def next_base_fee(self) -> int:
        with self.lock:
            return fees.next_base_fee(self.chain)

    def gas_price(self) -> int:
        with self.lock:
            return fees.gas_price(self.chain)

    def fee_history(self, count: int, newest: BlockRef, percentiles: list[float]) -> dict[str, Any]:
        return fees.fee_history(self.blocks, count, newest, percentiles)

    def logs(self, query: LogFilter, from_number: int | None = None) -> list[tuple]:
        return logs.logs(self.blocks, query, from_number)

    def block_hashes_after(self, number: int) -> list[bytes]:
        return logs.block_hashes_after(self.blocks, number)

    def tx_hashes_after(self, number: int) -> list[bytes]:
        return logs.tx_hashes_after(self.blocks, number)

    # ------------------------------------------------------------------ inference

    def inference_record(self, inference_id: str) -> dict[str, Any] | None:
        return self.desk.record(inference_id)

    def _store_settlement(self, engine_record: Any) -> None:
        self.desk.store_settlement(engine_record)

    def block_inference_records(self, number: int) -> list[dict[str, Any]]:
        return self.desk.block_records(number)

    def price_feed_records(self, number: int) -> list[dict[str, Any]]:
        """What the price data node served (and signed) in block `number`; kept in memory."""
        return self.desk.price_feed_records(number)

    def mock_model_output(self, model_id: str, inputs: Any, outputs: Any) -> str:
        """A mocked answer for (model, exact input); under the lock, so no block in the
        making sees half of it."""
        return self.desk.mock(model_id, inputs, outputs)

    def remove_model_mock(self, key: str) -> bool:
        return self.desk.unmock(key)

    def clear_model_mocks(self) -> int:
        return self.desk.clear_mocks()

    def inference_stats(self) -> dict[str, int]:
        """Model runs and result-cache use; what traces had to run again."""
        return self.desk.stats()


__all__ = ["DataDirError", "MinedTx", "NodeChain", "NodeConfig"]
