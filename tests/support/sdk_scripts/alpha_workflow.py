"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4), not by the suite's:

    .venv-sdk/bin/python tests/support/sdk_scripts/alpha_workflow.py deploy RPC_URL KEY MODEL INPUT
    .venv-sdk/bin/python tests/support/sdk_scripts/alpha_workflow.py read RPC_URL KEY ADDRESS

The SDK's workflow API exactly as a user writes it for alpha, with only the RPC URL changed.
`deploy`: a workflow without a schedule (read before any run, run, read, history) and one with
`SchedulerParams`; `read`: the result and history of a workflow (after scheduled runs).
Prints one JSON object; outputs are name -> float32 values as repr, and the simulation flag.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import opengradient as og
from opengradient.types import CandleOrder, CandleType, HistoricalInputQuery, SchedulerParams


def plain(output) -> dict:
    numbers = {
        name: [repr(x.item()) for x in np.asarray(array, dtype=np.float32).reshape(-1)]
        for name, array in output.numbers.items()
    }
    return {"numbers": numbers, "is_simulation_result": bool(output.is_simulation_result)}


def deploy(alpha: og.Alpha, model: str, input_name: str) -> dict:
    query = HistoricalInputQuery(
        base="ETH",
        quote="USD",
        total_candles=10,
        candle_duration_in_mins=30,
        order=CandleOrder.ASCENDING,
        candle_types=[CandleType.OPEN, CandleType.HIGH, CandleType.LOW, CandleType.CLOSE],
    )
    manual = alpha.new_workflow(model, query, input_name)
    before = plain(alpha.read_workflow_result(manual))
    ran = plain(alpha.run_workflow(manual))
    scheduled = alpha.new_workflow(
        model, query, input_name, scheduler_params=SchedulerParams(frequency=600, duration_hours=1)
    )
    return {
        "manual": manual,
        "before": before,
        "run": ran,
        "result": plain(alpha.read_workflow_result(manual)),
        "history": [plain(o) for o in alpha.read_workflow_history(manual, 5)],
        "scheduled": scheduled,
    }


def read(alpha: og.Alpha, address: str) -> dict:
    return {
        "result": plain(alpha.read_workflow_result(address)),
        "history": [plain(o) for o in alpha.read_workflow_history(address, 5)],
    }


def main() -> None:
    command, rpc_url, private_key, *rest = sys.argv[1:]
    alpha = og.Alpha(private_key=private_key, rpc_url=rpc_url)
    out = deploy(alpha, *rest) if command == "deploy" else read(alpha, *rest)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
