"""The node's chain: the AI fork on py-evm, in memory or in LevelDB, with dev controls.

Everything here takes and returns Python values (bytes, ints, py-evm objects); `rpc.py`
parses and formats JSON-RPC. All access goes through one re-entrant lock, so state changes
happen one at a time and every read sees one consistent head.

Blocks: the canonical head is the last mined block; py-evm's `MiningChain.header` is the
pending block on top of it. With automine each accepted transaction is sealed into its own
block before the RPC call returns; with a block time, a thread seals the pending block
periodically. Dev state changes (`anvil_setBalance` …) change the pending state, which
"latest" reads see while the pending block holds no transactions.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp
from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.consensus import ConsensusApplier, NoProofConsensus
from eth.constants import BLANK_ROOT_HASH
from eth.db.schema import SchemaV1
from eth.exceptions import (
    BlockNotFound,
    HeaderNotFound,
    Revert,
    TransactionNotFound,
)
from eth.rlp.sedes import chain_gaps
from eth.vm.spoof import SpoofTransaction
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_bloom import BloomFilter
from eth_keys import keys as eth_keys
from eth_tester.backends.pyevm.main import (
    get_account_keys_from_mnemonic,
    get_default_genesis_params,
)
from eth_utils import ValidationError, keccak

from ogkit.chain.fork import ai_vm_configuration
from ogkit.chain.genesis import (
    DEFAULT_ACCOUNTS,
    DEFAULT_BALANCE,
    DEFAULT_HD_PATH,
    DEFAULT_MNEMONIC,
    LOCAL_CHAIN_ID,
)
from ogkit.inference import InferenceEngine, default_engine
from ogkit.models.store import ModelStore
from ogkit.node import records
from ogkit.node.db import LevelDB, MemoryDB, open_db
from ogkit.node.errors import ExecutionReverted, InvalidParams, RpcError, ServerError
from ogkit.node.formatting import effective_gas_price, tx_type
from ogkit.node.params import BlockRef, LogFilter, TxParams

META_KEY = b"ogkit:node:meta"
INIT_KEY = b"ogkit:node:init"
SENDER_KEY = b"ogkit:sender:"
META_VERSION = 1
DEFAULT_PRIORITY_FEE = 10**9
DEFAULT_GAS_LIMIT = 30_029_122
MAX_LOG_RESULTS = 10_000
ERROR_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")
PANIC_REASONS = {
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array",
    0x31: "out-of-bounds pop()",
    0x32: "out-of-bounds array access",
    0x41: "out of memory",
    0x51: "uninitialized function pointer",
}


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


class DataDirError(RuntimeError):
    """The data directory cannot be used with these settings."""


@dataclass
class NodeConfig:
    """`None` means: the value stored in the data directory, else the default."""

    chain_id: int | None = None
    accounts: int | None = None
    balance: int | None = None
    mnemonic: str | None = None
    hd_path: str = DEFAULT_HD_PATH
    block_time: float | None = None
    """Seconds between blocks; None mines one block per transaction (automine)."""
    data_dir: Path | None = None
    model_store: Path | None = None
    gas_limit: int = DEFAULT_GAS_LIMIT
    fsync: bool = False


@dataclass
class MinedTx:
    """What the log line of a sealed transaction says."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    status: int
    contract: bytes | None
    inferences: list[records.InferenceEvent] = field(default_factory=list)


@dataclass
class _Snapshot:
    head: bytes
    pending_state_root: bytes | None


def revert_message(output: bytes) -> str:
    """geth's wording: "execution reverted" plus the decoded reason when there is one."""
    if output[:4] == ERROR_SELECTOR:
        try:
            from eth_abi import decode

            (reason,) = decode(["string"], output[4:])
            return f"execution reverted: {reason}"
        except Exception:  # noqa: BLE001 - undecodable reason: report the bare revert
            return "execution reverted"
    if output[:4] == PANIC_SELECTOR and len(output) >= 36:
        code = int.from_bytes(output[4:36], "big")
        meaning = PANIC_REASONS.get(code, "unknown panic")
        return f"execution reverted: panic: {meaning} (0x{code:02x})"
    return "execution reverted"


def _computation_error(computation: ComputationAPI) -> RpcError:
    error = computation.error
    if isinstance(error, Revert):
        output = computation.output or (error.args[0] if error.args else b"")
        if not isinstance(output, bytes):
            output = b""
        return ExecutionReverted(revert_message(output), "0x" + output.hex())
    return ServerError(f"execution failed: {type(error).__name__}: {error}".rstrip(": "))


def _rejection(exc: Exception) -> ServerError:
    """A transaction py-evm refuses before execution, in the words clients look for."""
    text = str(exc)
    if text.startswith("Invalid transaction nonce"):
        try:
            expected = int(text.split("Expected ")[1].split(",")[0])
            got = int(text.rsplit("got ", 1)[1])
        except (IndexError, ValueError):
            return ServerError(text)
        word = "low" if got < expected else "high"
        return ServerError(f"nonce too {word}: next nonce {expected}, tx nonce {got}")
    if "cannot afford txn gas" in text or "does not have enough balance" in text:
        return ServerError(f"insufficient funds for gas * price + value: {text}")
    if text.startswith("Transaction exceeds gas limit"):
        return ServerError(f"exceeds block gas limit: {text}")
    if text == "Insufficient gas":
        return ServerError("intrinsic gas too low")
    if "lower than block's base fee" in text:
        return ServerError(f"max fee per gas less than block base fee: {text}")
    return ServerError(f"invalid transaction: {text}")


def _make_chain_class(chain_id: int, engine: InferenceEngine) -> type[MiningChain]:
    vm_config = ConsensusApplier(NoProofConsensus).amend_vm_configuration(
        ai_vm_configuration(engine)
    )

    class AINodeChain(MiningChain):
        vm_configuration = vm_config

        def create_header_from_parent(self, parent_header, **header_params):
            header_params.setdefault("gas_limit", parent_header.gas_limit)
            return super().create_header_from_parent(parent_header, **header_params)

    AINodeChain.chain_id = chain_id
    return AINodeChain


def _impersonation_key(address: bytes) -> eth_keys.PrivateKey:
    """Signs an impersonated account's transactions; the sender is then overridden."""
    return eth_keys.PrivateKey(keccak(b"ogkit impersonation key" + address))


class NodeChain:
    def __init__(self, config: NodeConfig, engine: InferenceEngine | None = None) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.db = self._open(config)
        try:
            self._setup(config, engine)
        except BaseException:
            self.db.close()
            raise

    def _setup(self, config: NodeConfig, engine: InferenceEngine | None) -> None:
        meta = self._read_meta()
        self.resumed = meta is not None
        self.chain_id = self._resolve_chain_id(config, meta)
        self.mnemonic = config.mnemonic or (meta or {}).get("mnemonic") or DEFAULT_MNEMONIC
        self.num_accounts = (
            config.accounts
            if config.accounts is not None
            else (meta or {}).get("accounts", DEFAULT_ACCOUNTS)
        )
        self.hd_path = config.hd_path
        self.balance = (
            config.balance if config.balance is not None else (meta or {}).get("balance")
        )
        if self.balance is None:
            self.balance = DEFAULT_BALANCE
        store_dir = config.model_store
        if store_dir is None and meta and meta.get("modelStore") and not os.environ.get(
            "OGKIT_MODEL_STORE"
        ):
            store_dir = Path(meta["modelStore"])
        self.model_store = ModelStore(store_dir)
        self.engine = engine or default_engine(self.model_store.root)
        self.keys = (
            get_account_keys_from_mnemonic(self.mnemonic, self.num_accounts, self.hd_path)
            if self.num_accounts
            else ()
        )
        self._key_by_address = {k.public_key.to_canonical_address(): k for k in self.keys}
        self.chain_class = _make_chain_class(self.chain_id, self.engine)
        if meta is None:
            self.chain = self._genesis(config)
            self._write_meta(config)
        else:
            self.chain = self.chain_class(self.db)
        self.genesis_hash = self.chain.get_canonical_block_hash(0)
        self.automine = config.block_time is None
        self.block_time = config.block_time
        self._time_offset = 0
        self._next_timestamp: int | None = None
        self._snapshots: dict[int, _Snapshot] = {}
        self._snapshot_ids = itertools.count(1)
        self._impersonated: set[bytes] = set()
        self._senders = _LRU(65_536)
        self._blocks = _LRU(256)
        self._receipts = _LRU(256)
        self._pending_records: list[dict[str, Any]] = []
        self._pending_mined: list[MinedTx] = []
        self.on_mined: list[Callable[[BlockAPI, list[MinedTx]], None]] = []
        self._stop = threading.Event()
        self._miner: threading.Thread | None = None

    # ------------------------------------------------------------------ storage

    @staticmethod
    def _open(config: NodeConfig) -> LevelDB | MemoryDB:
        if config.data_dir is None:
            return open_db(None)
        data_dir = Path(config.data_dir)
        try:
            db = open_db(data_dir, sync=config.fsync)
        except Exception as exc:  # plyvel.IOError: lock held by another node, permissions
            raise DataDirError(f"cannot open {data_dir / 'chaindata'}: {exc}") from exc
        if db.get(META_KEY) is None and not db.is_empty():
            if db.get(INIT_KEY) is None:
                db.close()
                raise DataDirError(
                    f"{data_dir / 'chaindata'} holds a database that is not an ogkit node's; "
                    "refusing to touch it"
                )
            # Ours, interrupted before the genesis was complete: nothing was served from it.
            db.close()
            shutil.rmtree(data_dir / "chaindata")
            db = open_db(data_dir, sync=config.fsync)
        return db

    def _read_meta(self) -> dict[str, Any] | None:
        raw = self.db.get(META_KEY)
        if raw is None:
            return None
        meta = json.loads(raw)
        if meta.get("version") != META_VERSION:
            raise DataDirError(f"data directory format {meta.get('version')} is not supported")
        return meta

    def _resolve_chain_id(self, config: NodeConfig, meta: dict[str, Any] | None) -> int:
        if meta is None:
            return config.chain_id if config.chain_id is not None else LOCAL_CHAIN_ID
        stored = meta["chainId"]
        if config.chain_id is not None and config.chain_id != stored:
            raise DataDirError(
                f"the data directory holds chain id {stored}, not {config.chain_id}; "
                "use another --data-dir for a new chain"
            )
        return stored

    def _genesis(self, config: NodeConfig) -> MiningChain:
        params = get_default_genesis_params({"gas_limit": config.gas_limit})
        state = {
            key.public_key.to_canonical_address(): {
                "balance": self.balance,
                "nonce": 0,
                "code": b"",
                "storage": {},
            }
            for key in self.keys
        }
        self.db[INIT_KEY] = b"1"
        self.chain_class.from_genesis(self.db, params, state)
        return self.chain_class(self.db)

    def _write_meta(self, config: NodeConfig) -> None:
        meta = {
            "version": META_VERSION,
            "chainId": self.chain_id,
            "mnemonic": self.mnemonic,
            "accounts": self.num_accounts,
            "balance": self.balance,
            "hdPath": self.hd_path,
            "gasLimit": config.gas_limit,
            "genesisHash": "0x" + self.chain.get_canonical_block_hash(0).hex(),
            "modelStore": str(self.model_store.root),
            "created": int(time.time()),
        }
        self.db[META_KEY] = json.dumps(meta).encode()

    def close(self) -> None:
        self.stop_miner()
        with self.lock:
            self.db.close()

    # ------------------------------------------------------------------ accounts

    @property
    def accounts(self) -> list[bytes]:
        return list(self._key_by_address)

    def sender_of(self, tx: SignedTransactionAPI) -> bytes:
        with self.lock:
            sender = self._senders.lookup(tx.hash)
            if sender is None:
                stored = self.db.get(SENDER_KEY + tx.hash)
                sender = self._senders.put(tx.hash, stored or tx.sender)
            return sender

    def impersonate(self, address: bytes, on: bool) -> None:
        with self.lock:
            (self._impersonated.add if on else self._impersonated.discard)(address)

    # ------------------------------------------------------------------ blocks

    @property
    def head(self) -> BlockHeaderAPI:
        return self.chain.get_canonical_head()

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
                if not self._is_canonical(header, head):
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

    def _is_canonical(self, header: BlockHeaderAPI, head: BlockHeaderAPI) -> bool:
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

    # ------------------------------------------------------------------ time

    def _timestamp_for_next_block(self) -> int:
        if self._next_timestamp is not None:
            return self._next_timestamp
        return max(int(time.time()) + self._time_offset, self.head.timestamp + 1)

    def _freshen_pending(self) -> None:
        """An empty pending block takes the time it is first used at, not when it was made."""
        if not self.pending_has_txs():
            timestamp = self._timestamp_for_next_block()
            if timestamp != self.chain.header.timestamp:
                self.chain.header = self.chain.header.copy(timestamp=timestamp)

    def increase_time(self, seconds: int) -> int:
        with self.lock:
            self._time_offset += seconds
            self._freshen_pending()
            return self._time_offset

    def set_next_block_timestamp(self, timestamp: int) -> None:
        with self.lock:
            if timestamp <= self.head.timestamp:
                raise ServerError(
                    f"timestamp {timestamp} must be greater than the latest block's "
                    f"({self.head.timestamp})"
                )
            self._next_timestamp = timestamp
            self._time_offset = timestamp - int(time.time())
            self._freshen_pending()

    # ------------------------------------------------------------------ execution

    def _exec_header(self, ref: BlockRef) -> BlockHeaderAPI:
        """The context a call runs in: the next block for latest/pending, else that block."""
        if ref.hash is None and ref.number is None and ref.tag != "earliest":
            if ref.tag == "pending" or not self.pending_has_txs():
                base = self.chain.header
                if not self.pending_has_txs():
                    base = base.copy(timestamp=self._timestamp_for_next_block())
            else:
                base = self.chain.create_header_from_parent(self.head)
        else:
            base = self.header_for(ref)
            if base is None:
                raise ServerError("header not found")
        fields = {"gas_used": 0}
        if hasattr(base, "base_fee_per_gas"):
            fields["base_fee_per_gas"] = 0
        return base.copy(**fields)

    def _spoof(self, vm: Any, tx: TxParams, gas: int) -> SpoofTransaction:
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(tx.sender or b"\x00" * 20),
            gas_price=0,
            gas=gas,
            to=tx.to or b"",
            value=tx.value,
            data=tx.data,
        )
        return SpoofTransaction(unsigned, from_=tx.sender or b"\x00" * 20)

    def _run(self, vm: Any, tx: TxParams, gas: int) -> ComputationAPI:
        state = vm.state
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(self._spoof(vm, tx, gas))
        finally:
            state.revert(snapshot)

    def call(self, tx: TxParams, ref: BlockRef) -> bytes:
        with self.lock:
            header = self._exec_header(ref)
            gas = min(tx.gas or header.gas_limit, header.gas_limit)
            vm = self.chain.get_vm(header)
            try:
                computation = self._run(vm, tx, gas)
            except ValidationError as exc:
                raise _rejection(exc) from None
            if computation.is_error:
                raise _computation_error(computation)
            return computation.output

    def estimate_gas(self, tx: TxParams, ref: BlockRef) -> int:
        with self.lock:
            header = self._exec_header(ref)
            cap = min(tx.gas or header.gas_limit, header.gas_limit)
            vm = self.chain.get_vm(header)

            def attempt(gas: int) -> ComputationAPI:
                try:
                    return self._run(vm, tx, gas)
                except ValidationError as exc:
                    raise _rejection(exc) from None

            first = attempt(cap)
            if first.is_error:
                raise _computation_error(first)
            intrinsic = self._spoof(vm, tx, cap).intrinsic_gas
            low = intrinsic + first.get_gas_used()
            if not attempt(low).is_error:
                return low
            guess = min(cap, low * 64 // 63 + 2_300)
            if guess < cap and not attempt(guess).is_error:
                high = guess
            else:
                low, high = guess, cap
            while high - low > max(1, low // 1000):
                middle = (low + high) // 2
                if attempt(middle).is_error:
                    low = middle
                else:
                    high = middle
            return high

    # ------------------------------------------------------------------ transactions

    def decode_raw(self, raw: bytes) -> SignedTransactionAPI:
        if not raw:
            raise InvalidParams("empty raw transaction")
        if raw[0] == 3:
            raise ServerError("blob transactions (type 3) are not supported")
        try:
            tx = self.chain.get_vm().get_transaction_builder().decode(raw)
        except Exception as exc:  # noqa: BLE001 - rlp and builder raise many kinds
            raise InvalidParams(f"invalid raw transaction: {exc}") from None
        return tx

    def _check_chain_id(self, tx: SignedTransactionAPI) -> None:
        if tx_type(tx) == 0:
            v = tx.v
            if v >= 35 and (v - 35) // 2 != self.chain_id:
                raise ServerError(f"invalid chain id: {(v - 35) // 2}, expected {self.chain_id}")
        elif tx.chain_id != self.chain_id:
            raise ServerError(f"invalid chain id: {tx.chain_id}, expected {self.chain_id}")

    def send_raw(self, raw: bytes) -> bytes:
        tx = self.decode_raw(raw)
        try:
            tx.sender  # noqa: B018 - recover it now: a bad signature fails here, readably
        except Exception as exc:  # noqa: BLE001
            raise ServerError(f"invalid transaction signature: {exc}") from None
        return self._submit(tx)

    def _submit(self, tx: SignedTransactionAPI, sender: bytes | None = None) -> bytes:
        self._check_chain_id(tx)
        with self.lock:
            if self.find_transaction(tx.hash) is not None:
                raise ServerError("already known")
            if sender is not None:
                tx.__dict__["sender"] = sender
            self._freshen_pending()
            try:
                block, receipt, computation = self.chain.apply_transaction(tx)
            except ValidationError as exc:
                raise _rejection(exc) from None
            self._senders.put(tx.hash, sender or tx.sender)
            if sender is not None:
                self.db[SENDER_KEY + tx.hash] = sender
            events = records.inference_events(receipt.logs)
            for event in events:
                self._pending_records.append(
                    records.record_json(self.engine.records.get(event.inference_id), event, tx.hash)
                )
            previous = (
                block.get_receipts(self.chain.chaindb)[-2].gas_used
                if len(block.transactions) > 1
                else 0
            )
            self._pending_mined.append(
                MinedTx(
                    tx_hash=tx.hash,
                    block_number=block.number,
                    gas_used=receipt.gas_used - previous,
                    status=1 if receipt.state_root == b"\x01" else 0,
                    contract=None
                    if tx.to
                    else keccak(rlp.encode([self.sender_of(tx), tx.nonce]))[12:],
                    inferences=events,
                )
            )
            if self.automine:
                self._mine_one()
            return tx.hash

    def send_transaction(self, tx: TxParams) -> bytes:
        """`eth_sendTransaction`: a dev account signs; an impersonated account is spoofed."""
        if tx.sender is None:
            raise InvalidParams("transaction.from is required")
        with self.lock:
            key = self._key_by_address.get(tx.sender)
            impersonated = tx.sender in self._impersonated
            if key is None and not impersonated:
                raise ServerError(
                    f"unknown account 0x{tx.sender.hex()}: not a dev account and not "
                    "impersonated (anvil_impersonateAccount)"
                )
            signed = self._sign(tx, key or _impersonation_key(tx.sender))
            return self._submit(signed, sender=None if key else tx.sender)

    def _sign(self, tx: TxParams, key: eth_keys.PrivateKey) -> SignedTransactionAPI:
        pending = BlockRef(tag="pending")
        vm = self.chain.get_vm()
        builder = vm.get_transaction_builder()
        nonce = tx.nonce if tx.nonce is not None else self.nonce_of(tx.sender, pending)
        if tx.chain_id is not None and tx.chain_id != self.chain_id:
            raise ServerError(f"invalid chain id: {tx.chain_id}, expected {self.chain_id}")
        gas = tx.gas if tx.gas is not None else self.estimate_gas(tx, pending)
        kind = tx.type
        if kind is None:
            if tx.gas_price is not None and tx.max_fee_per_gas is None:
                kind = 1 if tx.access_list else 0
            else:
                kind = 2
        common = {"nonce": nonce, "gas": gas, "to": tx.to or b"", "value": tx.value}
        if kind == 0:
            unsigned = vm.create_unsigned_transaction(
                gas_price=tx.gas_price if tx.gas_price is not None else self.gas_price(),
                data=tx.data,
                **common,
            )
            return unsigned.as_signed_transaction(key, chain_id=self.chain_id)
        if kind == 1:
            unsigned = builder.new_unsigned_access_list_transaction(
                chain_id=self.chain_id,
                gas_price=tx.gas_price if tx.gas_price is not None else self.gas_price(),
                data=tx.data,
                access_list=tuple((a, tuple(k)) for a, k in tx.access_list),
                **common,
            )
            return unsigned.as_signed_transaction(key)
        if kind == 2:
            priority = (
                tx.max_priority_fee_per_gas
                if tx.max_priority_fee_per_gas is not None
                else DEFAULT_PRIORITY_FEE
            )
            max_fee = (
                tx.max_fee_per_gas
                if tx.max_fee_per_gas is not None
                else 2 * self.next_base_fee() + priority
            )
            unsigned = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=self.chain_id,
                max_priority_fee_per_gas=priority,
                max_fee_per_gas=max_fee,
                data=tx.data,
                access_list=tuple((a, tuple(k)) for a, k in tx.access_list),
                **common,
            )
            return unsigned.as_signed_transaction(key)
        raise InvalidParams(f"transaction type {kind} is not supported by eth_sendTransaction")

    # ------------------------------------------------------------------ mining

    def _mine_one(self, timestamp: int | None = None) -> BlockAPI:
        if timestamp is not None:
            if timestamp <= self.head.timestamp:
                raise ServerError(
                    f"timestamp {timestamp} must be greater than the latest block's "
                    f"({self.head.timestamp})"
                )
            self._next_timestamp = timestamp
            self._time_offset = timestamp - int(time.time())
        if not self.pending_has_txs():
            self._freshen_pending()
        elif self._next_timestamp is not None:
            self.chain.header = self.chain.header.copy(timestamp=self._next_timestamp)
        number = self.chain.header.block_number
        with self.db.atomic_batch() as batch:
            records.write_block_records(batch, number, self._pending_records)
        block = self.chain.mine_block(mix_hash=os.urandom(32))
        self._blocks.put(block.hash, block)
        self._next_timestamp = None
        self._pending_records = []
        mined, self._pending_mined = self._pending_mined, []
        for listener in self.on_mined:
            try:
                listener(block, mined)
            except Exception:  # noqa: BLE001, S110 - a log line must not undo a block
                pass
        return block

    def mine(self, blocks: int = 1, timestamp: int | None = None, interval: int = 1) -> list[bytes]:
        with self.lock:
            hashes = []
            for i in range(blocks):
                stamp = None
                if timestamp is not None:
                    stamp = timestamp + i * interval
                elif i and interval > 1:
                    stamp = self.head.timestamp + interval
                hashes.append(self._mine_one(stamp).hash)
            return hashes

    def set_automine(self, on: bool) -> None:
        with self.lock:
            self.automine = on
            if on and self.pending_has_txs():
                self._mine_one()

    def start_miner(self) -> None:
        if self.block_time is None or self._miner is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self.block_time):
                try:
                    with self.lock:
                        self._mine_one()
                except Exception as exc:  # noqa: BLE001 - keep the block clock running
                    print(f"interval mining failed: {exc}", flush=True)

        self._miner = threading.Thread(target=loop, name="ogkit-miner", daemon=True)
        self._miner.start()

    def stop_miner(self) -> None:
        self._stop.set()
        if self._miner is not None:
            self._miner.join(timeout=5)
            self._miner = None

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> int:
        with self.lock:
            snapshot_id = next(self._snapshot_ids)
            pending_root = None if self.pending_has_txs() else self.chain.header.state_root
            self._snapshots[snapshot_id] = _Snapshot(self.head.hash, pending_root)
            return snapshot_id

    def revert(self, snapshot_id: int) -> bool:
        with self.lock:
            snapshot = self._snapshots.get(snapshot_id)
            if snapshot is None:
                return False
            for later in [i for i in self._snapshots if i >= snapshot_id]:
                del self._snapshots[later]
            header = self.chain.get_block_header_by_hash(snapshot.head)
            if not self._is_canonical(header, self.head):
                return False  # its block was dropped since (debug_setHead, an older revert)
            self._set_head(header, snapshot.pending_state_root)
            return True

    def set_head(self, number: int) -> None:
        with self.lock:
            if number > self.head.block_number:
                raise ServerError(f"block {number} is ahead of the head {self.head.block_number}")
            self._set_head(self.chain.get_canonical_block_header_by_number(number), None)

    def _set_head(self, header: BlockHeaderAPI, pending_state_root: bytes | None) -> None:
        """Make `header` the head: later blocks, their transaction lookups and inference
        records leave the canonical chain, all in one atomic batch."""
        old = self.head
        chaindb = self.chain.chaindb
        if header.hash != old.hash:
            with self.db.atomic_batch() as batch:
                for number in range(header.block_number + 1, old.block_number + 1):
                    key = SchemaV1.make_block_number_to_hash_lookup_key(number)
                    block_hash = rlp.decode(batch[key], sedes=rlp.sedes.binary)
                    old_header = chaindb.get_block_header_by_hash(block_hash)
                    for tx_hash in chaindb.get_block_transaction_hashes(old_header):
                        lookup = SchemaV1.make_transaction_hash_to_block_lookup_key(tx_hash)
                        if lookup in batch:
                            del batch[lookup]
                    del batch[key]
                    records.delete_block_records(batch, number)
                gaps = rlp.encode(((), header.block_number + 1), sedes=chain_gaps)
                batch[SchemaV1.make_header_chain_gaps_lookup_key()] = gaps
                batch[SchemaV1.make_chain_gaps_lookup_key()] = gaps
                batch[SchemaV1.make_canonical_head_hash_lookup_key()] = header.hash
        pending = self.chain.create_header_from_parent(header)
        if pending_state_root is not None:
            pending = pending.copy(state_root=pending_state_root)
        self.chain.header = pending
        self._pending_records = []
        self._pending_mined = []
        self._next_timestamp = None
        self._freshen_pending()

    # ------------------------------------------------------------------ dev state

    def modify_state(self, change: Callable[[Any], None]) -> None:
        with self.lock:
            state = self.chain.get_vm().state
            change(state)
            state.persist()
            self.chain.header = self.chain.header.copy(state_root=state.state_root)

    def set_balance(self, address: bytes, balance: int) -> None:
        self.modify_state(lambda state: state.set_balance(address, balance))

    def set_nonce(self, address: bytes, nonce: int) -> None:
        self.modify_state(lambda state: state.set_nonce(address, nonce))

    def set_code(self, address: bytes, code: bytes) -> None:
        self.modify_state(lambda state: state.set_code(address, code))

    def set_storage(self, address: bytes, slot: int, value: int) -> None:
        self.modify_state(lambda state: state.set_storage(address, slot, value))

    # ------------------------------------------------------------------ fees

    def next_base_fee(self) -> int:
        with self.lock:
            return getattr(self.chain.header, "base_fee_per_gas", 0) or 0

    def gas_price(self) -> int:
        return self.next_base_fee() + DEFAULT_PRIORITY_FEE

    def fee_history(
        self, count: int, newest: BlockRef, percentiles: list[float]
    ) -> dict[str, Any]:
        with self.lock:
            head = self.head
            if newest.tag == "pending":
                newest_number = head.block_number
            else:
                header = self.header_for(newest)
                if header is None:
                    raise ServerError("header not found")
                newest_number = header.block_number
            count = max(0, min(count, 1024, newest_number + 1))
            oldest = newest_number - count + 1
            base_fees, ratios, rewards = [], [], []
            for number in range(oldest, newest_number + 1):
                header = self.chain.get_canonical_block_header_by_number(number)
                base_fees.append(getattr(header, "base_fee_per_gas", 0) or 0)
                ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
                if percentiles:
                    rewards.append(self._block_rewards(header, percentiles))
            if newest_number == head.block_number:
                base_fees.append(self.next_base_fee())
            else:
                following = self.chain.get_canonical_block_header_by_number(newest_number + 1)
                base_fees.append(getattr(following, "base_fee_per_gas", 0) or 0)
            result: dict[str, Any] = {
                "oldestBlock": oldest if count else newest_number,
                "baseFeePerGas": base_fees if count else [],
                "gasUsedRatio": ratios,
                "baseFeePerBlobGas": [0] * (count + 1) if count else [],
                "blobGasUsedRatio": [0.0] * count,
            }
            if percentiles:
                result["reward"] = rewards
            return result

    def _block_rewards(self, header: BlockHeaderAPI, percentiles: list[float]) -> list[int]:
        block = self.block_by_header(header)
        if not block.transactions:
            return [0] * len(percentiles)
        receipts = self.receipts(block)
        base_fee = getattr(header, "base_fee_per_gas", 0) or 0
        items = []
        previous = 0
        for tx, receipt in zip(block.transactions, receipts, strict=False):
            used = receipt.gas_used - previous
            previous = receipt.gas_used
            items.append((effective_gas_price(tx, base_fee) - base_fee, used))
        items.sort()
        total = sum(used for _, used in items) or 1
        out = []
        for p in percentiles:
            threshold = total * p / 100
            cumulative = 0
            reward = items[-1][0]
            for tip, used in items:
                cumulative += used
                if cumulative >= threshold:
                    reward = tip
                    break
            out.append(reward)
        return out

    # ------------------------------------------------------------------ logs

    def logs(self, query: LogFilter, from_number: int | None = None) -> list[tuple]:
        """Matching (log, block, tx, tx_index, log_index) tuples, oldest first."""
        with self.lock:
            head = self.head.block_number
            if query.block_hash is not None:
                header = self.header_for(BlockRef(hash=query.block_hash))
                if header is None:
                    raise ServerError("unknown block")
                start = end = header.block_number
            else:
                start = self._filter_bound(query.from_block, head)
                end = self._filter_bound(query.to_block, head)
                if from_number is not None:
                    start = max(start, from_number)
                end = min(end, head)
            out: list[tuple] = []
            for number in range(start, end + 1):
                header = self.chain.get_canonical_block_header_by_number(number)
                if not _bloom_may_match(header.bloom, query):
                    continue
                block = self.block_by_header(header)
                receipts = self.receipts(block)
                log_index = 0
                for tx_index, (tx, receipt) in enumerate(
                    zip(block.transactions, receipts, strict=False)
                ):
                    for log in receipt.logs:
                        if _log_matches(log, query):
                            out.append((log, block, tx, tx_index, log_index))
                            if len(out) > MAX_LOG_RESULTS:
                                raise ServerError(
                                    f"query returned more than {MAX_LOG_RESULTS} results; "
                                    "narrow the block range"
                                )
                        log_index += 1
            return out

    def _filter_bound(self, ref: BlockRef | None, head: int) -> int:
        if ref is None or ref.tag in ("latest", "safe", "finalized", "pending"):
            return head
        if ref.tag == "earliest":
            return 0
        return ref.number if ref.number is not None else head

    def block_hashes_after(self, number: int) -> list[bytes]:
        with self.lock:
            head = self.head.block_number
            return [
                self.chain.get_canonical_block_hash(n) for n in range(number + 1, head + 1)
            ]

    def tx_hashes_after(self, number: int) -> list[bytes]:
        with self.lock:
            out = []
            for n in range(number + 1, self.head.block_number + 1):
                header = self.chain.get_canonical_block_header_by_number(n)
                out.extend(self.chain.chaindb.get_block_transaction_hashes(header))
            return out

    # ------------------------------------------------------------------ signing

    def sign_message(self, address: bytes, message: bytes) -> bytes:
        key = self._signing_key(address)
        return bytes(Account.sign_message(encode_defunct(primitive=message), key).signature)

    def sign_typed_data(self, address: bytes, typed: dict[str, Any]) -> bytes:
        key = self._signing_key(address)
        try:
            encoded = encode_typed_data(full_message=typed)
        except Exception as exc:  # noqa: BLE001 - eth-account raises several kinds
            raise InvalidParams(f"invalid typed data: {exc}") from None
        return bytes(Account.sign_message(encoded, key).signature)

    def _signing_key(self, address: bytes) -> bytes:
        key = self._key_by_address.get(address)
        if key is None:
            raise ServerError(f"no key for account 0x{address.hex()}: not a dev account")
        return key.to_bytes()

    # ------------------------------------------------------------------ inference

    def inference_record(self, inference_id: str) -> dict[str, Any] | None:
        with self.lock:
            return records.read_record(self.db, inference_id, self.head.block_number)

    def block_inference_records(self, number: int) -> list[dict[str, Any]]:
        with self.lock:
            if number > self.head.block_number:
                return []
            return records.read_block_records(self.db, number)


def _bloom_may_match(bloom: int, query: LogFilter) -> bool:
    if not query.addresses and not any(query.topics):
        return True
    filt = BloomFilter(bloom)
    if query.addresses and not any(a in filt for a in query.addresses):
        return False
    for alternatives in query.topics:
        if alternatives and not any(t in filt for t in alternatives):
            return False
    return True


def _log_matches(log: Any, query: LogFilter) -> bool:
    if query.addresses and log.address not in query.addresses:
        return False
    for position, alternatives in enumerate(query.topics):
        if alternatives is None:
            continue
        if position >= len(log.topics):
            return False
        if log.topics[position].to_bytes(32, "big") not in alternatives:
            return False
    return True
