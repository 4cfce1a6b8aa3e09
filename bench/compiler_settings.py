"""Compiler settings a user project gets by default: compile time and gas per candidate.

    .venv/bin/python bench/compiler_settings.py [--repo]

For each candidate (legacy or via-IR codegen, optimizer off or on) it compiles, with the
pinned solc-js, one small consumer (contracts/examples/UpstreamStyleConsumer.sol) and the
compatibility contracts (tests/support/compat/), then deploys them on `opengradient:local` and
reports the gas of one model call. `--repo` also times this repository's whole contracts/.
Results are quoted in docs/compatibility.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from compat_support import COMPAT, compile_sources, containers  # noqa: E402

from og_examples.models import UPSTREAM_DEMO_ALIAS  # noqa: E402
from ogkit.solidity import PROJECT_SETTINGS  # noqa: E402

CANDIDATES = {
    "legacy, optimizer off": {"optimize": False, "via_ir": False},
    "legacy, optimizer on": {"optimize": True, "via_ir": False},
    "via-IR, optimizer off": {"optimize": False, "via_ir": True},
    "via-IR, optimizer on": {"optimize": True, "via_ir": True},
}
CONSUMER = ROOT / "contracts" / "examples" / "UpstreamStyleConsumer.sol"
CANDLES = [(2000 + i, 0) for i in range(40)]


def _time(paths: list[Path], settings: dict) -> float | str:
    try:
        return round(compile_sources(paths, settings)[1], 1)
    except Exception as exc:  # noqa: BLE001 - a compile error is a result here
        text = str(exc)
        return "Stack too deep" if "Stack too deep" in text else text.split("\n")[0][:60]


def _gas(settings: dict) -> dict[str, int | str]:
    from ape import accounts

    owner = accounts.test_accounts[0]
    out: dict[str, int | str] = {}
    try:
        consumer = containers([CONSUMER], settings)["UpstreamStyleConsumer"]
    except Exception as exc:  # noqa: BLE001
        if "Stack too deep" not in str(exc):
            raise
        return {"UpstreamStyleConsumer.runZkmlModel": "does not compile"}
    deployed = owner.deploy(consumer, UPSTREAM_DEMO_ALIAS)
    out["UpstreamStyleConsumer.runZkmlModel"] = deployed.runZkmlModel(sender=owner).gas_used
    try:
        neuro = containers(sorted((COMPAT / "neuroml_1_0").glob("*.sol")), settings)
    except Exception as exc:  # noqa: BLE001
        out["NeuroMLConsumer"] = "does not compile: " + str(exc).split("\n")[0][:40]
    else:
        consumer = owner.deploy(neuro["NeuroMLConsumer"], "volatility", "tiny-llm")
        key = "NeuroMLConsumer.predict (flat [40])"
        out[key] = consumer.predict(CANDLES, sender=owner).gas_used
    try:
        jan = containers(sorted((COMPAT / "jan2025").glob("*.sol")), settings)
    except Exception as exc:  # noqa: BLE001
        out["VolatilityExecutor"] = "does not compile: " + str(exc).split("\n")[0][:40]
    else:
        executor = owner.deploy(
            jan["VolatilityExecutor"], "volatility", "open_high_low_close", "ETH/USD"
        )
        out["VolatilityExecutor.run (stores ModelOutput)"] = executor.run(sender=owner).gas_used
    return out


def main() -> None:
    from ape import networks

    repo = "--repo" in sys.argv
    results = {}
    with networks.parse_network_choice("opengradient:local"):
        for label, choice in CANDIDATES.items():
            settings = {**PROJECT_SETTINGS, **choice}
            row = {
                "compile consumer (s)": _time([CONSUMER], settings),
                "compile compat suite (s)": _time(sorted(COMPAT.rglob("*.sol")), settings),
            }
            if repo:
                every = sorted((ROOT / "contracts").rglob("*.sol"))
                sources = [p for p in every if ".cache" not in p.parts]
                start = time.perf_counter()
                row["compile repo contracts/ (s)"] = _time(sources, settings)
                row["repo wall (s)"] = round(time.perf_counter() - start, 1)
            row |= _gas(settings)
            results[label] = row
            print(label, json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
