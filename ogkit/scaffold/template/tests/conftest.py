import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def forecaster_model():
    """The model lives in `.ogkit/models` (not committed): build it if it is missing."""
    spec = importlib.util.spec_from_file_location("build_model", ROOT / "scripts/build_model.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    return builder.build(ROOT)
