"""The model ids `ape run deploy` and `ape run exercise` deploy the example contracts against.
A local chain has them (the store's examples); a live network has not, so each missing one is
a one-line error that says which option to pass."""

from __future__ import annotations

import click
from ape import chain

from og_examples.models import UPSTREAM_DEMO_ALIAS

LOCAL_MODEL_IDS = {
    "volatility": "volatility",
    "credit_risk": "credit_risk",
    "sentiment": "sentiment",
    "upstream_demo": UPSTREAM_DEMO_ALIAS,
    "llm": "tiny-llm",
}
MODEL_OPTIONS = {
    "volatility": "--volatility-model",
    "credit_risk": "--credit-risk-model",
    "sentiment": "--sentiment-model",
    "upstream_demo": "--upstream-model",
    "llm": "--llm-model",
}
OPTIONAL_ON_LIVE_NETWORKS = frozenset({"llm"})
"""OpenGradient's SDK moved LLM calls off-chain (Feb 2026): on a live network LLMAssistant is
deployed only when an LLM id is given."""


def model_ids(given: dict[str, str | None]) -> dict[str, str]:
    """The model id of each example: as given, else the local example's name on a local
    chain. On a live network those names mean nothing, so every id must be given."""
    if chain.provider.network.is_local:
        return {key: given.get(key) or local for key, local in LOCAL_MODEL_IDS.items()}
    missing = [
        MODEL_OPTIONS[key]
        for key in LOCAL_MODEL_IDS
        if not given.get(key) and key not in OPTIONAL_ON_LIVE_NETWORKS
    ]
    if missing:
        raise click.ClickException(
            f"{chain.provider.network.choice} is a live network: give the ids of models it "
            f"serves with {', '.join(missing)} (the local example names do not exist there)"
        )
    return {key: value for key, value in given.items() if value}
