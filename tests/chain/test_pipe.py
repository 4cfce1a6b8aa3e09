"""Two-phase execution (PIPE) emulation: with it on, `eth_call` and gas estimates see what the
alpha testnet's simulation pass sees — an empty `ModelOutput` with `is_simulation_result` —
while mined transactions get the real result. Off (the default) calls get real results."""

from __future__ import annotations

import ape
import pytest

from precompiles.fixed_point import to_number

FEATURES = tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0])


@pytest.fixture
def provider(chain, model_store):
    provider = chain.provider
    assert provider.pipe is False  # off by default
    yield provider
    provider.pipe = False


def request(model: str = "credit_risk"):
    features = ("features", [to_number(x) for x in [2.2, 0.3, 0.4, 6.0]], [1, 4])
    return (0, model, ([features], []))


def test_off_calls_get_real_results(provider, project, admin, pool):
    probe = admin.deploy(project.InferenceProbe)
    output = probe.infer.call(request(), sender=admin)
    assert output.is_simulation_result is False
    assert [t.name for t in output.strings] == ["label"]
    assert pool.assess.call(FEATURES, sender=admin) is True


def test_off_direct_call_is_apes(provider, project, admin, monkeypatch):
    """0xF4 in the in-process provider's direct `eth_call` (ape_opengradient/direct_call.py):
    the output Ape's web3 path gives, a real result, no record, the model run once (then the
    result cache answers Ape's path)."""
    from ape_opengradient import direct_call

    probe = admin.deploy(project.InferenceProbe)
    features = ("features", [to_number(x) for x in [2.2, 0.3, 0.4, 6.125]], [1, 4])
    engine = provider.inference_engine
    runs, records = engine.model_runs, len(engine.records)
    fast = probe.infer.call((0, "credit_risk", ([features], [])), sender=admin)
    with monkeypatch.context() as m:
        m.setattr(direct_call, "can_call_directly", lambda block_id, state: False)
        apes = probe.infer.call((0, "credit_risk", ([features], [])), sender=admin)
    assert fast == apes and fast.is_simulation_result is False
    assert [t.name for t in fast.strings] == ["label"]
    assert engine.model_runs == runs + 1 and len(engine.records) == records


def test_on_calls_see_the_simulation_pass(provider, project, admin, pool):
    probe = admin.deploy(project.InferenceProbe)
    provider.pipe = True
    runs = provider.inference_engine.model_runs
    output = probe.infer.call(request(), sender=admin)
    assert output.is_simulation_result is True
    assert (list(output.numbers), list(output.strings), list(output.jsons)) == ([], [], [])
    assert pool.assess.call(FEATURES, sender=admin) is False  # the contract's simulation branch
    assert provider.inference_engine.model_runs == runs  # a simulation runs no model


def test_on_mined_transactions_get_the_real_result(provider, admin, pool):
    provider.pipe = True
    # The estimate follows the simulation branch, which is cheaper than the real one: like
    # the SDK on alpha (estimate x 3), a caller pads the gas.
    estimate = pool.assess.estimate_gas_cost(FEATURES, sender=admin)
    receipt = pool.assess(FEATURES, sender=admin, gas=estimate * 3)
    (assessed,) = receipt.decode_logs(pool.Assessed)
    assert assessed.account == admin.address
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    assert event.response[3] is False  # ModelOutput.is_simulation_result
    assert provider.inference_engine.records[event.inferenceID].block_number == receipt.block_number
    assert receipt.gas_used > estimate


def test_on_unknown_models_still_revert_in_simulation(provider, project, admin):
    probe = admin.deploy(project.InferenceProbe)
    provider.pipe = True
    with ape.reverts("OGInference: model not found: no-such-model"):
        probe.infer.call(request("no-such-model"), sender=admin)


def test_on_a_contract_that_requires_a_real_result_fails_its_simulation(provider, project, admin):
    """Upstream's own example `require`s a non-simulation result: on alpha (and here with
    PIPE on) its simulation pass reverts, which is why the flag must be branched on."""
    from og_examples.models import UPSTREAM_DEMO_ALIAS

    consumer = admin.deploy(project.UpstreamStyleConsumer, UPSTREAM_DEMO_ALIAS)
    provider.pipe = True
    with ape.reverts("simulation result"):
        consumer.runZkmlModel.call(sender=admin)
    provider.pipe = False
    consumer.runZkmlModel.call(sender=admin)


def test_on_llm_calls_answer_empty_in_simulation(provider, project, admin):
    """LLM responses carry no flag; in the simulation pass they are empty (reference §7)."""
    assistant = admin.deploy(project.LLMAssistant, "tiny-llm", 0)
    llm = provider.llm_engine
    prompt = "A pipe emulation prompt:"
    real = assistant.complete.call(prompt, 12, [], 0, sender=admin)
    assert real != ""
    provider.pipe = True
    runs = llm.model_runs
    assert assistant.complete.call(prompt + " again", 12, [], 0, sender=admin) == ""
    assert assistant.chat.call("", "Hello", 20, sender=admin) == ""
    assert llm.model_runs == runs  # a simulation runs no model
    receipt = assistant.complete(prompt, 12, [], 0, sender=admin, gas=2_000_000)
    assert receipt.status == 1 and assistant.lastAnswer() == real


def test_price_feed_inferences_follow_the_phases(provider, project, admin):
    """0xF5's `runInferenceOnPriceFeed` is an inference like 0xF4's: a call leaves no record,
    and with PIPE on its simulation is empty and flagged; a mined transaction is real."""
    probe = admin.deploy(project.PriceFeedProbe)
    # the volatility model's candles, of a pair the price-feed tests do not query (the data
    # node's signed records are per block number, and outlive Ape's snapshot reverts)
    query = ("SOL", "USD", 10, 1, 0, [2, 0, 1, 3])
    engine = provider.inference_engine
    records = set(engine.records)
    real = probe.infer.call("volatility", "open_high_low_close", query, sender=admin)
    assert real.is_simulation_result is False and len(real.numbers) == 1
    assert set(engine.records) == records  # an eth_call is no committed inference

    provider.pipe = True
    runs = engine.model_runs
    simulated = probe.infer.call("volatility", "open_high_low_close", query, sender=admin)
    assert simulated.is_simulation_result is True
    assert (list(simulated.numbers), list(simulated.strings)) == ([], [])
    assert engine.model_runs == runs
    receipt = probe.infer("volatility", "open_high_low_close", query, sender=admin, gas=3_000_000)
    assert receipt.status == 1
    assert probe.lastOutput().is_simulation_result is False
    (new,) = set(engine.records) - records
    assert engine.records[new].block_number == receipt.block_number
