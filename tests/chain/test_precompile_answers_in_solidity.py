"""The real 0xF4 precompile as Solidity sees it, on the `opengradient:local` chain: answers.

`contracts/test/InferenceProbe.sol` calls 0xF4 two ways: `infer` through the `OGInference`
interface (what example contracts do; Solidity encodes the request) and `forward` with raw
calldata over a low-level call; `peek` reaches it from a view function (STATICCALL). The output
is exact, several outputs keep the model's order, and the event is the one the SDK reads.

Expected model outputs come from onnxruntime run directly on the same float32 inputs,
converted by the SDK rule (`precompiles.fixed_point.from_array`).
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from inference_probe_support import PROBE_MODEL, raw_request

from precompiles.fixed_point import from_array, to_array
from precompiles.inference.model_codec import decode_model_output, encode_model_output
from precompiles.inference.types import ModelOutput, NumberTensor, StringTensor


def _session(model_store, model_id: str) -> ort.InferenceSession:
    data = model_store.read(model_store.resolve(model_id))
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def expected_output(model_store, model_id: str, feeds: dict[str, np.ndarray]) -> ModelOutput:
    """What 0xF4 must return: onnxruntime's outputs, numbers by the SDK rule, model order."""
    session = _session(model_store, model_id)
    names = [o.name for o in session.get_outputs()]
    numbers, strings = [], []
    for name, array in zip(names, session.run(names, feeds), strict=True):
        array = np.asarray(array)
        if array.dtype.kind in "OUS":
            strings.append(StringTensor(name, tuple(str(v) for v in array.reshape(-1))))
        else:
            numbers.append(NumberTensor(name, from_array(array), tuple(array.shape)))
    return ModelOutput(tuple(numbers), tuple(strings))


def test_interface_call_returns_exact_output_and_event(probe, owner, engine, model_store):
    # an input no other test sends, so the result cache cannot already hold it
    x = np.array([0.1234567, -9.8765], dtype=np.float32)
    numbers = [(1234567, 7), (-98765, 4)]
    assert np.array_equal(to_array(numbers, np.dtype(np.float32)), x)
    request = (1, "upstream_demo", ([("input", numbers, [2])], []))
    want = expected_output(model_store, "upstream_demo", {"input": x})
    # upstream_demo: output = 2 x0 - 0.5 x1 + 0.25, in float32 (the runtime's arithmetic)
    assert want.numbers[0].values == from_array(
        np.float32(2) * x[0] - np.float32(0.5) * x[1] + np.float32(0.25)
    )

    runs, records = engine.model_runs, len(engine.records)
    receipt = probe.infer(request, sender=owner)

    assert receipt.status == 1
    assert engine.model_runs - runs == 1  # once, although Ape replays the transaction
    assert len(engine.records) - records == 1
    assert probe.calls() == 1
    # The interface decoded the precompile's return data and abi.encode gives it back.
    assert bytes(probe.lastOutput()) == encode_model_output(want)

    event, inferred = receipt.decode_logs()
    assert event.event_name == "ModelInferenceEvent"
    assert event.contract_address == "0x00000000000000000000000000000000000000F4"
    assert tuple(event.request) == (1, "upstream_demo", ((("input", tuple(numbers), (2,)),), ()))
    assert tuple(event.response) == (
        (("output", want.numbers[0].values, (1,)),),
        (),
        (),
        False,
    )
    record = engine.records[event.inferenceID]
    assert record.block_number == receipt.block_number
    assert record.mode.name == "ZK" and record.inference_id in engine.prover_queue
    assert inferred.event_name == "Inferred" and inferred.call == 1


def test_multiple_outputs_keep_model_order_and_row_major(probe, owner, model_store):
    x = np.array([0.25, 4.0, 2.0], dtype=np.float32)
    request = raw_request(0, PROBE_MODEL, [("x", [(25, 2), (4, 0), (2, 0)], [3])])
    want = expected_output(model_store, PROBE_MODEL, {"x": x})
    assert [t.name for t in want.numbers] == ["root", "same", "outer"]
    assert want.numbers[2].shape == (3, 3)
    # row-major [3, 3]: element (1, 2) is x1 * x2 = 8
    assert want.numbers[2].values[1 * 3 + 2] == (8, 0)
    assert want.numbers[0].values[2] == from_array(np.sqrt(np.float32(2.0)))[0]

    receipt = probe.forward(request, sender=owner)
    assert receipt.status == 1
    assert bytes(probe.lastOutput()) == encode_model_output(want)
    assert decode_model_output(bytes(probe.lastOutput())) == want


def test_static_call_from_a_view_function(probe, owner, engine, model_store):
    """A view function may reach 0xF4 with STATICCALL: the result comes back, and the
    precompile emits no ModelInferenceEvent there (a log is a state change, which a static
    frame forbids)."""
    x = np.array([1.5, -2.0], dtype=np.float32)
    request = raw_request(2, "upstream_demo", [("input", [(15, 1), (-2, 0)], [2])])
    ok, data = probe.peek(request)
    assert ok is True
    assert decode_model_output(bytes(data)) == expected_output(
        model_store, "upstream_demo", {"input": x}
    )
    # the same view function sent as a transaction: it succeeds, with no log at all
    receipt = probe.peek.transact(request, sender=owner)
    assert receipt.status == 1 and receipt.logs == []
