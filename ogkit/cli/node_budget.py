"""`ogkit node`'s call budget flags: geth's `--rpc.gascap` and `--rpc.evmtimeout`.

Kept apart from node.py (which is near its size limit): `budget_options` adds both flags to
the command and hands them over as one `call_budget` argument, the `NodeConfig` fields.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ogkit.chain.budget import DEFAULT_EVM_TIMEOUT, DEFAULT_GAS_CAP, go_duration


def budget_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--rpc-gas-cap` and `--rpc-evm-timeout`, as `call_budget={"rpc_gas_cap": ...,
    "rpc_evm_timeout": ...}` for `NodeConfig(**call_budget)`."""

    @functools.wraps(command)
    def with_budget(*args: Any, rpc_gas_cap: int, rpc_evm_timeout: float, **kwargs: Any) -> Any:
        budget = {"rpc_gas_cap": rpc_gas_cap, "rpc_evm_timeout": rpc_evm_timeout}
        return command(*args, call_budget=budget, **kwargs)

    timeout = click.option(
        "--rpc-evm-timeout",
        type=click.FloatRange(min=0),
        default=DEFAULT_EVM_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="Stop an eth_call, eth_estimateGas or debug_trace* that runs longer (geth's "
        "--rpc.evmtimeout): it gets 'execution aborted (timeout = ...)', and no request "
        "holds up the others longer. 0: no limit.",
    )
    gas_cap = click.option(
        "--rpc-gas-cap",
        type=click.IntRange(min=0),
        default=DEFAULT_GAS_CAP,
        show_default=True,
        metavar="GAS",
        help="Most gas an eth_call, debug_traceCall or eth_estimateGas gets (geth's "
        "--rpc.gascap): a call asking more is capped, an estimate searches up to it. 0: no "
        "cap (the block gas limit still applies).",
    )
    return gas_cap(timeout(with_budget))


def describe_budget(config: Any) -> str:
    """The banner's line for a `NodeConfig`."""
    gas = f"{config.rpc_gas_cap} gas" if config.rpc_gas_cap else "no gas cap"
    timeout = config.rpc_evm_timeout
    limit = go_duration(timeout) if timeout else "no timeout"
    return f"{gas}, {limit} (eth_call, eth_estimateGas, traces)"
