"""`opengradient:local:node`: Ape talks JSON-RPC to an `ogkit node`, starting one if needed.

Like ape-foundry with anvil: if a node answers at the configured URI (default
http://127.0.0.1:8545) Ape connects to it; otherwise, for a localhost URI, it starts
`ogkit node` on that port with Ape's `test:` accounts (mnemonic, count, balance) and the
project's model store, and stops it on disconnect. Snapshots are `evm_snapshot` /
`evm_revert`, so `ape test` isolation works as with the in-process provider. Receipts have
call traces (`receipt.show_trace()`): the node answers `debug_traceTransaction` with geth's
call tracer.

Configure the URI (or start your own node there) in `ape-config.yaml`:

    node:
      opengradient:
        local:
          uri: http://127.0.0.1:8545
"""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ape.api import TestProviderAPI
from ape.api.providers import SubprocessProvider
from ape.exceptions import ProviderError
from ape.logging import logger
from ape_ethereum.provider import EthereumNodeProvider
from ape_ethereum.trace import TraceApproach

from ape_opengradient.inference_api import InferenceAPI, NodeInferenceAPI
from ape_opengradient.provider import _register_precompile_abi
from ogkit.project import model_store_dir

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
DEFAULT_CHAIN_ID = 1337


def _ogkit_executable() -> list[str]:
    beside = Path(sys.executable).with_name("ogkit")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ogkit")
    if found:
        return [found]
    return [sys.executable, "-c", "from ogkit.cli import main; main()"]


class OGNodeProvider(EthereumNodeProvider, TestProviderAPI, SubprocessProvider):
    """Ape provider for an `ogkit node` (connects, or starts one on localhost)."""

    NAME = "node"
    name: str = "node"

    # ------------------------------------------------------------------ process

    @property
    def process_name(self) -> str:
        return "ogkit node"

    @property
    def _local_settings(self) -> dict[str, Any]:
        return self._network_config

    @property
    def _parsed_uri(self):
        return urlparse(self.http_uri or self.uri)

    def build_command(self) -> list[str]:
        uri = self._parsed_uri
        test = self.config_manager.get_config("test")
        balance_eth = Decimal(int(test.balance)) / Decimal(10**18)
        command = [
            *_ogkit_executable(),
            "node",
            "--host",
            uri.hostname or "127.0.0.1",
            "--port",
            str(uri.port or 8545),
            "--chain-id",
            str(self._local_settings.get("chain_id", DEFAULT_CHAIN_ID)),
            "--accounts",
            str(test.number_of_accounts),
            "--mnemonic",
            test.mnemonic,
            "--balance",
            f"{balance_eth:f}",
        ]
        if store := self._model_store():
            command += ["--model-store", str(store)]
        if data_dir := self._local_settings.get("data_dir"):
            command += ["--data-dir", str(data_dir)]
        if block_time := self._local_settings.get("block_time"):
            command += ["--block-time", str(block_time)]
        return command

    def _model_store(self) -> Path:
        configured = self.config_manager.get_config("opengradient").model_store
        return model_store_dir(self.local_project.path, configured)

    def connect(self) -> None:
        self._set_web3()
        if not self.is_connected:
            host = self._parsed_uri.hostname
            if not self.allow_start or host not in LOCAL_HOSTS:
                raise ProviderError(
                    f"No ogkit node answers at {self._clean_uri}; start one with `ogkit node`."
                )
            SubprocessProvider.connect(self)  # atexit + signal handlers
            self.start(timeout=60)
        self._complete_connect()
        _register_precompile_abi(self)

    def start(self, timeout: int = 60) -> None:
        logger.info(f"Starting `ogkit node` at {self._clean_uri}.")
        SubprocessProvider.start(self, timeout=timeout)

    def disconnect(self) -> None:
        if self.process is not None:
            self.stop()
            self.network_manager.running_nodes.remove_provider(self)
        self.process = None
        EthereumNodeProvider.disconnect(self)

    @property
    def supports_tracing(self) -> bool:
        return True  # debug_traceTransaction / debug_traceCall with geth's callTracer

    @property
    def call_trace_approach(self) -> TraceApproach:
        # The node answers callTracer only: skip Ape's probing of parity's trace_transaction.
        return self._call_trace_approach or TraceApproach.GETH_CALL_TRACER

    def send_call(self, txn, block_id=None, state=None, **kwargs):
        # With tracing on, Ape answers an eth_call from debug_traceCall's struct logs and
        # returns their `returnValue` without looking at `failed` (as against geth), so a
        # reverting view call would stop raising under `ape test --gas`. The eth_call error
        # carries the revert data and reason; transactions are traced with the call tracer.
        kwargs.setdefault("skip_trace", True)
        result = super().send_call(txn, block_id=block_id, state=state, **kwargs)
        if self._test_runner is not None and self._test_runner.coverage_tracker.enabled:
            from ape_opengradient.coverage import cover_call  # statements of calls

            cover_call(self, txn, block_id)
        return result

    @property
    def gas_price(self) -> int:
        # Ape's base provider asks web3 for a gas-price strategy, which dev networks lack (0).
        return int(self.make_request("eth_gasPrice", []), 16)

    # ------------------------------------------------------------------ test controls

    @cached_property
    def og(self) -> InferenceAPI:
        """Model runs, records, settlement waits and mocks, as on `opengradient:local:test`."""
        return NodeInferenceAPI(self)

    def snapshot(self) -> str:
        return self.make_request("evm_snapshot", [])

    def restore(self, snapshot_id) -> None:
        if isinstance(snapshot_id, int):
            snapshot_id = hex(snapshot_id)
        elif isinstance(snapshot_id, bytes):
            snapshot_id = "0x" + snapshot_id.hex()
        if not self.make_request("evm_revert", [snapshot_id]):
            raise ProviderError(f"Unknown snapshot {snapshot_id}.")

    def set_timestamp(self, new_timestamp: int) -> None:
        self.make_request("evm_setNextBlockTimestamp", [hex(new_timestamp)])

    def mine(self, num_blocks: int = 1) -> None:
        self.make_request("anvil_mine", [hex(num_blocks)])

    @property
    def auto_mine(self) -> bool:
        return self.make_request("eth_mining", [])

    @auto_mine.setter
    def auto_mine(self, value: bool) -> None:
        self.make_request("evm_setAutomine", [bool(value)])

    def set_balance(self, address, amount: int) -> None:
        self.make_request("anvil_setBalance", [address, hex(int(amount))])

    def set_code(self, address, code) -> bool:
        data = code if isinstance(code, str) else "0x" + bytes(code).hex()
        self.make_request("anvil_setCode", [address, data])
        return True

    def set_storage(self, address, slot: int, value) -> None:
        word = value if isinstance(value, bytes) else int(value).to_bytes(32, "big")
        value_hex = "0x" + word.rjust(32, b"\0").hex()
        self.make_request("anvil_setStorageAt", [address, hex(slot), value_hex])

    def unlock_account(self, address) -> bool:
        self.make_request("anvil_impersonateAccount", [address])
        return True

    def relock_account(self, address) -> None:
        self.make_request("anvil_stopImpersonatingAccount", [address])

    def get_test_account(self, index: int):
        return self.account_manager.test_accounts.containers["test"].generate_account(index)
