"""Is a file a model the chain can run? Checked when it is added, so a bad file fails at
`ogkit models add` with its reason instead of as a revert inside someone's transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class InvalidModel(ValueError):  # noqa: N818 - names the condition
    """The file is not a loadable ONNX model; the message says why."""


class Refused(ValueError):  # noqa: N818 - names the condition
    """A valid model the chain will not run: its compute cannot be priced or bounded."""


def refuse_unmeterable(model_bytes: bytes, max_loop_iterations: int | None = None) -> None:
    """Raise `Refused` with the reason unless the static cost analysis admits the model; a
    non-standard operator is left to onnxruntime first (its error names what it lacks)."""
    from ogkit.models.manifest import analyse

    manifest = analyse(model_bytes, max_loop_iterations)
    if not manifest.admitted and manifest.standard:
        raise Refused(manifest.reason)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def check_onnx(path: Path, before_loading: Callable[[bytes], None] | None = None) -> None:
    """Raise `InvalidModel` unless onnx's checker accepts the file and onnxruntime loads it
    (the checker misses unsupported operators and opsets; the runtime is the real test).

    `before_loading` sees the checked file before onnxruntime loads it: loading folds
    constants, so a 245-byte model can allocate a gigabyte before its first run."""
    import onnx
    import onnxruntime as ort

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf raises its own types
        raise InvalidModel(f"not an ONNX file ({_first_line(exc)})") from None
    if not model.graph.node and not model.graph.output:
        raise InvalidModel("not an ONNX file (it holds no graph: empty, or another format)")
    try:
        # by path: models over 2 GB keep their weights beside the file
        onnx.checker.check_model(str(path))
    except Exception as exc:  # noqa: BLE001 - onnx raises several unrelated types
        raise InvalidModel(f"the ONNX checker refuses it: {_first_line(exc)}") from None
    if before_loading is not None:
        before_loading(path.read_bytes())
    options = ort.SessionOptions()
    options.log_severity_level = 4  # the reason goes into our message, not onto stderr
    try:
        ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own hierarchy
        reason = _first_line(exc).split(" failed:", 1)[-1].strip()
        raise InvalidModel(f"onnxruntime cannot load it: {reason}") from None
