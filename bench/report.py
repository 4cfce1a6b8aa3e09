"""bench/RESULTS.md from one bench/run.py run: the header, the machine, each section (its own
report_*.py), the method notes; the sections other scripts wrote are kept."""

from __future__ import annotations

import datetime as dt

from bench_setup import (
    A_SAMPLES,
    A_WARMUP,
    B_ROUNDS,
    B_TXS,
    ORT_FRESH,
    ORT_WARM,
    RESULTS,
    ms,
)
from report_hot_path import hot_path_section
from report_model_runs import model_runs_section
from report_rebalance import rebalance_section
from report_tx_rate import tx_rate_section
from sections import keep_sections


def write_results(
    info, a, ort_res, hot, b, prof, tx_types, c, runtime_s, vault_source, node_line
) -> str:
    """Write RESULTS (bench/RESULTS.md unless BENCH_RESULTS says otherwise); return its text."""
    L = _header(runtime_s, node_line) + _machine(info)
    L += rebalance_section(a, ort_res)
    L += hot_path_section(hot, c, ms(ort_res["warm"]))
    L += tx_rate_section(b, prof, tx_types, info)
    L += model_runs_section(c)
    L += _method_notes(vault_source)
    text = keep_sections(RESULTS, "\n".join(L))  # e.g. bench/haca.py's section
    RESULTS.write_text(text)
    return text


def _header(runtime_s: float, node_line: str) -> list[str]:
    return [
        "# Benchmarks",
        "",
        f"Written by `bench/run.py` (`make bench`) on "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; the whole run took "
        f"**{runtime_s:.0f} s**. Every figure below comes from that one run; both chains are "
        "driven by the same Ape client code (`networks.parse_network_choice`). Transaction "
        "times are wall-clock per Ape call (build, sign, send, mine, fetch the receipt, Ape's "
        "post-send work); medians with p10 – p90 and the interquartile range (IQR).",
        "",
        node_line,
        "",
    ]


def _machine(info: dict[str, str]) -> list[str]:
    L = ["## Machine", "", "| | |", "|---|---|"]
    L += [f"| {k} | {v} |" for k, v in info.items()]
    L.append("")
    cpus = int(info["nproc (usable CPUs)"])
    load = max(
        float(info.get("load average (1 min) at start", 0)),
        float(info.get("load average (1 min) at end", 0)),
    )
    if load > 1.5:  # this process alone keeps about one CPU busy
        L += [
            f"Other processes were busy during this run (load average up to {load:.2f} on "
            f"{cpus} CPUs), so single samples have long tails (see p90); the medians, and for "
            "(a) the medians of per-sample differences, are the figures to read.",
            "",
        ]
    return L


def _method_notes(vault_source: str) -> list[str]:
    return [
        "## Method notes",
        "",
        f"* `VolatilityVault` comes from {vault_source}; the contracts in `bench/contracts/` are "
        "compiled by `bench/contracts_build.py` with the project's solc 0.8.28 and the "
        "settings of `ape-config.yaml` (Ape compiles only `contracts/`).",
        "* Models are put in the store as `tests/conftest.py` does (`build_examples` + "
        "`ModelStore().add(path, name)`).",
        "* Result cache and run counter live in the process; candles come from seeded random "
        "walks (different seeds per section), so every run sees the same inputs and every "
        "sample's input is new within the run.",
        f"* Samples: (a) {A_SAMPLES} per transaction kind after {A_WARMUP} warm-up samples; "
        f"onnxruntime {ORT_FRESH} fresh sessions and {ORT_WARM} warm runs; (b) {B_ROUNDS} × "
        f"{B_TXS} per cell after 5 warm-up transactions per chain. Raw samples: "
        "`bench/.work/raw.json` (git-ignored).",
        "",
    ]
