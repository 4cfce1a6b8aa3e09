import pytest

# (value, decimals): 100.5, 101.25, 99.75, 102.0
PRICES = [(1005, 1), (10125, 2), (9975, 2), (102, 0)]


@pytest.fixture
def forecaster(accounts, project):
    return accounts[0].deploy(project.Forecaster, "forecaster")


def test_forecast_is_the_models_exact_output(forecaster, accounts):
    receipt = forecaster.forecast(PRICES, sender=accounts[0])

    # 0.1*100.5 + 0.2*101.25 + 0.3*99.75 + 0.4*102 + 1.5 = 102.525, in float32 by onnxruntime
    assert (forecaster.value(), forecaster.decimals()) == (102525, 3)
    (event,) = receipt.decode_logs()  # emitted by the precompile at 0x…F4
    assert event.event_name == "ModelInferenceEvent"
    mode, model_id, _ = event.request
    assert (mode, model_id) == (0, "forecaster")  # VANILLA
    numbers, strings, jsons, is_simulation = event.response
    assert numbers == (("forecast", ((102525, 3),), (1,)),)
    assert (strings, jsons, is_simulation) == ((), (), False)
