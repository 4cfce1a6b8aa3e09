"""The data directory: its database, the settings stored with the chain, the genesis.

A new directory gets an "initialising" marker, then the genesis, then the metadata (chain
id, mnemonic, accounts, balance, ...); a directory holding the marker but no metadata was
interrupted before anything was served from it and is started afresh. A database that is
not an ogkit node's is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth.chains.base import MiningChain
from eth_tester.backends.pyevm.main import get_default_genesis_params

from ogkit.chain.genesis import (
    DEFAULT_ACCOUNTS,
    DEFAULT_BALANCE,
    DEFAULT_MNEMONIC,
    LOCAL_CHAIN_ID,
    genesis_extras,
)
from ogkit.node.chain.config import DataDirError, NodeConfig
from ogkit.node.chain.db import LevelDB, MemoryDB, open_db
from ogkit.node.chain.trienodes import install as install_trie_speedups

META_KEY = b"ogkit:node:meta"
INIT_KEY = b"ogkit:node:init"
META_VERSION = 1


def open_store(config: NodeConfig) -> LevelDB | MemoryDB:
    """The node's database (and py-trie's reads of it made cheaper: trienodes.py)."""
    install_trie_speedups()
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


def read_meta(db: Any) -> dict[str, Any] | None:
    raw = db.get(META_KEY)
    if raw is None:
        return None
    meta = json.loads(raw)
    if meta.get("version") != META_VERSION:
        raise DataDirError(f"data directory format {meta.get('version')} is not supported")
    return meta


@dataclass(frozen=True)
class ChainSettings:
    """What the chain is made with: the command line's settings over the stored ones (a
    resumed chain keeps its own), over the defaults."""

    chain_id: int
    mnemonic: str
    num_accounts: int
    hd_path: str
    balance: int
    model_store: Path | None
    tee_root_pem: bytes | None = None
    """None: the dev root."""


def resolve_settings(config: NodeConfig, meta: dict[str, Any] | None) -> ChainSettings:
    stored = meta or {}
    accounts = config.accounts
    balance = config.balance if config.balance is not None else stored.get("balance")
    store_dir = config.model_store
    if store_dir is None and stored.get("modelStore") and not os.environ.get("OGKIT_MODEL_STORE"):
        store_dir = Path(stored["modelStore"])
    return ChainSettings(
        chain_id=resolve_chain_id(config, meta),
        mnemonic=config.mnemonic or stored.get("mnemonic") or DEFAULT_MNEMONIC,
        num_accounts=accounts if accounts is not None else stored.get("accounts", DEFAULT_ACCOUNTS),
        hd_path=config.hd_path,
        balance=balance if balance is not None else DEFAULT_BALANCE,
        model_store=store_dir,
        tee_root_pem=resolve_tee_root(config, meta),
    )


def resolve_tee_root(config: NodeConfig, meta: dict[str, Any] | None) -> bytes | None:
    """The chain's TEE root: a resumed chain keeps the one it was made with (0x900's past
    answers must replay the same), so a different `--tee-root` is refused like a chain id."""
    if meta is None:
        return config.tee_root_pem
    stored = meta.get("teeRoot")  # absent: made with the dev root
    stored_pem = stored.encode() if stored else None
    if config.tee_root_pem is not None and config.tee_root_pem != stored_pem:
        held = "the dev TEE root" if stored_pem is None else "another TEE root"
        raise DataDirError(
            f"the data directory's chain trusts {held}, not the --tee-root given; "
            "use another --data-dir for a new chain"
        )
    return stored_pem


def resolve_chain_id(config: NodeConfig, meta: dict[str, Any] | None) -> int:
    _check_profile(config, meta)
    if meta is None:
        return config.chain_id if config.chain_id is not None else LOCAL_CHAIN_ID
    stored = meta["chainId"]
    if config.chain_id is not None and config.chain_id != stored:
        raise DataDirError(
            f"the data directory holds chain id {stored}, not {config.chain_id}; "
            "use another --data-dir for a new chain"
        )
    return stored


def _check_profile(config: NodeConfig, meta: dict[str, Any] | None) -> None:
    """A resumed chain runs as what it was made as (the AI chain, or e.g. `--payments`)."""
    wanted = getattr(config.profile, "name", None)
    if meta is not None and meta.get("profile") != wanted:
        made = meta.get("profile") or "the AI chain"
        raise DataDirError(
            f"the data directory holds {made}, not {wanted or 'the AI chain'}; "
            "use another --data-dir for a new chain"
        )


def create_genesis(
    db: Any,
    chain_class: type[MiningChain],
    keys: Any,
    balance: int,
    gas_limit: int,
    extras: dict[bytes, dict] | None = None,
) -> MiningChain:
    """The dev accounts, plus `extras` (default: the AI chain's `genesis_extras()`)."""
    params = get_default_genesis_params({"gas_limit": gas_limit})
    state = {
        key.public_key.to_canonical_address(): {
            "balance": balance,
            "nonce": 0,
            "code": b"",
            "storage": {},
        }
        for key in keys
    } | (genesis_extras() if extras is None else extras)
    db[INIT_KEY] = b"1"
    chain_class.from_genesis(db, params, state)
    return chain_class(db)


def write_settings(
    db: Any, settings: ChainSettings, config: NodeConfig, chain: MiningChain, store_root: Path
) -> None:
    """What a new chain is made with, for a resume to take back (`resolve_settings`)."""
    root = settings.tee_root_pem
    write_meta(
        db,
        chainId=settings.chain_id,
        mnemonic=settings.mnemonic,
        accounts=settings.num_accounts,
        balance=settings.balance,
        hdPath=settings.hd_path,
        gasLimit=config.gas_limit,
        genesisHash="0x" + chain.get_canonical_block_hash(0).hex(),
        modelStore=str(store_root),
        teeRoot=root.decode() if root else None,  # absent or None: the dev root
        profile=getattr(config.profile, "name", None),  # absent or None: the AI chain
    )


def write_meta(db: Any, **fields: Any) -> None:
    db[META_KEY] = json.dumps(
        {"version": META_VERSION, **fields, "created": int(time.time())}
    ).encode()
