"""One mixin makes any eth-tester backend an AI chain backend.

`AIBackendMixin` goes in front of eth-tester's `PyEVMBackend` (`tester.AIChainBackend`,
behind `new_tester`) or Ape's `ApeEVMBackend` (ape_opengradient/provider.py). It gives the
backend:

- the AI chain (assembly.py) from its `services`, with the AI genesis extras
  (genesis.py), kept across `reset_to_genesis` (eth-tester's would rebuild a plain Prague
  chain) with its chain id;
- calls and estimates run as simulations (phase.py: no inference records; PIPE's empty
  results when `pipe`);
- scheduled workflow runs in every new block (scheduling.py), the backend being their host
  (host.py);
- one chain lock around every public method (locking.py), so the settlement service can
  share the chain from its thread;
- inference records that follow the chain back: a snapshot revert or a reset takes the
  records of the blocks it removed with it (else the settlement service settles a record
  of a reverted test in a later test's blocks).

A subclass says whose accounts are funded (`dev_accounts`) and, if eth-tester's attributes
are not where the chain goes, overrides `_adopt_chain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth.constants import GENESIS_PARENT_HASH
from eth_tester.backends.pyevm.main import setup_tester_chain
from eth_tester.backends.pyevm.serializers import serialize_block
from eth_utils import ValidationError, to_bytes

from ogkit.chain.assembly import ChainServices, vm_configuration
from ogkit.chain.calls import call_at, call_failure
from ogkit.chain.fork import floor_data_gas
from ogkit.chain.gas_search import estimate_gas
from ogkit.chain.genesis import genesis_extras
from ogkit.chain.locking import ChainLock, lock_public_methods
from ogkit.chain.phase import execution_phase, simulation_phase
from ogkit.chain.scheduling import (
    ZERO_ADDRESS,
    ScheduledRuns,
    StoredRunLedger,
    is_canonical_tx,
)
from ogkit.chain.seal_alone import apply_and_seal, can_seal_alone, kept_receipt
from ogkit.chain.sender_once import keep_checked_sender


@dataclass(frozen=True)
class DevAccounts:
    """The funded test accounts of a backend's genesis."""

    mnemonic: str
    number: int
    hd_path: str
    balance: int


class AIBackendMixin:
    """For `PyEVMBackend` subclasses (listed before it). Set `services` (and `pipe`) before
    eth-tester's `__init__` runs; the lock and the scheduler exist from `__new__` on,
    because that `__init__` already calls locked methods."""

    services: ChainServices
    pipe: bool = False
    """The network's two-phase-execution setting (off by default, like a plain `eth_call`
    everywhere else; on emulates the alpha testnet)."""
    chain: Any
    chain_id: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        lock_public_methods(cls)

    def __new__(cls, *args: Any, **kwargs: Any) -> AIBackendMixin:
        self = super().__new__(cls)
        self._chain_lock = ChainLock()
        self.run_ledger = StoredRunLedger({}, self._is_canonical)
        self.scheduled_runs = ScheduledRuns(self)
        return self

    # ------------------------------------------------------------------ genesis and chain

    def dev_accounts(self) -> DevAccounts:
        raise NotImplementedError

    @cached_property
    def genesis_state(self) -> dict:
        """The funded dev accounts and everything a local chain has besides them."""
        accounts = self.dev_accounts()
        funded = self.generate_genesis_state(  # type: ignore[attr-defined]
            mnemonic=accounts.mnemonic,
            overrides={"balance": accounts.balance},
            num_accounts=accounts.number,
            hd_path=accounts.hd_path,
        )
        return funded | genesis_extras()

    def _new_chain(
        self,
        genesis_params: Any = None,
        genesis_state: Any = None,
        vm_config: Any = None,
        mnemonic: str | None = None,
        hd_path: str | None = None,
    ) -> tuple[tuple, Any]:
        """(dev account keys, chain) of a fresh AI chain."""
        accounts = self.dev_accounts()
        keys, chain = setup_tester_chain(
            genesis_params,
            genesis_state or self.genesis_state,
            accounts.number,
            vm_config or vm_configuration(self.services),
            mnemonic or accounts.mnemonic,
            hd_path or accounts.hd_path,
        )
        type(chain).chain_id = self.chain_id
        chain.gas_estimator = estimate_gas  # geth's search: ~3 runs, not ~12 (gas_search.py)
        # eth-tester derives one key per genesis entry: the system accounts and contracts
        return keys[: accounts.number], chain

    def _adopt_chain(self, keys: tuple, chain: Any) -> None:
        self.account_keys = keys
        self.chain = chain

    def reset_to_genesis(
        self,
        genesis_params=None,  # noqa: ANN001 - eth-tester's signature
        genesis_state=None,  # noqa: ANN001
        num_accounts=None,  # noqa: ANN001, ARG002 - the dev accounts say
        vm_configuration=None,  # noqa: ANN001
        mnemonic=None,  # noqa: ANN001
        hd_path=None,  # noqa: ANN001
    ) -> None:
        self._adopt_chain(
            *self._new_chain(genesis_params, genesis_state, vm_configuration, mnemonic, hd_path)
        )
        self._forget_reverted_records()

    # ------------------------------------------------------------------ the host (host.py)

    @property
    def chain_lock(self) -> ChainLock:
        return self._chain_lock

    def idle_seconds(self) -> float:
        return self._chain_lock.idle_seconds()

    def include_transaction(self, tx: Any) -> None:
        self.chain.apply_transaction(tx)

    def _is_canonical(self, tx_hash: bytes) -> bool:
        return is_canonical_tx(self.chain, tx_hash)

    # ------------------------------------------------------------------ reads at the head

    def latest_header(self) -> Any:
        """The header of eth-tester's "latest" block (the one before the pending block),
        without building the block; decoded once per block (Ape reads it a few times per
        transaction; headers are kept by hash, which names one header for good)."""
        chain = self.chain
        chaindb = chain.chaindb
        block_hash = chaindb.get_canonical_block_hash(max(0, chain.header.block_number - 1))
        kept = self.__dict__.get("_kept_latest_header")
        if kept is not None and kept.hash == block_hash:
            return kept
        header = chaindb.get_block_header_by_hash(block_hash)
        self.__dict__["_kept_latest_header"] = header
        return header

    def pending_header(self) -> Any:
        """The header of eth-tester's "pending" block."""
        return self.chain.header

    def _latest_state(self) -> Any:
        """The state of the "latest" block, kept until the head moves: Ape reads the nonce,
        balance and code a few times per transaction, and each eth-tester read builds the
        whole block, a VM and a state with cold caches. Reads only; nothing writes to it."""
        chain = self.chain
        header = self.latest_header()
        kept = self.__dict__.get("_kept_latest_state")
        if kept is not None and kept[0] is chain and kept[1] == header.hash:
            return kept[2]
        state = chain.get_vm(header).state
        self.__dict__["_kept_latest_state"] = (chain, header.hash, state)
        return state

    def get_block_by_number(self, block_number: Any, full_transaction: bool = True) -> dict:
        """eth-tester's; "latest" read by number without building the pending block twice
        (Ape asks for it on every snapshot restore and `chain.blocks.height`)."""
        if block_number != "latest":
            return super().get_block_by_number(block_number, full_transaction)  # type: ignore[misc]
        chain = self.chain
        block = chain.get_canonical_block_by_number(self.latest_header().block_number)
        return serialize_block(block, full_transaction, block.number == chain.header.block_number)

    def take_snapshot(self) -> bytes:
        """eth-tester's (the latest block's hash), from the header alone (Ape takes one
        before every test)."""
        return self.latest_header().hash

    def get_nonce(self, account: bytes, block_number: Any = "latest") -> int:
        if block_number == "latest":
            return self._latest_state().get_nonce(account)
        return super().get_nonce(account, block_number)  # type: ignore[misc]

    def get_balance(self, account: bytes, block_number: Any = "latest") -> int:
        if block_number == "latest":
            return self._latest_state().get_balance(account)
        return super().get_balance(account, block_number)  # type: ignore[misc]

    def get_code(self, account: bytes, block_number: Any = "latest") -> bytes:
        if block_number == "latest":
            return self._latest_state().get_code(account)
        return super().get_code(account, block_number)  # type: ignore[misc]

    # ------------------------------------------------------------------ calls and estimates

    def call(self, transaction, block_number="latest"):  # noqa: ANN001, ANN201 - eth-tester's
        """eth-tester's, as a simulation; at "latest" without building the pending and the
        latest block to find the latest header (calls.py)."""
        with execution_phase(simulation_phase(self.pipe)):
            if block_number != "latest":
                return super().call(transaction, block_number)  # type: ignore[misc]
            computation = call_at(self, transaction, self.latest_header())
        if computation.is_error:
            raise call_failure(self, computation.error)
        return computation.output

    def estimate_gas(self, transaction, block_number="latest"):  # noqa: ANN001, ANN201
        """py-evm's search, raised to EIP-7623's calldata floor (geth's `max(estimate,
        floor)`): its trial runs are exempt from the floor rule (fork.py), so the search
        finds what execution needs, and a limit below the floor would be refused."""
        with execution_phase(simulation_phase(self.pipe)):
            estimate = super().estimate_gas(transaction, block_number)  # type: ignore[misc]
        data = transaction.get("data") or b""
        floor = floor_data_gas(data if isinstance(data, bytes) else to_bytes(hexstr=data))
        limit = self.chain.header.gas_limit  # the pending block's, as `get_block()`'s header
        if floor > limit:
            raise ValidationError(f"gas required exceeds allowance ({limit})")
        return max(estimate, floor)

    # ------------------------------------------------------------------ blocks

    def _seal_one(self, coinbase: bytes = ZERO_ADDRESS) -> bytes:
        (block_hash,) = super().mine_blocks(1, coinbase)  # type: ignore[misc]
        self.scheduled_runs.after_seal(self.chain.get_block_header_by_hash(block_hash))
        return block_hash

    def _runs_first(self) -> None:
        if self.scheduled_runs.runs_first():
            self._seal_one()

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        self._runs_first()
        return super().send_raw_transaction(raw_transaction)  # type: ignore[misc]

    def send_raw_and_mine(self, raw_transaction: bytes) -> tuple[bytes, Any]:
        """eth-tester's `send_raw_transaction` plus its auto-mine, in one hold of the lock,
        handing back (hash, the transaction's own computation): its output, error and calls
        answer what Ape would otherwise re-execute the transaction for (ape_opengradient/
        direct.py). Not for blob transactions (eth-tester strips their sidecar first)."""
        self._runs_first()
        chain = self.chain
        vm_class = chain.get_vm_class_for_block_number(chain.header.block_number)
        tx = vm_class.get_transaction_builder().decode(raw_transaction)
        keep_checked_sender(tx)  # a legacy tx's sender: recovered once, not twice
        if can_seal_alone(chain) and self.scheduled_runs.idle():
            block, receipt, computation, state = apply_and_seal(chain, tx)  # eth-tester's
            self.__dict__["_last_sealed"] = (block, (receipt,), (tx,))
            # the latest block's header and state for head reads: Ape reads the sender's
            # nonce next
            self.__dict__["_kept_latest_header"] = block.header
            self.__dict__["_kept_latest_state"] = (chain, block.hash, state)
            self.scheduled_runs.after_seal(block.header)
            return tx.hash, computation
        _, _, computation = chain.apply_transaction(tx)
        self.mine_blocks(1)
        return tx.hash, computation

    def sealed_header(self, transaction_hash: bytes) -> Any:
        """The header of the block the direct path last sealed, if it holds the transaction
        (whether still canonical or not: the caller records where the transaction ran)."""
        sealed = self.__dict__.get("_last_sealed")
        if sealed is None or not any(tx.hash == transaction_hash for tx in sealed[0].transactions):
            return None
        return sealed[0].header

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict:
        """eth-tester's; the receipt of the transaction just sealed on the direct path from
        its block in memory (Ape fetches it right after sending)."""
        sealed = self.__dict__.get("_last_sealed")
        if sealed is not None:
            receipt = kept_receipt(self.chain, sealed, transaction_hash)
            if receipt is not None:
                return receipt
        return super().get_transaction_receipt(transaction_hash)  # type: ignore[misc]

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest"):  # noqa: ANN201
        self._runs_first()
        return super().send_signed_transaction(signed_transaction, block_number)  # type: ignore[misc]

    def send_transaction(self, transaction: Any) -> bytes:
        self._runs_first()
        return super().send_transaction(transaction)  # type: ignore[misc]

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> tuple:
        hashes: list[bytes] = []
        for _ in range(num_blocks):
            self.scheduled_runs.before_seal()
            hashes.append(self._seal_one(coinbase))
        return tuple(hashes)

    # ------------------------------------------------------------------ records follow reverts

    def _forget_reverted_records(self) -> None:
        services = getattr(self, "services", None)  # None while eth-tester's __init__ resets
        if services is not None:
            services.forget_after(self.chain.get_canonical_head().block_number)

    def revert_to_snapshot(self, snapshot: Any) -> None:
        """eth-tester's revert (the snapshot block becomes the head again) without its
        `import_block`, which re-executes every transaction of that block to arrive at the
        state its header already names (states are kept by root: nothing was removed)."""
        chain = self.chain
        block = chain.get_block_by_hash(snapshot)  # eth-tester's errors for unknown ones
        chaindb = chain.chaindb
        chaindb._set_as_canonical_chain_head(chaindb.db, block.header, GENESIS_PARENT_HASH)
        if block.number > 0:
            chain.header = chain.ensure_header()  # what `MiningChain.import_block` ends with
        else:  # a new chain object: it keeps geth's gas search (`_new_chain`)
            self.chain = chain.from_genesis_header(chaindb.db, block.header)
            self.chain.gas_estimator = chain.gas_estimator
        self._forget_reverted_records()


__all__ = ["AIBackendMixin", "DevAccounts"]
