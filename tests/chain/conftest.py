"""Fixtures of the in-process chain tests (`opengradient:local`)."""

from __future__ import annotations

import pytest


@pytest.fixture
def pool(project, admin, model_store):
    """RiskLendingPool on credit_risk (in the session's store), deployed by `admin`."""
    return admin.deploy(project.RiskLendingPool, "credit_risk")
