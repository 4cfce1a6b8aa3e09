"""0xF4's LLM functions: `runLLMCompletion` and `runLLMChat`, byte-compatible with alpha.

Decode and validate the request, charge gas for it, ask the LLM backend, check what came
back, charge per generated token, return the ABI-encoded response and emit
`LLMCompletionEvent` / `LLMChat` (not in static calls). Every failure is a `PrecompileRevert`
with a readable reason; `precompile.run` turns it into a revert with the gas charged.
"""

from __future__ import annotations

import json

from eth_utils import keccak

from precompiles import gas, limits
from precompiles.abi.reader import AbiDecodeError
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.guard import PrecompileRevert, echo
from precompiles.host import (
    CallContext,
    ExecutionPhase,
    LLMBackend,
    LLMRequest,
    LLMResult,
    LLMSpec,
    LogEntry,
    ModelExecutionError,
    ModelNotFound,
    PrecompileResult,
)
from precompiles.inference.inference_id import call_site_id
from precompiles.inference.llm_codec import (
    LLM_CHAT_EVENT_SIGNATURE,
    LLM_COMPLETION_EVENT_SIGNATURE,
    decode_llm_chat_request,
    decode_llm_completion_request,
    encode_llm_chat_event,
    encode_llm_chat_response,
    encode_llm_completion_event,
    encode_llm_completion_response,
)
from precompiles.inference.llm_types import (
    ChatMessage,
    LLMChatRequest,
    LLMChatResponse,
    LLMCompletionRequest,
    LLMCompletionResponse,
    LLMInferenceMode,
    ToolCall,
)

LLM_COMPLETION_EVENT_TOPIC = int.from_bytes(keccak(text=LLM_COMPLETION_EVENT_SIGNATURE), "big")
LLM_CHAT_EVENT_TOPIC = int.from_bytes(keccak(text=LLM_CHAT_EVENT_SIGNATURE), "big")
CHAT_ROLES = ("system", "user", "assistant", "tool")
TOOL_CHOICES = ("", "auto", "none", "required")
_DECODE_BUDGET = 1 << 14  # array elements in one request: far above every cap below


def run_llm_completion(
    args: bytes, context: CallContext, backend: LLMBackend | None, meter: gas.GasMeter
) -> PrecompileResult:
    if backend is None:
        raise PrecompileRevert("OGInference: LLM inference is not available on this chain")
    try:
        request = decode_llm_completion_request(args, _DECODE_BUDGET)
    except AbiDecodeError as exc:
        raise PrecompileRevert(f"OGInference: malformed calldata: {exc}") from None
    _check_common(request)
    meter.charge(gas.llm_prompt_gas(_utf8(request.prompt) + _stop_bytes(request)))
    if context.phase is ExecutionPhase.PIPE_SIMULATION:  # alpha's first pass: empty, no run
        return PrecompileResult(
            encode_llm_completion_response(LLMCompletionResponse("")), meter.used
        )
    model, result, inference_id = _generate(request, args, context, backend)
    if result.message.tool_calls:
        raise PrecompileRevert("OGInference: the model answered a completion with tool calls")
    meter.charge(gas.llm_output_gas(result.completion_tokens))
    meter.charge(
        gas.llm_compute_gas(model.size_bytes, result.prompt_tokens, result.completion_tokens)
    )
    response = LLMCompletionResponse(result.message.content)
    logs = []
    if not context.is_static:  # a log in a static frame would be a state change
        event = encode_llm_completion_event(inference_id, request, response)
        logs = _emit(LLM_COMPLETION_EVENT_TOPIC, event, meter)
    if context.commits:
        backend.record_llm(model, request, result, inference_id, context)
    return PrecompileResult(encode_llm_completion_response(response), meter.used, logs=logs)


def run_llm_chat(
    args: bytes, context: CallContext, backend: LLMBackend | None, meter: gas.GasMeter
) -> PrecompileResult:
    if backend is None:
        raise PrecompileRevert("OGInference: LLM inference is not available on this chain")
    try:
        request = decode_llm_chat_request(args, _DECODE_BUDGET)
    except AbiDecodeError as exc:
        raise PrecompileRevert(f"OGInference: malformed calldata: {exc}") from None
    _check_common(request)
    meter.charge(gas.llm_prompt_gas(_check_chat(request)))
    if context.phase is ExecutionPhase.PIPE_SIMULATION:  # alpha's first pass: empty, no run
        empty = LLMChatResponse("", ChatMessage("assistant", "", "", "", ()))
        return PrecompileResult(encode_llm_chat_response(empty), meter.used)
    model, result, inference_id = _generate(request, args, context, backend)
    _check_tool_calls(result.message.tool_calls, "the model returned")
    meter.charge(gas.llm_output_gas(result.completion_tokens))
    meter.charge(
        gas.llm_compute_gas(model.size_bytes, result.prompt_tokens, result.completion_tokens)
    )
    response = LLMChatResponse(result.finish_reason, result.message)
    logs = []
    if not context.is_static:
        logs = _emit(
            LLM_CHAT_EVENT_TOPIC, encode_llm_chat_event(inference_id, request, response), meter
        )
    if context.commits:
        backend.record_llm(model, request, result, inference_id, context)
    return PrecompileResult(encode_llm_chat_response(response), meter.used, logs=logs)


def _emit(topic: int, event: bytes, meter: gas.GasMeter) -> list[LogEntry]:
    """The call's event, logged by 0xF4 and paid for."""
    meter.charge(gas.log_gas(len(event)))
    return [LogEntry(OG_INFERENCE_ADDRESS, (topic,), event)]


def _generate(
    request: LLMRequest, args: bytes, context: CallContext, backend: LLMBackend
) -> tuple[LLMSpec, LLMResult, str]:
    try:
        model = backend.resolve_llm(request.model_cid)
    except ModelNotFound:
        raise PrecompileRevert(f"OGInference: LLM not found: {echo(request.model_cid)}") from None
    except ModelExecutionError as exc:
        raise PrecompileRevert(
            f"OGInference: cannot load LLM {echo(request.model_cid)}: {exc}"
        ) from None
    inference_id = llm_inference_id(context, model, args)
    try:
        result = backend.generate(model, request, inference_id, context)
    except ModelExecutionError as exc:
        raise PrecompileRevert(f"OGInference: LLM inference failed: {exc}") from None
    return model, result, inference_id


def llm_inference_id(context: CallContext, model: LLMSpec, request_args: bytes) -> str:
    """Deterministic per call site, like 0xF4's model inferences: every replay of a block
    names its LLM calls alike (and samples with the same seed)."""
    return call_site_id(context, model.model_hash, request_args)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _stop_bytes(request: LLMRequest) -> int:
    return sum(_utf8(s) for s in request.stop_sequence)


def _check_common(request: LLMRequest) -> None:
    if request.mode not in LLMInferenceMode._value2member_map_:
        raise PrecompileRevert(f"OGInference: unknown LLM inference mode {request.mode}")
    if request.max_tokens < 1:
        raise PrecompileRevert("OGInference: max_tokens must be at least 1")
    if request.max_tokens > limits.MAX_LLM_TOKENS:
        raise PrecompileRevert(
            f"OGInference: max_tokens {request.max_tokens} exceeds the cap of "
            f"{limits.MAX_LLM_TOKENS}"
        )
    if request.temperature > limits.MAX_LLM_TEMPERATURE:
        raise PrecompileRevert(
            f"OGInference: temperature {request.temperature} exceeds "
            f"{limits.MAX_LLM_TEMPERATURE} (= 1.00; it is sent as temperature x 100)"
        )
    if len(request.stop_sequence) > limits.MAX_STOP_SEQUENCES:
        raise PrecompileRevert(
            f"OGInference: {len(request.stop_sequence)} stop sequences exceed "
            f"{limits.MAX_STOP_SEQUENCES}"
        )
    for stop in request.stop_sequence:
        if not stop or _utf8(stop) > limits.MAX_STOP_SEQUENCE_BYTES:
            raise PrecompileRevert(
                f"OGInference: a stop sequence must be 1 to {limits.MAX_STOP_SEQUENCE_BYTES} bytes"
            )
    if isinstance(request, LLMCompletionRequest):
        _check_prompt_bytes(_utf8(request.prompt))


def _check_prompt_bytes(n: int) -> None:
    if n > limits.MAX_LLM_PROMPT_BYTES:
        raise PrecompileRevert(
            f"OGInference: {n} bytes of prompt exceed {limits.MAX_LLM_PROMPT_BYTES}"
        )


def _json_object(text: str, what: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise PrecompileRevert(f"OGInference: {what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise PrecompileRevert(f"OGInference: {what} must be a JSON object")


def _check_tool_calls(calls: tuple[ToolCall, ...], whose: str) -> None:
    for call in calls:
        if not call.name:
            raise PrecompileRevert(f"OGInference: {whose} a tool call without a name")
        _json_object(call.arguments, f"arguments of tool call '{call.name}' ({whose})")


def _message_bytes(message: ChatMessage) -> int:
    calls = sum(_utf8(c.id) + _utf8(c.name) + _utf8(c.arguments) for c in message.tool_calls)
    return (
        _utf8(message.role)
        + _utf8(message.content)
        + _utf8(message.name)
        + _utf8(message.tool_call_id)
        + calls
    )


def _check_chat(request: LLMChatRequest) -> int:
    """Validate messages, tools and tool_choice; return the request's text bytes for gas."""
    if not request.messages:
        raise PrecompileRevert("OGInference: a chat needs at least one message")
    if len(request.messages) > limits.MAX_CHAT_MESSAGES:
        raise PrecompileRevert(
            f"OGInference: {len(request.messages)} messages exceed {limits.MAX_CHAT_MESSAGES}"
        )
    if len(request.tools) > limits.MAX_LLM_TOOLS:
        raise PrecompileRevert(
            f"OGInference: {len(request.tools)} tools exceed {limits.MAX_LLM_TOOLS}"
        )
    for index, message in enumerate(request.messages):
        if message.role not in CHAT_ROLES:
            raise PrecompileRevert(
                f"OGInference: message {index} has role '{message.role}'; "
                f"expected one of {', '.join(CHAT_ROLES)}"
            )
        if message.tool_calls and message.role != "assistant":
            raise PrecompileRevert(
                f"OGInference: message {index} ({message.role}) carries tool calls; "
                "only assistant messages may"
            )
        _check_tool_calls(message.tool_calls, f"message {index} has")
    names = [tool.name for tool in request.tools]
    for tool in request.tools:
        if not tool.name:
            raise PrecompileRevert("OGInference: a tool definition has no name")
        if names.count(tool.name) > 1:
            raise PrecompileRevert(f"OGInference: tool '{tool.name}' is defined twice")
        _json_object(tool.parameters, f"parameters of tool '{tool.name}'")
    if request.tool_choice not in TOOL_CHOICES and request.tool_choice not in names:
        raise PrecompileRevert(
            f"OGInference: tool_choice '{request.tool_choice}' is neither "
            f"{', '.join(repr(c) for c in TOOL_CHOICES)} nor a defined tool"
        )
    if request.tool_choice not in ("", "none") and request.tool_choice != "auto" and not names:
        raise PrecompileRevert("OGInference: tool_choice 'required' needs at least one tool")
    total = (
        sum(_message_bytes(m) for m in request.messages)
        + sum(_utf8(t.description) + _utf8(t.name) + _utf8(t.parameters) for t in request.tools)
        + _utf8(request.tool_choice)
        + _stop_bytes(request)
    )
    _check_prompt_bytes(total)
    return total
