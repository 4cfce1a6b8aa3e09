"""`ogkit models add` refuses a model whose compute cannot be priced or bounded, before
onnxruntime loads it, and keeps the verdict in the store's manifest (issue 12, item 1)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner, Result

from og_examples.models import EXAMPLES
from ogkit.cli import main
from ogkit.models import stress
from ogkit.models.cid import cid_for


def add(path: Path, store: Path, *options: str) -> Result:
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+: stderr is always apart
        runner = CliRunner()
    return runner.invoke(main, ["models", "add", str(path), "--store", str(store), *options])


def test_add_refuses_the_loop_whose_count_is_an_input(tmp_path: Path) -> None:
    path = tmp_path / "loop.onnx"
    path.write_bytes(stress.loop_matmul(None))
    result = add(path, tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot add {path}: the Loop runs a number of times that is not a constant of "
        "the model (an input or a computed value), so its cost cannot be known before it runs; "
        "declare a bound with `ogkit models add --max-loop-iterations N` (a Loop of the main "
        "graph with a trip count input only)\n"
    )
    assert not (tmp_path / "store" / "blobs").exists()


def test_add_refuses_a_gigabyte_before_onnxruntime_allocates_it(tmp_path: Path) -> None:
    path = tmp_path / "alloc.onnx"
    path.write_bytes(stress.allocation(256 << 20))
    started = time.perf_counter()
    result = add(path, tmp_path / "store")
    assert time.perf_counter() - started < 5  # never loaded, let alone run
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: cannot add {path}: its smallest call needs 1,024.0 MiB of tensors at once, "
        "over the 256 MiB limit"
    )


def test_add_keeps_the_verdict_in_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "volatility.onnx"
    data = EXAMPLES["volatility"].build()
    path.write_bytes(data)
    result = add(path, tmp_path / "store")
    assert (result.exit_code, result.stdout) == (0, f"{cid_for(data)}\n")
    manifest = json.loads((tmp_path / "store" / "manifests" / f"{cid_for(data)}.json").read_text())
    assert manifest == {
        "admitted": True,
        "analyser": 1,
        "compute_gas": 50,
        "cost": {
            "bytes_moved": 2252,
            "large_bytes": 0,
            "macs": 341,
            "nodes": 16,
            "peak_bytes": 320,
        },
        "max_loop_iterations": None,
        "onnx": True,
        "probe_shapes": {"open_high_low_close": [10, 4]},
        "reason": "",
        "standard": True,
    }


def test_add_admits_a_loop_with_a_constant_count(tmp_path: Path) -> None:
    path = tmp_path / "loop10.onnx"
    path.write_bytes(stress.loop_matmul(10))
    result = add(path, tmp_path / "store")
    assert result.exit_code == 0, result.stderr


def test_add_admits_the_loop_with_a_declared_bound(tmp_path: Path) -> None:
    path = tmp_path / "loop.onnx"
    data = stress.loop_matmul(None, 64)
    path.write_bytes(data)
    result = add(path, tmp_path / "store", "--max-loop-iterations", "8")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "store" / "manifests" / f"{cid_for(data)}.json").read_text())
    assert (manifest["admitted"], manifest["max_loop_iterations"]) == (True, 8)
    assert manifest["cost"]["macs"] == 8 * 64**3 + 64 * 64
