"""What runs inside the EVM: one module per precompile.

Calldata in, `PrecompileResult` (return data, gas, logs) out. Nothing here knows py-evm,
files, networks or Ape; the chain in `ogkit.chain` adapts these functions to py-evm.
"""

from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.backend import InferenceBackend, ModelSpec, TensorSpec
from precompiles.result import CallContext, LogEntry, PrecompileResult

__all__ = [
    "OG_INFERENCE_ADDRESS",
    "CallContext",
    "InferenceBackend",
    "LogEntry",
    "ModelSpec",
    "PrecompileResult",
    "TensorSpec",
]
