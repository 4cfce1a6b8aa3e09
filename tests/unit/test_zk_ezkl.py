"""ZK mode with EZKL: set up `upstream_demo`, prove its sample inference, verify off chain with
ezkl and on chain with the generated `Halo2Verifier` deployed on the AI chain.

One setup per model is shared by the whole module (each takes ~8 s, most of it compiling the
verifier with solc); at logrows 6 proofs take ~0.05 s each.

Fixed-point tolerance: EZKL calibrates `upstream_demo` to input scale 13, so each input is
rounded to a multiple of 2**-13 (error <= 2**-14); the output 2*x0 - 0.5*x1 + 0.25 then errs by
at most 2.5 * 2**-14 plus the output's own rounding. We allow 4 * 2**-input_scale (4.9e-4 at
scale 13); the measured error is ~3e-5.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

ezkl = pytest.importorskip(
    "ezkl", reason="ZK mode needs the ezkl package (pip install ezkl==23.0.5)"
)

from click.testing import CliRunner  # noqa: E402
from eth_abi import decode  # noqa: E402
from eth_utils import keccak  # noqa: E402
from zk_support import bump_output, flip_proof_byte, other_model  # noqa: E402

from og_examples.install import install_examples  # noqa: E402
from og_examples.models import UPSTREAM_DEMO_ALIAS, sample_input  # noqa: E402
from ogkit import zk  # noqa: E402
from ogkit.cli import main  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402

MODEL = "upstream_demo"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    store = ModelStore(tmp_path_factory.mktemp("zk") / "store")
    install_examples(store)
    store.add(other_model(), "zk_other")
    return store


@pytest.fixture(scope="module")
def artifacts(store: ModelStore) -> zk.ZkArtifacts:
    steps: list[str] = []
    built = zk.setup(store, MODEL, on_step=lambda index, name: steps.append(name))
    assert steps == list(zk.STEPS)
    return built


@pytest.fixture(scope="module")
def proof(artifacts: zk.ZkArtifacts) -> zk.ZkProof:
    return zk.prove(artifacts, sample_input(MODEL))


# --- setup -----------------------------------------------------------------------------------


def test_setup_writes_labelled_artifacts_under_the_store(
    store: ModelStore, artifacts: zk.ZkArtifacts
) -> None:
    cid = store.resolve(MODEL).cid
    assert artifacts.cid == cid
    assert artifacts.directory == store.root / "zk" / cid
    assert artifacts.srs_path.name == f"kzg-k{artifacts.logrows}.DEV-INSECURE.srs"
    assert artifacts.manifest["srs"]["dev_only_insecure"] is True
    settings = artifacts.settings
    run_args = settings["run_args"]
    assert (run_args["input_visibility"], run_args["output_visibility"]) == ("Private", "Public")
    assert run_args["param_visibility"] == "Fixed"
    assert artifacts.logrows == run_args["logrows"] <= 17
    verifier = artifacts.verifier()
    assert verifier["compiler"]["evmVersion"] == "cancun"
    assert verifier["compiler"]["optimizer"]["enabled"] is True
    assert 0 < verifier["runtimeSize"] <= 24_576
    assert [t.name for t in artifacts.inputs] == ["input"]
    assert [(t.name, t.shape) for t in artifacts.outputs] == [("output", (1,))]
    # nothing half-built is left next to it
    assert [p.name for p in (store.root / "zk").iterdir()] == [cid]


def test_setup_is_idempotent(store: ModelStore, artifacts: zk.ZkArtifacts) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in artifacts.directory.iterdir()}
    steps: list[str] = []
    # by alias this time (the alpha-testnet-style id points at the same CID)
    again = zk.setup(store, UPSTREAM_DEMO_ALIAS, on_step=lambda i, n: steps.append(n))
    assert again == artifacts and steps == []
    assert {p.name: p.stat().st_mtime_ns for p in again.directory.iterdir()} == before
    assert zk.load(store, MODEL) == artifacts


def test_setup_rejects_non_numeric_models_and_unknown_calibration(store: ModelStore) -> None:
    with pytest.raises(zk.ZkError, match="numeric"):
        zk.setup(store, "sentiment")
    with pytest.raises(zk.ZkError, match="calibration inputs"):
        zk.setup(store, "zk_other")
    with pytest.raises(zk.ZkError, match="no ZK setup"):
        zk.load(store, "credit_risk")


def test_cli_zk_setup_reuses_the_artifacts(store: ModelStore, artifacts: zk.ZkArtifacts) -> None:
    result = CliRunner().invoke(main, ["models", "zk-setup", MODEL, "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert artifacts.cid in result.output
    assert "DEV ONLY, INSECURE" in result.output
    assert "reused" in result.output
    missing = CliRunner().invoke(main, ["models", "zk-setup", "nope", "--store", str(store.root)])
    assert (missing.exit_code, missing.output) == (
        1,
        f"Error: model not found: nope; `ogkit models list` shows what {store.root} holds\n",
    )


# --- prove / verify off chain -----------------------------------------------------------------


def test_proof_verifies_with_ezkl(artifacts: zk.ZkArtifacts, proof: zk.ZkProof) -> None:
    assert zk.verify(artifacts, proof) is True
    assert len(proof.proof) > 0 and len(proof.instances[0]) == 1


def test_public_output_matches_onnxruntime(
    store: ModelStore, artifacts: zk.ZkArtifacts, proof: zk.ZkProof
) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(store.read(store.resolve(MODEL)))
    (expected,) = session.run(["output"], sample_input(MODEL))
    tolerance = 4 * 2.0 ** -artifacts.settings["run_args"]["input_scale"]
    assert proof.outputs["output"].shape == expected.shape == (1,)
    np.testing.assert_allclose(proof.outputs["output"], expected, rtol=0, atol=tolerance)
    # and it agrees with what EZKL itself reports in the proof file
    reported = proof.raw["pretty_public_inputs"]["rescaled_outputs"][0]
    np.testing.assert_allclose(proof.outputs["output"], np.array(reported, dtype=float))


def test_tampered_proof_fails(artifacts: zk.ZkArtifacts, proof: zk.ZkProof) -> None:
    assert zk.verify(artifacts, flip_proof_byte(proof)) is False
    assert zk.verify(artifacts, flip_proof_byte(proof, len(proof.proof) - 1)) is False


def test_tampered_public_output_fails(artifacts: zk.ZkArtifacts, proof: zk.ZkProof) -> None:
    tampered = bump_output(proof)
    assert tampered.instances != proof.instances
    assert zk.verify(artifacts, tampered) is False


def test_proof_fails_against_another_models_artifacts(
    store: ModelStore, artifacts: zk.ZkArtifacts, proof: zk.ZkProof
) -> None:
    # explicit calibration inputs: zk_other is not an example model
    other = zk.setup(store, "zk_other", calibration_inputs=[sample_input(MODEL)])
    assert other.cid != artifacts.cid and other.directory != artifacts.directory
    assert zk.verify(other, proof) is False
    # while that model's own proofs verify there
    own = zk.prove(other, sample_input(MODEL))
    assert zk.verify(other, own) is True
    np.testing.assert_allclose(
        own.outputs["output"], [sum(sample_input(MODEL)["input"])], atol=1e-3
    )


def test_proof_round_trips_through_json(artifacts: zk.ZkArtifacts, proof: zk.ZkProof) -> None:
    again = zk.ZkProof.from_json(json.loads(json.dumps(proof.to_json())), artifacts)
    assert again == proof and zk.verify(artifacts, again)


# --- on chain ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, artifacts: zk.ZkArtifacts):
    from web3 import EthereumTesterProvider, Web3

    from ogkit.chain import new_tester
    from ogkit.inference.engine import InferenceEngine

    engine = InferenceEngine(ModelStore(tmp_path_factory.mktemp("zk-chain-store")))
    w3 = Web3(EthereumTesterProvider(new_tester(engine)))
    account = w3.eth.accounts[0]
    built = artifacts.verifier()
    factory = w3.eth.contract(abi=built["abi"], bytecode=built["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor().transact({"from": account, "gas": 6_000_000})
    )
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert len(w3.eth.get_code(address)) == built["runtimeSize"]
    return w3, account, address, receipt["gasUsed"]


def _call(w3, account: str, address: str, data: bytes) -> bool:
    from eth_tester.exceptions import TransactionFailed
    from web3.exceptions import ContractLogicError

    try:
        out = w3.eth.call({"from": account, "to": address, "data": data, "gas": 5_000_000})
    except (ContractLogicError, TransactionFailed):  # the verifier reverts on a bad proof
        return False
    return bool(decode(["bool"], out)[0])


def test_evm_calldata_encodes_verify_proof(artifacts: zk.ZkArtifacts, proof: zk.ZkProof) -> None:
    data = zk.evm_calldata(artifacts, proof)
    assert data[:4] == keccak(text=zk.VERIFY_PROOF_SIGNATURE)[:4]
    proof_bytes, instances = decode(["bytes", "uint256[]"], data[4:])
    assert proof_bytes == proof.proof
    assert list(instances) == [
        int.from_bytes(bytes.fromhex(f), "little") for f in proof.instances[0]
    ]


def test_verifier_contract_accepts_the_proof_on_chain(
    chain, artifacts: zk.ZkArtifacts, proof: zk.ZkProof
) -> None:
    w3, account, address, deploy_gas = chain
    data = zk.evm_calldata(artifacts, proof)
    assert _call(w3, account, address, data) is True
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": account, "to": address, "data": data, "gas": 5_000_000})
    )
    assert receipt["status"] == 1
    gas = receipt["gasUsed"]
    print(f"\nHalo2Verifier deploy gas {deploy_gas:,}; verifyProof gas {gas:,}")
    assert 200_000 < gas < 1_500_000


def test_verifier_contract_rejects_tampered_proofs(
    chain, artifacts: zk.ZkArtifacts, proof: zk.ZkProof
) -> None:
    w3, account, address, _ = chain
    assert _call(w3, account, address, zk.evm_calldata(artifacts, flip_proof_byte(proof))) is False
    assert _call(w3, account, address, zk.evm_calldata(artifacts, bump_output(proof))) is False
