"""ZK test helpers shared by the EZKL and ZK-settlement modules: a second small model and the
two ways of tampering with a proof."""

from __future__ import annotations

import dataclasses

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from ogkit import zk

OTHER_MODEL = "zk_other"


def other_model() -> bytes:
    """Same interface as upstream_demo (input float32 [2] -> output [1]), other weights:
    output = x0 + x1."""
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["input", "row"], ["input_row"]),
            helper.make_node("MatMul", ["input_row", "weights"], ["product"]),
            helper.make_node("Reshape", ["product", "flat"], ["output"]),
        ],
        "zk_other",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1])],
        initializer=[
            numpy_helper.from_array(np.array([[1.0], [1.0]], dtype=np.float32), "weights"),
            numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "row"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "flat"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def flip_proof_byte(proof: zk.ZkProof, index: int = 100) -> zk.ZkProof:
    tampered = bytearray(proof.proof)
    tampered[index] ^= 0x01
    return dataclasses.replace(proof, proof=bytes(tampered))


def bump_output(proof: zk.ZkProof) -> zk.ZkProof:
    """The first public output + 1 in fixed point (felts are little-endian hex)."""
    felt = bytearray.fromhex(proof.instances[0][0])
    felt[0] ^= 0x01
    rows = [list(row) for row in proof.instances]
    rows[0][0] = felt.hex()
    return dataclasses.replace(proof, instances=rows)
