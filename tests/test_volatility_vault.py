import ape
import pytest

from ogkit.models.examples import sample_input


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def vault(project, owner, model_store):
    return owner.deploy(project.VolatilityVault, "volatility", owner)


def candles():
    rows = sample_input("volatility")["open_high_low_close"]
    return [tuple(int(round(float(x) * 10**8)) for x in row) for row in rows]


def test_rebalance_runs_model(vault, owner, chain):
    vault.pushCandles(candles(), sender=owner)
    engine = chain.provider.inference_engine
    runs = engine.model_runs
    receipt = vault.rebalance(sender=owner)
    print(receipt.gas_used, vault.forecastValue(), vault.forecastDecimals(), vault.riskyAllocationBps())
    print(receipt.decode_logs())
    print(engine.model_runs - runs)
    assert vault.rebalanceCount() == 1
