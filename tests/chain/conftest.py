"""Fixtures of the in-process chain tests (`opengradient:local`)."""

from __future__ import annotations

import pytest


@pytest.fixture
def pool(project, admin):
    """RiskLendingPool on credit_risk, deployed by `admin`."""
    return admin.deploy(project.RiskLendingPool, "credit_risk")
