"""The OGInference precompile at 0x…F4, byte-compatible with alpha: the entry point.

Charges the base gas, caps the calldata and dispatches on the selector: `runModelInference`
to `models`, `runLLMCompletion` (and its 1.0.x name `runLLMInference`) and `runLLMChat` to
`llm`. Every failure becomes a revert with a readable reason; nothing raises.
"""

from __future__ import annotations

from eth_utils import keccak

from precompiles import gas, limits
from precompiles.guard import PrecompileRevert, run_guarded
from precompiles.host import CallContext, LLMBackend, ModelBackend, Precompile, PrecompileResult
from precompiles.inference.llm import run_llm_chat, run_llm_completion
from precompiles.inference.model_codec import RUN_MODEL_INFERENCE_SIGNATURE
from precompiles.inference.models import run_model_inference

RUN_MODEL_INFERENCE = keccak(text=RUN_MODEL_INFERENCE_SIGNATURE)[:4]
RUN_LLM_COMPLETION = bytes.fromhex("14800c61")
RUN_LLM_CHAT = bytes.fromhex("e39aa7e7")
RUN_LLM_INFERENCE = bytes.fromhex("ea3dd516")
"""`runLLMInference`, the 1.0.x name of `runLLMCompletion`: same request tuple, same answer."""


def make_og_inference(backend: ModelBackend, llm_backend: LLMBackend | None = None) -> Precompile:
    """Bind the 0xF4 precompile to the model backend the chain hands in (and the LLM
    backend; without one the LLM functions revert)."""

    def og_inference(calldata: bytes, context: CallContext) -> PrecompileResult:
        return run(calldata, context, backend, llm_backend)

    return og_inference


def run(
    calldata: bytes,
    context: CallContext,
    backend: ModelBackend,
    llm_backend: LLMBackend | None = None,
) -> PrecompileResult:
    """One call of 0xF4: never raises, always charges the gas used."""
    meter = gas.GasMeter(context.gas_available)

    def body() -> PrecompileResult:
        meter.charge(gas.BASE)
        return _dispatch(calldata, context, backend, meter, llm_backend)

    return run_guarded("OGInference", meter, body)


def _dispatch(
    calldata: bytes,
    context: CallContext,
    backend: ModelBackend,
    meter: gas.GasMeter,
    llm_backend: LLMBackend | None = None,
) -> PrecompileResult:
    if len(calldata) > limits.MAX_CALLDATA_BYTES:
        raise PrecompileRevert(
            f"OGInference: calldata of {len(calldata)} bytes exceeds {limits.MAX_CALLDATA_BYTES}"
        )
    selector = calldata[:4]
    if selector == RUN_MODEL_INFERENCE:
        return run_model_inference(calldata[4:], context, backend, meter)
    if selector in (RUN_LLM_COMPLETION, RUN_LLM_INFERENCE):
        return run_llm_completion(calldata[4:], context, llm_backend, meter)
    if selector == RUN_LLM_CHAT:
        return run_llm_chat(calldata[4:], context, llm_backend, meter)
    raise PrecompileRevert(f"OGInference: unknown function selector 0x{selector.hex()}")
