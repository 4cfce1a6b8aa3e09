"""The TEE verifier tests' enclaves and document: another honest enclave under the dev root,
and the simulated enclave's attestation document stamped at NOW."""

from __future__ import annotations

import pytest
from tee_verifier_support import NOW

from ogkit.tee import SimulatedEnclave
from ogkit.tee.enclave import dev_pcrs


@pytest.fixture(scope="module")
def other() -> SimulatedEnclave:
    """Another honest enclave under the dev root, running a different image."""
    return SimulatedEnclave(pcrs=dev_pcrs(b"some other image"))


@pytest.fixture(scope="module")
def document(enclave: SimulatedEnclave) -> bytes:
    return enclave.attestation_document(timestamp_ms=NOW * 1000)
