"""The Ape plugin: the ecosystem, its networks and providers are what users are told."""

from ape import networks
from compat_support import interface_abi

from ape_opengradient.abi import og_inference_abi
from ape_opengradient.provider import AIProvider
from precompiles.inference.model_codec import (
    MODEL_INFERENCE_EVENT_SIGNATURE,
    RUN_MODEL_INFERENCE_SIGNATURE,
)


def test_default_network_is_the_ai_chain(chain):
    assert chain.provider.network.ecosystem.name == "opengradient"
    assert chain.provider.network.name == "local"
    assert isinstance(chain.provider, AIProvider)
    assert chain.provider.name == "test"
    assert chain.chain_id == 1337


def test_networks_and_providers():
    ecosystem = networks.get_ecosystem("opengradient")
    assert set(ecosystem.networks) >= {"local", "alpha"}
    assert "test" in ecosystem.get_network("local").providers
    assert "node" in ecosystem.get_network("alpha").providers


def test_alpha_network_points_at_the_published_rpc():
    provider = networks.get_provider_from_choice("opengradient:alpha:node")
    assert provider.uri == "https://eth-devnet.opengradient.ai"
    assert provider.network.chain_id == 10744


def test_test_accounts_are_funded_on_the_ai_chain(accounts):
    assert len(accounts) == 10
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert accounts[0].balance > 0


def test_shipped_abi_has_the_published_signatures():
    by_name = {item["name"]: item for item in og_inference_abi()}
    assert {"runModelInference", "runLLMCompletion", "runLLMChat", "ModelInferenceEvent"} <= set(
        by_name
    )

    def canonical(params):
        def one(p):
            if p["type"].startswith("tuple"):
                return "(" + ",".join(one(c) for c in p["components"]) + ")" + p["type"][5:]
            return p["type"]

        return ",".join(one(p) for p in params)

    run = by_name["runModelInference"]
    assert f"runModelInference({canonical(run['inputs'])})" == RUN_MODEL_INFERENCE_SIGNATURE
    event = by_name["ModelInferenceEvent"]
    assert f"ModelInferenceEvent({canonical(event['inputs'])})" == MODEL_INFERENCE_EVENT_SIGNATURE


def test_shipped_abi_is_the_compiled_interface():
    compiled = interface_abi("OGInference")
    shipped = og_inference_abi()

    def key(items):
        return sorted((i["type"], i.get("name", "")) for i in items)

    assert key(compiled) == key(shipped)
    for item in shipped:
        match = next(
            c for c in compiled if c.get("name") == item["name"] and c["type"] == item["type"]
        )
        assert [i["type"] for i in match["inputs"]] == [i["type"] for i in item["inputs"]]


def test_transaction_types_per_network():
    ecosystem = networks.get_ecosystem("opengradient")
    assert ecosystem.get_network("alpha").config.default_transaction_type == 0  # like the SDK
    assert ecosystem.get_network("local").config.default_transaction_type.value == 2


def test_return_value_of_an_inference_transaction(project, accounts, model_store, chain):
    """Ape replays a sent tx with eth_call to get its return value; that replay must work."""
    gate = accounts[0].deploy(project.SentimentGate, "sentiment")
    runs = chain.provider.inference_engine.model_runs
    receipt = gate.submit(["good", "strong", "rug"], sender=accounts[0])
    assert receipt.return_value is True
    assert chain.provider.inference_engine.model_runs - runs == 1
