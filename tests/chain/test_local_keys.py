"""The in-process chain with its dev keys replaced, as `opengradient:` in ape-config.yaml
sets them (`tee_root`, `tee_ca`, `price_feed_key_file`): 0x900 trusts the given root, the
enclave attests under the given CA or TEE mode reverts, 0xF5 signs with the given key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from eth_abi import encode
from eth_account import Account
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3

from ape_opengradient.ecosystem import OpenGradientConfig
from ape_opengradient.provider import trust_tee_root
from og_examples.models import sample_input
from ogkit.chain import new_tester
from ogkit.contracts import load
from ogkit.inference.enclave_slot import NO_TEE_IDENTITY
from ogkit.inference.node import InferenceNode
from ogkit.pricefeed import default_price_feed, load_price_feed_key
from ogkit.settlement import deployment
from ogkit.tee import DevCertificateAuthority, verify_attestation
from precompiles.fixed_point import from_array
from precompiles.inference.llm_codec import LLM_COMPLETION_REQUEST
from precompiles.inference.llm_types import LLMInferenceMode
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_LLM_COMPLETION, RUN_MODEL_INFERENCE
from precompiles.inference.types import ModelInferenceRequest, ModelInput, NumberTensor

F4 = "0x00000000000000000000000000000000000000f4"
TEE = 2
KEY = keccak(b"the local chain's price feed key")


@pytest.fixture(scope="module", autouse=True)
def stores(model_store, example_store) -> None:
    """Session and module stores first (Ape's isolation wants wider scopes set up first)."""


@pytest.fixture(scope="module")
def ca() -> DevCertificateAuthority:
    return DevCertificateAuthority.generate()


@pytest.fixture(scope="module")
def files(tmp_path_factory, ca) -> dict:
    folder = tmp_path_factory.mktemp("local-keys")
    (folder / "root.pem").write_bytes(ca.root_pem)
    (folder / "ca.pem").write_bytes(
        ca.intermediate_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + ca.intermediate_certificate.public_bytes(serialization.Encoding.PEM)
    )
    (folder / "feed.key").write_text(KEY.hex())
    return {name: folder / name for name in ("root.pem", "ca.pem", "feed.key")}


def tee_calldata() -> str:
    ((name, array),) = sample_input("credit_risk").items()
    tensor = NumberTensor(name, from_array(array), tuple(array.shape))
    request = ModelInferenceRequest(TEE, "credit_risk", ModelInput((tensor,)))
    return "0x" + (RUN_MODEL_INFERENCE + encode_model_inference_request(request)).hex()


def test_the_config_takes_the_files() -> None:
    config = OpenGradientConfig(tee_root="root.pem", tee_ca="ca.pem", price_feed_key_file="k")
    assert (config.tee_root, config.tee_ca, config.price_feed_key_file) == (
        "root.pem",
        "ca.pem",
        "k",
    )
    assert OpenGradientConfig().tee_root is None


def test_without_a_ca_tee_mode_reverts_under_a_custom_root(example_store, files) -> None:
    node = InferenceNode(example_store, llm_http=None)
    root = trust_tee_root(node, files["root.pem"], None)
    tester = new_tester(node, tee_root_pem=root)
    account = tester.get_accounts()[0]
    with pytest.raises(TransactionFailed) as failure:
        tester.call({"from": account, "to": F4, "data": tee_calldata(), "gas": 3_000_000})
    assert str(failure.value) == f"OGInference: model execution failed: {NO_TEE_IDENTITY}"


def test_with_a_ca_the_enclave_signs_and_attests_under_the_root(example_store, files, ca) -> None:
    node = InferenceNode(example_store, llm_http=None)
    root = trust_tee_root(node, files["root.pem"], files["ca.pem"])
    assert root == ca.root_pem
    tester = new_tester(node, tee_root_pem=root)
    account = tester.get_accounts()[0]
    tx = tester.send_transaction(
        {"from": account, "to": F4, "data": tee_calldata(), "gas": 3_000_000}
    )
    assert tester.get_transaction_receipt(tx)["status"] == 1
    (record,) = node.engine.records.values()
    assert record.tee_signature.tee_id == node.enclave.tee_id
    enclave = node.enclave
    report = verify_attestation(
        enclave.attestation_document(),
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        root_pem=ca.root_pem,
    )
    assert report.valid and report.pcr_hash == enclave.pcr_hash


def test_the_price_feed_signs_with_the_key_file(files) -> None:
    feed = default_price_feed(None, load_price_feed_key(files["feed.key"], environ={}))
    assert feed.address == Account.from_key(KEY).address


def test_without_a_ca_tee_llm_calls_revert_too(model_store, files) -> None:
    node = InferenceNode(model_store, llm_http=None)
    tester = new_tester(node, tee_root_pem=trust_tee_root(node, files["root.pem"], None))
    account = tester.get_accounts()[0]
    request = (int(LLMInferenceMode.TEE), "tiny-llm", "The quick brown fox", 8, [], 0)
    data = RUN_LLM_COMPLETION + encode([LLM_COMPLETION_REQUEST], [request])
    with pytest.raises(TransactionFailed) as failure:
        tester.call({"from": account, "to": F4, "data": "0x" + data.hex(), "gas": 3_000_000})
    assert str(failure.value) == f"OGInference: LLM inference failed: {NO_TEE_IDENTITY}"
    vanilla = (0, *request[1:])  # the same request in VANILLA mode runs
    data = RUN_LLM_COMPLETION + encode([LLM_COMPLETION_REQUEST], [vanilla])
    assert tester.call({"from": account, "to": F4, "data": "0x" + data.hex(), "gas": 3_000_000})


def test_settlement_deploys_without_an_enclave_identity(example_store, files) -> None:
    """ZK results still settle under a custom root without a CA: the service deploys its
    contracts with an empty registry instead of failing every pass on the enclave."""
    node = InferenceNode(example_store, llm_http=None)
    tester = new_tester(node, tee_root_pem=trust_tee_root(node, files["root.pem"], None))
    w3 = Web3(EthereumTesterProvider(tester))
    service = node.attach_settlement(w3, receipt_timeout=5.0)
    service._ensure_contracts()  # what each pass with work to do begins with
    assert deployment.is_deployed(w3, service.contracts)
    registry = w3.eth.contract(address=service.contracts.registry, abi=load("TEERegistry").abi)
    assert registry.functions.awsRootCertificate().call() == b""
    assert [type(s).__name__ for s in service.settlers] == ["TeeSettlement", "ZkSettlement"]
