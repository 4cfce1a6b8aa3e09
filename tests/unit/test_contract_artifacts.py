"""The committed contract artifacts are exactly what the pinned solc makes of our sources."""

from ogkit.contracts import load
from ogkit.contracts.build import SHIPPED, compile_shipped


def test_committed_artifacts_match_a_fresh_compile():
    fresh = compile_shipped()
    for name in SHIPPED:
        artifact = load(name)
        assert artifact.bytecode.hex() == fresh[name]["bytecode"].removeprefix("0x"), name
        assert artifact.runtime.hex() == fresh[name]["deployedBytecode"].removeprefix("0x"), name
        assert artifact.abi == fresh[name]["abi"], name


def test_unknown_artifact_names_the_known_ones():
    import pytest

    with pytest.raises(FileNotFoundError, match="InferenceSettlementRelay"):
        load("NoSuchContract")
