"""Fixtures of the in-process chain tests (`opengradient:local`): RiskLendingPool, and
InferenceProbe (contracts/test) with its test-only model in the store, for the 0xF4 tests
(modules with a `probe` of their own override it)."""

from __future__ import annotations

import pytest
from inference_probe_support import PROBE_MODEL, build_probe_model


@pytest.fixture
def pool(project, admin, model_store):
    """RiskLendingPool on credit_risk (in the session's store), deployed by `admin`."""
    return admin.deploy(project.RiskLendingPool, "credit_risk")


@pytest.fixture(scope="module")
def probe_model(model_store):
    model_store.add(build_probe_model(), PROBE_MODEL)
    return PROBE_MODEL


@pytest.fixture(scope="module")
def probe(project, owner, model_store, probe_model):
    return owner.deploy(project.InferenceProbe)
