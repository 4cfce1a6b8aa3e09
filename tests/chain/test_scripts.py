"""`ape run deploy` and `ape run exercise` as a user runs them (what `make demo` calls)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APE = Path(sys.executable).with_name("ape")


def ape_run(script: str, store: Path) -> str:
    env = {**os.environ, "OGKIT_MODEL_STORE": str(store), "COLUMNS": "160"}
    done = subprocess.run(
        [str(APE), "run", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def store(model_store) -> Path:
    return model_store.root


def test_deploy_prints_each_example(store):
    out = ape_run("deploy", store)
    names = re.findall(r"^(\w+) +0x[0-9a-fA-F]{40}$", out, flags=re.MULTILINE)
    assert names == [
        "VolatilityVault",
        "RiskLendingPool",
        "SentimentGate",
        "UpstreamStyleConsumer",
        "LLMAssistant",
    ]


def test_exercise_shows_outputs_gas_and_events(store):
    out = ape_run("exercise", store)
    assert re.search(r"^ *Examples on opengradient:local:test *$", out, flags=re.MULTILINE)
    assert "forecast volatility 0.006544 -> risky allocation 8953 bps" in out
    assert "score 4.75, positive=True" in out
    assert "output label: ['medium']" in out
    assert "output volatility shape [1]: [(65439795, 10)]" in out
    assert out.count("ModelInferenceEvent") == 5  # the four examples, then one in TEE mode
    # LLMAssistant: the tiny LLM completes a line of its corpus (greedy, so exact)
    assert re.search(
        r"│ LLMAssistant +│ complete\('The quick brown fox', 40, \[\], 0\) +│ [\d,]+ +│ "
        r"answer ' jumps over the lazy dog.' +│",
        out,
    )
    llm = re.search(r"^LLMAssistant LLMCompletionEvent [0-9a-f]{64}\n(.*)\n(.*)$", out, re.M)
    assert llm and llm.groups() == (
        "  model 'tiny-llm', mode 0",
        "  answer ' jumps over the lazy dog.'",
    )
    assert "5 inference calls, 4 model runs in this process" in out  # TEE: a cached input
    assert out.count("settlement not required") == 3
    assert re.search(r"settlement settled 0x[0-9a-f]{64}$", out, flags=re.MULTILINE)  # TEE
    # ZK: proved and settled if the session's store has the model's zk-setup (other test
    # modules make it), else refused with the command that fixes it
    zk = re.search(r"mode 1\n[^\n]*\n[^\n]*\n  settlement ([^\n]*)", out)
    assert zk and re.match(r"settled 0x[0-9a-f]{64}$|failed: model bafk\w+ has no ZK setup", zk[1])
