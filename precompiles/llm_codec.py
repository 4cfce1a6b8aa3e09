"""ABI codec of 0xF4's LLM structs: bounded decoding of requests, encoding of responses.

Requests are untrusted calldata, so they are decoded by the same budgeted reader as
`runModelInference` (`abi_codec._Reader`: aliased offsets cannot blow up); responses and
events are written with `abi_encoder`'s helpers. Property tests hold both to eth-abi.
"""

from __future__ import annotations

from precompiles.abi_codec import _WORD, _Reader
from precompiles.abi_encoder import _dynamic_array, _string, _tuple, _uint
from precompiles.llm_types import (
    ChatMessage,
    LLMChatRequest,
    LLMChatResponse,
    LLMCompletionRequest,
    LLMCompletionResponse,
    ToolCall,
    ToolDefinition,
)

TOOL_CALL = "(string,string,string)"
TOOL_DEFINITION = "(string,string,string)"
CHAT_MESSAGE = f"(string,string,string,string,{TOOL_CALL}[])"
LLM_COMPLETION_REQUEST = "(uint8,string,string,uint32,string[],uint32)"
LLM_COMPLETION_RESPONSE = "(string)"
LLM_CHAT_REQUEST = (
    f"(uint8,string,{CHAT_MESSAGE}[],{TOOL_DEFINITION}[],string,uint32,string[],uint32)"
)
LLM_CHAT_RESPONSE = f"(string,{CHAT_MESSAGE})"

RUN_LLM_COMPLETION_SIGNATURE = f"runLLMCompletion({LLM_COMPLETION_REQUEST})"
RUN_LLM_CHAT_SIGNATURE = f"runLLMChat({LLM_CHAT_REQUEST})"
LLM_COMPLETION_EVENT_SIGNATURE = (
    f"LLMCompletionEvent(string,{LLM_COMPLETION_REQUEST},{LLM_COMPLETION_RESPONSE})"
)
LLM_CHAT_EVENT_SIGNATURE = f"LLMChat(string,{LLM_CHAT_REQUEST},{LLM_CHAT_RESPONSE})"


# ------------------------------------------------------------------------------ decoding


def _strings(r: _Reader, at: int) -> tuple[str, ...]:
    return r.array(at, lambda _b, h: r.string(h), dynamic=True)


def _tool_call(r: _Reader, at: int) -> ToolCall:
    return ToolCall(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + _WORD)),
        r.string(r.offset(at, at + 2 * _WORD)),
    )


def _tool_definition(r: _Reader, at: int) -> ToolDefinition:
    return ToolDefinition(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + _WORD)),
        r.string(r.offset(at, at + 2 * _WORD)),
    )


def _chat_message(r: _Reader, at: int) -> ChatMessage:
    return ChatMessage(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + _WORD)),
        r.string(r.offset(at, at + 2 * _WORD)),
        r.string(r.offset(at, at + 3 * _WORD)),
        r.array(r.offset(at, at + 4 * _WORD), lambda _b, h: _tool_call(r, h), dynamic=True),
    )


def decode_llm_completion_request(args: bytes, budget: int) -> LLMCompletionRequest:
    """Decode the arguments (calldata after the selector) of `runLLMCompletion`."""
    r = _Reader(args, budget)
    at = r.offset(0, 0)
    return LLMCompletionRequest(
        mode=r.uint(at, 8),
        model_cid=r.string(r.offset(at, at + _WORD)),
        prompt=r.string(r.offset(at, at + 2 * _WORD)),
        max_tokens=r.uint(at + 3 * _WORD, 32),
        stop_sequence=_strings(r, r.offset(at, at + 4 * _WORD)),
        temperature=r.uint(at + 5 * _WORD, 32),
    )


def decode_llm_chat_request(args: bytes, budget: int) -> LLMChatRequest:
    """Decode the arguments (calldata after the selector) of `runLLMChat`."""
    r = _Reader(args, budget)
    at = r.offset(0, 0)
    return LLMChatRequest(
        mode=r.uint(at, 8),
        model_cid=r.string(r.offset(at, at + _WORD)),
        messages=r.array(
            r.offset(at, at + 2 * _WORD), lambda _b, h: _chat_message(r, h), dynamic=True
        ),
        tools=r.array(
            r.offset(at, at + 3 * _WORD), lambda _b, h: _tool_definition(r, h), dynamic=True
        ),
        tool_choice=r.string(r.offset(at, at + 4 * _WORD)),
        max_tokens=r.uint(at + 5 * _WORD, 32),
        stop_sequence=_strings(r, r.offset(at, at + 6 * _WORD)),
        temperature=r.uint(at + 7 * _WORD, 32),
    )


# ------------------------------------------------------------------------------ encoding


def _string_array(values: tuple[str, ...]) -> bytes:
    return _dynamic_array([_string(s) for s in values])


def _tool_call_body(c: ToolCall) -> bytes:
    return _tuple([None, None, None], [_string(c.id), _string(c.name), _string(c.arguments)])


def _tool_definition_body(t: ToolDefinition) -> bytes:
    return _tuple(
        [None, None, None], [_string(t.description), _string(t.name), _string(t.parameters)]
    )


def _chat_message_body(m: ChatMessage) -> bytes:
    return _tuple(
        [None] * 5,
        [
            _string(m.role),
            _string(m.content),
            _string(m.name),
            _string(m.tool_call_id),
            _dynamic_array([_tool_call_body(c) for c in m.tool_calls]),
        ],
    )


def _completion_request_body(q: LLMCompletionRequest) -> bytes:
    return _tuple(
        [_uint(q.mode), None, None, _uint(q.max_tokens), None, _uint(q.temperature)],
        [_string(q.model_cid), _string(q.prompt), _string_array(q.stop_sequence)],
    )


def _chat_request_body(q: LLMChatRequest) -> bytes:
    return _tuple(
        [_uint(q.mode), None, None, None, None, _uint(q.max_tokens), None, _uint(q.temperature)],
        [
            _string(q.model_cid),
            _dynamic_array([_chat_message_body(m) for m in q.messages]),
            _dynamic_array([_tool_definition_body(t) for t in q.tools]),
            _string(q.tool_choice),
            _string_array(q.stop_sequence),
        ],
    )


def _completion_response_body(p: LLMCompletionResponse) -> bytes:
    return _tuple([None], [_string(p.answer)])


def _chat_response_body(p: LLMChatResponse) -> bytes:
    return _tuple([None, None], [_string(p.finish_reason), _chat_message_body(p.message)])


def _single(body: bytes) -> bytes:
    return _uint(_WORD) + body


def encode_llm_completion_request(request: LLMCompletionRequest) -> bytes:
    """Arguments of `runLLMCompletion` (no selector): what a client sends."""
    return _single(_completion_request_body(request))


def encode_llm_chat_request(request: LLMChatRequest) -> bytes:
    """Arguments of `runLLMChat` (no selector): what a client sends."""
    return _single(_chat_request_body(request))


def encode_llm_completion_response(response: LLMCompletionResponse) -> bytes:
    """Return data of `runLLMCompletion`."""
    return _single(_completion_response_body(response))


def encode_llm_chat_response(response: LLMChatResponse) -> bytes:
    """Return data of `runLLMChat`."""
    return _single(_chat_response_body(response))


def encode_llm_completion_event(
    inference_id: str, request: LLMCompletionRequest, response: LLMCompletionResponse
) -> bytes:
    """Data of `LLMCompletionEvent(inferenceID, request, response)` (nothing indexed)."""
    return _tuple(
        [None, None, None],
        [
            _string(inference_id),
            _completion_request_body(request),
            _completion_response_body(response),
        ],
    )


def encode_llm_chat_event(
    inference_id: str, request: LLMChatRequest, response: LLMChatResponse
) -> bytes:
    """Data of `LLMChat(inferenceID, request, response)` (nothing indexed)."""
    return _tuple(
        [None, None, None],
        [_string(inference_id), _chat_request_body(request), _chat_response_body(response)],
    )


# --------------------------------------------------------------- decoding of trusted data


def _message_from_tuple(raw: tuple) -> ChatMessage:
    role, content, name, tool_call_id, calls = raw
    return ChatMessage(role, content, name, tool_call_id, tuple(ToolCall(*c) for c in calls))


def decode_llm_completion_response(data: bytes) -> LLMCompletionResponse:
    """Decode return data of `runLLMCompletion` (clients and tests; trusted input)."""
    from eth_abi import decode

    ((answer,),) = decode([LLM_COMPLETION_RESPONSE], data)
    return LLMCompletionResponse(answer)


def decode_llm_chat_response(data: bytes) -> LLMChatResponse:
    """Decode return data of `runLLMChat` (clients and tests; trusted input)."""
    from eth_abi import decode

    ((finish_reason, message),) = decode([LLM_CHAT_RESPONSE], data)
    return LLMChatResponse(finish_reason, _message_from_tuple(message))
