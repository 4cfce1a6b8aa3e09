"""The node's settings, as `ogkit node`'s flags give them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ogkit.chain.budget import DEFAULT_EVM_TIMEOUT, DEFAULT_GAS_CAP
from ogkit.chain.genesis import DEFAULT_HD_PATH

DEFAULT_GAS_LIMIT = 30_029_122


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
    price_csv: Path | None = None
    """Candles OGHistorical (0xF5) serves; None: `$OGKIT_PRICE_CSV`, else the synthetic sample."""
    gas_limit: int = DEFAULT_GAS_LIMIT
    fsync: bool = False
    pipe: bool = False
    """Emulate alpha's two-phase execution: calls and estimates see empty model outputs."""
    settlement: bool = True
    """Run the settlement service (HACA's full-node role) inside the node."""
    settlement_batch_size: int = 1
    tee_root_pem: bytes | None = None
    """The root 0x900 trusts; None: the one stored in the data directory, else the dev root."""
    tee_ca: Path | None = None
    """A CA under `tee_root_pem` (key + chain, PEM) the node's enclave attests with."""
    price_feed_key: bytes | None = None
    """The key 0xF5's records are signed with; None: the public dev key."""
    allow_dev_keys: bool = False
    """Start on a non-dev chain id even with publicly known keys (`devkeys.py`)."""
    rpc_gas_cap: int = DEFAULT_GAS_CAP
    """geth's --rpc.gascap: the most gas an eth_call, estimate or traced call gets (0: none)."""
    rpc_evm_timeout: float = DEFAULT_EVM_TIMEOUT
    """geth's --rpc.evmtimeout: seconds a call, estimate or trace may run (0: no limit)."""
    provers: int | None = None
    """ZK proofs made at once; None: one per core the node may use."""
    profile: Any = None
    """Another chain on the same node: its chain class and genesis (`chain_class(chain_id,
    services)`, `genesis_extras(keys)`, `name`), e.g. ogkit/payments/chain.py; None: the AI
    chain."""
