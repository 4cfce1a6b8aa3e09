"""Our StandardMerkleTree (ogkit.settlement.merkle) against OpenZeppelin's own JavaScript
library (npm @openzeppelin/merkle-tree, pinned in package.json), run with node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, StandardMerkleTree, verify

REPO = Path(__file__).resolve().parents[2]
OZ = REPO / "node_modules" / "@openzeppelin" / "merkle-tree"
SCRIPT = """
const { StandardMerkleTree } = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map(({ values, types }) => {
  const tree = StandardMerkleTree.of(values, types);
  return { root: tree.root, proofs: values.map((_, i) => tree.getProof(i)) };
});
console.log(JSON.stringify(out));
"""

pytestmark = pytest.mark.skipif(
    not OZ.is_dir() or shutil.which("node") is None,
    reason="npm @openzeppelin/merkle-tree not installed (make setup runs npm ci)",
)


def openzeppelin(cases: list[dict]) -> list[dict]:
    done = subprocess.run(
        ["node", "-e", SCRIPT, str(OZ)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def hexed(value: object) -> object:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def test_the_readme_vector():
    values = [
        ["0x1111111111111111111111111111111111111111", 5000000000000000000],
        ["0x2222222222222222222222222222222222222222", 2500000000000000000],
    ]
    tree = StandardMerkleTree(values, ["address", "uint256"])
    assert tree.root.hex() == "d4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77"


leaf = st.tuples(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=300),
    st.integers(min_value=0, max_value=2**64),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(leaf, min_size=1, max_size=9), min_size=1, max_size=4))
def test_settlement_trees_match_openzeppelin(batches):
    types = list(SETTLEMENT_LEAF_TYPES)
    cases = [{"values": [[hexed(v) for v in row] for row in b], "types": types} for b in batches]
    for batch, theirs in zip(batches, openzeppelin(cases), strict=True):
        ours = StandardMerkleTree(batch, types)
        assert "0x" + ours.root.hex() == theirs["root"]
        for index in range(len(batch)):
            assert ["0x" + h.hex() for h in ours.proof(index)] == theirs["proofs"][index]
            assert verify(ours.proof(index), ours.root, ours.leaf(index))


def test_an_empty_tree_is_refused():
    with pytest.raises(ValueError, match="at least one leaf"):
        StandardMerkleTree([], list(SETTLEMENT_LEAF_TYPES))
