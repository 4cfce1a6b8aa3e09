"""ZK mode: prove ONNX inferences with EZKL (Halo2/KZG) and verify off chain or on chain.

    artifacts = setup(store, "upstream_demo")          # once per model CID, then reused
    proof = prove(artifacts, sample_input("upstream_demo"))  # og_examples.models
    assert verify(artifacts, proof)                    # off chain, with ezkl
    data = evm_calldata(artifacts, proof)              # Halo2Verifier.verifyProof(bytes,uint256[])

The SRS is made locally with `ezkl.gen_srs`: dev only and insecure (see `ogkit.zk.artifacts`).
"""

from ogkit.zk.artifacts import (
    VERIFY_PROOF_SIGNATURE,
    TensorSpec,
    ZkArtifacts,
    ZkError,
    ZkProof,
    artifacts_dir,
    load,
)
from ogkit.zk.pipeline import evm_calldata, example_calibration, prove, setup, verify
from ogkit.zk.steps import STEPS

__all__ = [
    "STEPS",
    "VERIFY_PROOF_SIGNATURE",
    "TensorSpec",
    "ZkArtifacts",
    "ZkError",
    "ZkProof",
    "artifacts_dir",
    "evm_calldata",
    "example_calibration",
    "load",
    "prove",
    "setup",
    "verify",
]
