"""Deploy and exercise the example contracts on any network: what `ape run deploy`,
`ape run exercise` and `make demo` share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ape import chain, project
from ape.api import AccountAPI, ReceiptAPI

from og_examples.models import sample_input
from precompiles.fixed_point import number_to_float, to_number

CONTRACTS = {
    "VolatilityVault": "volatility",
    "RiskLendingPool": "credit_risk",
    "SentimentGate": "sentiment",
    "UpstreamStyleConsumer": "upstream_demo",
    "LLMAssistant": "llm",
}
LLM_PROMPT = "The quick brown fox"
"""A line of the tiny LLM's corpus: greedy decoding completes it exactly."""


def deployments_file() -> Path:
    network = chain.provider.network
    return Path(".ogkit") / "deployments" / f"{network.ecosystem.name}-{network.name}.json"


def deploy_examples(account: AccountAPI, model_ids: dict[str, str]) -> dict[str, Any]:
    """Deploy each example against its model id (LLMAssistant in VANILLA mode, if an LLM id
    is given); record the addresses unless the chain is local."""
    deployed = {
        "VolatilityVault": account.deploy(
            project.VolatilityVault, model_ids["volatility"], account
        ),
        "RiskLendingPool": account.deploy(project.RiskLendingPool, model_ids["credit_risk"]),
        "SentimentGate": account.deploy(project.SentimentGate, model_ids["sentiment"]),
        "UpstreamStyleConsumer": account.deploy(
            project.UpstreamStyleConsumer, model_ids["upstream_demo"]
        ),
    }
    if "llm" in model_ids:  # optional on live networks (see inputs.py)
        deployed["LLMAssistant"] = account.deploy(project.LLMAssistant, model_ids["llm"], 0)
    if not chain.provider.network.is_local:
        path = deployments_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: str(v.address) for k, v in deployed.items()}, indent=2))
    return deployed


def load_deployments() -> dict[str, Any] | None:
    path = deployments_file()
    if chain.provider.network.is_local or not path.exists():
        return None
    addresses = json.loads(path.read_text())
    return {name: project.get_contract(name).at(addr) for name, addr in addresses.items()}


@dataclass
class Exercise:
    contract: str
    call: str
    receipt: ReceiptAPI
    result: str


def _candles() -> list[tuple[int, int, int, int]]:
    rows = sample_input("volatility")["open_high_low_close"]
    return [tuple(int(round(float(p) * 10**8)) for p in row) for row in rows]


def exercise_examples(contracts: dict[str, Any], account: AccountAPI) -> list[Exercise]:
    """Call every example once; each call runs its model inside the transaction."""
    out: list[Exercise] = []

    vault = contracts["VolatilityVault"]
    vault.pushCandles(_candles(), sender=account)
    receipt = vault.rebalance(sender=account)
    vol = (vault.forecastValue(), vault.forecastDecimals())
    out.append(
        Exercise(
            "VolatilityVault",
            "rebalance()",
            receipt,
            f"forecast volatility {number_to_float(vol):.6f} -> risky allocation "
            f"{vault.riskyAllocationBps()} bps",
        )
    )

    pool = contracts["RiskLendingPool"]
    features = sample_input("credit_risk")["features"].reshape(-1).astype(np.float32)
    receipt = pool.assess(tuple(to_number(x) for x in features), sender=account)
    state = pool.accounts(account)
    p_high = (state.highRiskProbabilityValue, state.highRiskProbabilityDecimals)
    out.append(
        Exercise(
            "RiskLendingPool",
            f"assess({', '.join(str(x) for x in features)})",
            receipt,
            f"risk class {state.riskClass} -> collateral factor {state.collateralFactorBps} bps, "
            f"P(high) {number_to_float(p_high):.4f}",
        )
    )

    gate = contracts["SentimentGate"]
    words = [str(w) for w in sample_input("sentiment")["text"]]
    receipt = gate.submit(words, sender=account)
    verdict = gate.verdicts(account)
    out.append(
        Exercise(
            "SentimentGate",
            f"submit({' '.join(words)})",
            receipt,
            f"score {number_to_float((verdict[0], verdict[1]))}, positive={verdict[2]}",
        )
    )

    consumer = contracts["UpstreamStyleConsumer"]
    receipt = consumer.runZkmlModel(sender=account)
    value = consumer.resultNumber()
    out.append(
        Exercise(
            "UpstreamStyleConsumer",
            "runZkmlModel()",
            receipt,
            f"stored output {number_to_float(tuple(value)):.8f}",
        )
    )

    if assistant := contracts.get("LLMAssistant"):
        receipt = assistant.complete(LLM_PROMPT, 40, [], 0, sender=account)
        out.append(
            Exercise(
                "LLMAssistant",
                f"complete({LLM_PROMPT!r}, 40, [], 0)",
                receipt,
                f"answer {assistant.lastAnswer()!r}",
            )
        )
    return out


def exercise_tee_mode(contracts: dict[str, Any], account: AccountAPI) -> Exercise:
    """RiskLendingPool's assessment once more, in TEE mode: the enclave signs the result and
    the settlement service settles it afterwards (local chains; the mode is owner-only)."""
    pool = contracts["RiskLendingPool"]
    features = sample_input("credit_risk")["features"].reshape(-1).astype(np.float32)
    pool.setInferenceMode(2, sender=account)
    try:
        receipt = pool.assess(tuple(to_number(x) for x in features), sender=account)
    finally:
        pool.setInferenceMode(0, sender=account)
    state = pool.accounts(account)
    return Exercise(
        "RiskLendingPool",
        "assess(…) in TEE mode",
        receipt,
        f"risk class {state.riskClass}, signed by the enclave",
    )
