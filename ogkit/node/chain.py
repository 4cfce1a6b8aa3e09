"""The node's chain: the AI fork on py-evm, in memory or in LevelDB, with dev controls.

`NodeChain` puts the parts together and is what `rpc.py` talks to; everything here takes
and returns Python values (bytes, ints, py-evm objects). All access goes through one
re-entrant lock (locking.py), so state changes happen one at a time and every read sees one
consistent head. The parts, one job each:

    config.py        the settings (`NodeConfig`)
    datadir.py       the database, the settings stored with the chain, the genesis
    evm.py           the py-evm chain class (0xF4 bound to the inference engine)
    clock.py         block timestamps and the dev clock
    mining.py        transactions into blocks (automine, interval, evm_mine)
    transactions.py  raw transactions decoded and checked; eth_sendTransaction signed
    signing.py       the dev accounts' keys, message signing, impersonation
    execution.py     eth_call, eth_estimateGas
    outcome.py       reverts and refused transactions as JSON-RPC errors
    tracing.py       debug_traceTransaction, debug_traceCall: re-execution
    callframes.py    ... and geth's callTracer frames from it
    head.py          evm_snapshot / evm_revert, debug_setHead
    locking.py       the lock; sealing an automined block after the HTTP response
    devstate.py      anvil_setBalance, ..._setNonce, ..._setCode, ..._setStorageAt
    fees.py          base fee, gas price, eth_feeHistory
    logs.py          eth_getLogs and what filters report
    scheduling.py    scheduled workflows: due tasks' run() calls in each new block

Blocks: the canonical head is the last mined block; py-evm's `MiningChain.header` is the
pending block on top of it. Dev state changes change the pending state, which "latest"
reads see while the pending block holds no transactions.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH
from eth.exceptions import BlockNotFound, HeaderNotFound, TransactionNotFound
from eth_tester.backends.pyevm.main import get_account_keys_from_mnemonic

from ogkit.chain.genesis import DEFAULT_ACCOUNTS, DEFAULT_BALANCE, DEFAULT_MNEMONIC
from ogkit.inference import InferenceEngine
from ogkit.inference.node import default_inference_node
from ogkit.models.store import ModelStore
from ogkit.node import datadir, devstate, execution, fees, head, logs, records, transactions
from ogkit.node.callframes import TraceOptions
from ogkit.node.clock import Clock
from ogkit.node.config import DataDirError, NodeConfig
from ogkit.node.errors import ServerError
from ogkit.node.evm import make_chain_class
from ogkit.node.head import Snapshots
from ogkit.node.locking import SettlingLock
from ogkit.node.mining import SENDER_KEY, MinedTx, Miner
from ogkit.node.params import BlockRef, LogFilter, TxParams
from ogkit.node.scheduling import Workflows
from ogkit.node.signing import Signer
from ogkit.node.tracing import Tracer
from ogkit.pricefeed import default_price_feed, record_json


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value

    def lookup(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class NodeChain:
    def __init__(self, config: NodeConfig, engine: InferenceEngine | None = None) -> None:
        self.lock = SettlingLock()
        self.config = config
        self.db = datadir.open_store(config)
        try:
            self._setup(config, engine)
        except BaseException:
            self.db.close()
            raise

    def _setup(self, config: NodeConfig, engine: InferenceEngine | None) -> None:
        meta = datadir.read_meta(self.db)
        stored = meta or {}
        self.resumed = meta is not None
        self.chain_id = datadir.resolve_chain_id(config, meta)
        self.mnemonic = config.mnemonic or stored.get("mnemonic") or DEFAULT_MNEMONIC
        self.num_accounts = (
            config.accounts
            if config.accounts is not None
            else stored.get("accounts", DEFAULT_ACCOUNTS)
        )
        self.hd_path = config.hd_path
        self.balance = config.balance if config.balance is not None else stored.get("balance")
        if self.balance is None:
            self.balance = DEFAULT_BALANCE
        store_dir = config.model_store
        if (
            store_dir is None
            and stored.get("modelStore")
            and not os.environ.get("OGKIT_MODEL_STORE")
        ):
            store_dir = Path(stored["modelStore"])
        self.model_store = ModelStore(store_dir)
        self.inference = default_inference_node(self.model_store.root)
        """Engines, enclave, records and settlement (started by `Node`) of this store."""
        self.engine = engine or self.inference.engine
        self.engine.on_settlement.append(self._store_settlement)
        self.pipe = config.pipe
        self.llm_engine = self.inference.llm_engine
        self.keys = (
            get_account_keys_from_mnemonic(self.mnemonic, self.num_accounts, self.hd_path)
            if self.num_accounts
            else ()
        )
        self.signer = Signer(self.keys)
        self.price_feed = default_price_feed(config.price_csv)
        self.chain_class = make_chain_class(
            self.chain_id, self.engine, self.price_feed, self.llm_engine
        )
        if meta is None:
            self.chain = datadir.create_genesis(
                self.db, self.chain_class, self.keys, self.balance, config.gas_limit
            )
            datadir.write_meta(
                self.db,
                chainId=self.chain_id,
                mnemonic=self.mnemonic,
                accounts=self.num_accounts,
                balance=self.balance,
                hdPath=self.hd_path,
                gasLimit=config.gas_limit,
                genesisHash="0x" + self.chain.get_canonical_block_hash(0).hex(),
                modelStore=str(self.model_store.root),
            )
        else:
            self.chain = self.chain_class(self.db)
        self.genesis_hash = self.chain.get_canonical_block_hash(0)
        self.block_time = config.block_time
        self._senders = _LRU(65_536)
        self._blocks = _LRU(256)
        self._receipts = _LRU(256)
        self._head: BlockHeaderAPI | None = None
        self.clock = Clock(self)
        self.miner = Miner(self, config.block_time)
        self.workflows = Workflows(self)  # hooks itself into the miner
        self.lock.on_acquire = self.miner.settle
        self.snapshots = Snapshots(self)
        self.tracer = Tracer(self)

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
        with self.lock:
            sender = self._senders.lookup(tx.hash)
            if sender is None:
                stored = self.db.get(SENDER_KEY + tx.hash)
                sender = self._senders.put(tx.hash, stored or tx.sender)
            return sender

    def remember_sender(self, tx_hash: bytes, sender: bytes) -> None:
        self._senders.put(tx_hash, sender)

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
        """The canonical head; kept here, as only sealing and `move_head` change it."""
        with self.lock:
            if self._head is None:
                self._head = self.chain.get_canonical_head()
            return self._head

    def forget_head(self) -> None:
        self._head = None

    def pending_has_txs(self) -> bool:
        return self.chain.header.transaction_root != BLANK_ROOT_HASH

    def block_number(self) -> int:
        with self.lock:
            return self.head.block_number

    def header_for(self, ref: BlockRef) -> BlockHeaderAPI | None:
        """The block a block parameter names; None if there is none (yet)."""
        with self.lock:
            head = self.head
            if ref.hash is not None:
                try:
                    header = self.chain.get_block_header_by_hash(ref.hash)
                except (HeaderNotFound, BlockNotFound):
                    return None
                if not self.is_canonical(header, head):
                    if ref.require_canonical:
                        raise ServerError("block is not canonical")
                    return None
                return header
            if ref.number is not None:
                if ref.number > head.block_number:
                    return None
                return self.chain.get_canonical_block_header_by_number(ref.number)
            if ref.tag == "earliest":
                return self.chain.get_canonical_block_header_by_number(0)
            if ref.tag == "pending":
                return self.chain.header
            return head

    def is_canonical(self, header: BlockHeaderAPI, head: BlockHeaderAPI) -> bool:
        if header.block_number > head.block_number:
            return False
        try:
            return self.chain.get_canonical_block_hash(header.block_number) == header.hash
        except HeaderNotFound:
            return False

    def block(self, ref: BlockRef) -> tuple[BlockAPI, bool] | None:
        """(block, is_pending)."""
        with self.lock:
            header = self.header_for(ref)
            if header is None:
                return None
            if ref.tag == "pending":
                return self.chain.get_block(), True
            return self.block_by_header(header), False

    def block_by_header(self, header: BlockHeaderAPI) -> BlockAPI:
        """Mined blocks are immutable, so recent ones are cached by hash."""
        with self.lock:
            block = self._blocks.lookup(header.hash)
            if block is None:
                block = self._blocks.put(header.hash, self.chain.get_block_by_header(header))
            return block

    def remember_block(self, block: BlockAPI, head: bool = False) -> None:
        """Cache a block just sealed (`head`: it is the new canonical head)."""
        self._blocks.put(block.hash, block)
        if head:
            self._head = block.header

    def remember_receipts(self, block: BlockAPI, receipts: tuple) -> None:
        self._receipts.put(block.hash, receipts)

    def receipts(self, block: BlockAPI) -> tuple:
        with self.lock:
            found = self._receipts.lookup(block.hash)
            if found is None:
                found = tuple(block.get_receipts(self.chain.chaindb))
                if self.chain.chaindb.header_exists(block.hash):
                    self._receipts.put(block.hash, found)
            return found

    def find_transaction(
        self, tx_hash: bytes
    ) -> tuple[SignedTransactionAPI, BlockAPI | None, int] | None:
        """(tx, block or None when pending, index)."""
        with self.lock:
            try:
                number, index = self.chain.chaindb.get_transaction_index(tx_hash)
            except TransactionNotFound:
                number = None
            if number is not None and number <= self.head.block_number:
                block = self.block_by_header(
                    self.chain.get_canonical_block_header_by_number(number)
                )
                if index < len(block.transactions) and block.transactions[index].hash == tx_hash:
                    return block.transactions[index], block, index
            if self.pending_has_txs():
                for i, tx in enumerate(self.chain.get_block().transactions):
                    if tx.hash == tx_hash:
                        return tx, None, i
            return None

    # ------------------------------------------------------------------ state reads

    def _state_header(self, ref: BlockRef) -> BlockHeaderAPI:
        """The header whose state a read at `ref` sees (dev changes included at latest)."""
        if ref.tag in ("latest", "safe", "finalized") and not self.pending_has_txs():
            return self.chain.header
        header = self.header_for(ref)
        if header is None:
            raise ServerError("header not found")
        return header

    @contextmanager
    def state_at(self, ref: BlockRef) -> Iterator[Any]:
        with self.lock:
            yield self.chain.get_vm(self._state_header(ref)).state

    def balance_of(self, address: bytes, ref: BlockRef) -> int:
        with self.state_at(ref) as state:
            return state.get_balance(address)

    def nonce_of(self, address: bytes, ref: BlockRef) -> int:
        with self.state_at(ref) as state:
            return state.get_nonce(address)

    def code_of(self, address: bytes, ref: BlockRef) -> bytes:
        with self.state_at(ref) as state:
            return state.get_code(address)

    def storage_of(self, address: bytes, slot: int, ref: BlockRef) -> int:
        with self.state_at(ref) as state:
            return state.get_storage(address, slot)

    # ------------------------------------------------------------------ transactions

    def send_raw(self, raw: bytes) -> bytes:
        return transactions.send_raw(self, raw)

    def send_transaction(self, tx: TxParams) -> bytes:
        return transactions.send_transaction(self, tx)

    def call(self, tx: TxParams, ref: BlockRef) -> bytes:
        return execution.call(self, tx, ref)

    def estimate_gas(self, tx: TxParams, ref: BlockRef) -> int:
        return execution.estimate_gas(self, tx, ref)

    def trace_transaction(self, tx_hash: bytes, options: TraceOptions) -> dict[str, Any]:
        return self.tracer.trace_transaction(tx_hash, options)

    def trace_call(self, tx: TxParams, ref: BlockRef, options: TraceOptions) -> dict[str, Any]:
        return self.tracer.trace_call(tx, ref, options)

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
        with self.lock:  # taking the lock seals what is owed
            pass

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
        return self.snapshots.snapshot()

    def revert(self, snapshot_id: int) -> bool:
        return self.snapshots.revert(snapshot_id)

    def set_head(self, number: int) -> None:
        head.set_head(self, number)

    def set_balance(self, address: bytes, balance: int) -> None:
        devstate.set_balance(self, address, balance)

    def set_nonce(self, address: bytes, nonce: int) -> None:
        devstate.set_nonce(self, address, nonce)

    def set_code(self, address: bytes, code: bytes) -> None:
        devstate.set_code(self, address, code)

    def set_storage(self, address: bytes, slot: int, value: int) -> None:
        devstate.set_storage(self, address, slot, value)

    # ------------------------------------------------------------------ fees and logs

    def next_base_fee(self) -> int:
        return fees.next_base_fee(self)

    def gas_price(self) -> int:
        return fees.gas_price(self)

    def fee_history(self, count: int, newest: BlockRef, percentiles: list[float]) -> dict[str, Any]:
        return fees.fee_history(self, count, newest, percentiles)

    def logs(self, query: LogFilter, from_number: int | None = None) -> list[tuple]:
        return logs.logs(self, query, from_number)

    def block_hashes_after(self, number: int) -> list[bytes]:
        return logs.block_hashes_after(self, number)

    def tx_hashes_after(self, number: int) -> list[bytes]:
        return logs.tx_hashes_after(self, number)

    # ------------------------------------------------------------------ inference

    def inference_record(self, inference_id: str) -> dict[str, Any] | None:
        with self.lock:
            return records.read_record(self.db, inference_id, self.head.block_number)

    def _store_settlement(self, engine_record: Any) -> None:
        with self.lock:
            records.update_settlement(self.db, engine_record)

    def block_inference_records(self, number: int) -> list[dict[str, Any]]:
        with self.lock:
            if number > self.head.block_number:
                return []
            return records.read_block_records(self.db, number)

    def price_feed_records(self, number: int) -> list[dict[str, Any]]:
        """What the price data node served (and signed) in block `number`; kept in memory."""
        return [record_json(r) for r in self.price_feed.records(number)]

    def mock_model_output(self, model_id: str, inputs: Any, outputs: Any) -> str:
        """A mocked answer for (model, exact input); under the lock, so no block in the
        making sees half of it."""
        with self.lock:
            return self.engine.mock_output(model_id, inputs, outputs)

    def remove_model_mock(self, key: str) -> bool:
        with self.lock:
            return self.engine.unmock(key)

    def clear_model_mocks(self) -> int:
        with self.lock:
            return self.engine.clear_mocks()

    def inference_stats(self) -> dict[str, int]:
        """Model runs and result-cache use; what traces had to run again."""
        with self.lock:
            return {
                "modelRuns": self.engine.model_runs,
                "cachedResults": len(self.engine.cache),
                **self.tracer.stats(),
            }


__all__ = ["DataDirError", "MinedTx", "NodeChain", "NodeConfig"]
