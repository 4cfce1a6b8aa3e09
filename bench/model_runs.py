"""Section (c) of bench/run.py: how many times the model runs, and how many times the EVM
executes 0xF4, per kind of Ape call on a `VolatilityVault`."""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: working directory and env defaults before Ape

# isort: split

from collections.abc import Callable

from ape import chain, networks
from bench_setup import MODEL, OG, Candles, count_precompile

RETURN_VALUE_NOTE = "Ape re-executes the tx (debug_traceTransaction) to get it"


class CallCounter:
    """Rows of (Ape call, model runs, 0xF4 executions, note), one per `measure`."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.rows: list[tuple[str, int, str, str]] = []

    def measure(self, label: str, action: Callable[[], object], note: str = "") -> None:
        engine = self.engine
        before = engine.model_runs
        outcome = ""
        with count_precompile(engine) as box:
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - reported in the table
                outcome = f"raised {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
        executions = f"{box['executions']}"
        if box["reverted"]:
            executions += f" ({box['reverted']} reverted)"
        self.rows.append(
            (
                label,
                engine.model_runs - before,
                executions,
                "; ".join(filter(None, (note, outcome))),
            )
        )


def bench_model_runs(owner, vault_type) -> list[tuple[str, int, str, str]]:
    with networks.parse_network_choice(OG) as provider:
        counter = CallCounter(provider.inference_engine)
        measure = counter.measure
        vault = owner.deploy(vault_type, MODEL, owner)
        walk = Candles(seed=3)
        for _ in range(10):
            vault.pushCandle(*walk.next(), sender=owner)

        def fresh_candle():
            vault.pushCandle(*walk.next(), sender=owner)

        last = {}

        def tx(**kwargs):
            def send():
                last["receipt"] = vault.rebalance(sender=owner, **kwargs)

            return send

        def return_value():
            return last["receipt"].return_value

        fresh_candle()
        measure("`vault.rebalance(sender=owner)`, fresh candles", tx())
        measure(
            "`vault.rebalance(sender=owner)` again, same candles",
            tx(),
            "result replayed from the cache",
        )
        measure("`receipt.return_value` of that tx", return_value, RETURN_VALUE_NOTE)
        fresh_candle()
        measure("`vault.rebalance(sender=owner, type=2)`, fresh candles", tx(type=2))
        measure("`receipt.return_value` of that tx", return_value, RETURN_VALUE_NOTE)
        fresh_candle()
        measure("`vault.rebalance.call()` (eth_call only), fresh candles", vault.rebalance.call)
        measure(
            "`vault.rebalance(sender=owner)` after that eth_call, same candles",
            tx(),
            "the eth_call already ran the model and cached its result",
        )
        fresh_candle()
        measure(
            "`vault.rebalance.estimate_gas_cost(sender=owner)`, fresh candles",
            lambda: vault.rebalance.estimate_gas_cost(sender=owner),
            "geth's search: a run at the cap, then one at its use (one model run)",
        )
        measure("`vault.ohlcTensor()` (view, no 0xF4)", vault.ohlcTensor)

        fresh_candle()
        snap = chain.snapshot()
        measure("`vault.rebalance(sender=owner)`, fresh candles, after `chain.snapshot()`", tx())
        chain.restore(snap)
        measure(
            "the same tx after `chain.restore(snapshot)`, same candles",
            tx(),
            "the block was rolled back, the cached result was not",
        )
    return counter.rows
