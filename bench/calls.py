"""Calldata of a 0xF4 `runModelInference` call, for benchmarks that send it straight to 0xF4."""

from __future__ import annotations

import numpy as np
from eth_abi import encode
from eth_utils import keccak

from precompiles.fixed_point import to_number
from precompiles.inference.model_codec import MODEL_INFERENCE_REQUEST, RUN_MODEL_INFERENCE_SIGNATURE

SELECTOR = keccak(text=RUN_MODEL_INFERENCE_SIGNATURE)[:4]


def run_model_inference(mode: int, model: str, inputs: dict[str, np.ndarray]) -> bytes:
    """One number tensor per input, values in the SDK's fixed point, shapes kept."""
    tensors = [
        (name, [tuple(to_number(x)) for x in value.reshape(-1)], list(value.shape))
        for name, value in inputs.items()
    ]
    return SELECTOR + encode([MODEL_INFERENCE_REQUEST], [(mode, model, (tensors, []))])
