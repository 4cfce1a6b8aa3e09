"""ABI codec of 0xF4's LLM structs: bounded decoding of requests, encoding of responses.

Requests are untrusted calldata, so they are decoded by the same bounded
`abi.reader.AbiReader` as `runModelInference` (aliased offsets cannot blow up); responses and
events are written with `abi.writer`. Property tests hold both to eth-abi.
"""

from __future__ import annotations

from precompiles.abi.reader import WORD, AbiReader
from precompiles.abi.writer import (
    encode_dynamic_array,
    encode_single,
    encode_string,
    encode_string_array,
    encode_tuple,
    encode_uint,
)
from precompiles.inference.llm_types import (
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


def _tool_call(r: AbiReader, at: int) -> ToolCall:
    return ToolCall(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + WORD)),
        r.string(r.offset(at, at + 2 * WORD)),
    )


def _tool_definition(r: AbiReader, at: int) -> ToolDefinition:
    return ToolDefinition(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + WORD)),
        r.string(r.offset(at, at + 2 * WORD)),
    )


def _chat_message(r: AbiReader, at: int) -> ChatMessage:
    return ChatMessage(
        r.string(r.offset(at, at)),
        r.string(r.offset(at, at + WORD)),
        r.string(r.offset(at, at + 2 * WORD)),
        r.string(r.offset(at, at + 3 * WORD)),
        r.array(r.offset(at, at + 4 * WORD), lambda _b, h: _tool_call(r, h), dynamic=True),
    )


def decode_llm_completion_request(args: bytes, budget: int) -> LLMCompletionRequest:
    """Decode the arguments (calldata after the selector) of `runLLMCompletion`."""
    r = AbiReader(args, budget)
    at = r.offset(0, 0)
    return LLMCompletionRequest(
        mode=r.uint(at, 8),
        model_cid=r.string(r.offset(at, at + WORD)),
        prompt=r.string(r.offset(at, at + 2 * WORD)),
        max_tokens=r.uint(at + 3 * WORD, 32),
        stop_sequence=r.string_array(r.offset(at, at + 4 * WORD)),
        temperature=r.uint(at + 5 * WORD, 32),
    )


def decode_llm_chat_request(args: bytes, budget: int) -> LLMChatRequest:
    """Decode the arguments (calldata after the selector) of `runLLMChat`."""
    r = AbiReader(args, budget)
    at = r.offset(0, 0)
    return LLMChatRequest(
        mode=r.uint(at, 8),
        model_cid=r.string(r.offset(at, at + WORD)),
        messages=r.array(
            r.offset(at, at + 2 * WORD), lambda _b, h: _chat_message(r, h), dynamic=True
        ),
        tools=r.array(
            r.offset(at, at + 3 * WORD), lambda _b, h: _tool_definition(r, h), dynamic=True
        ),
        tool_choice=r.string(r.offset(at, at + 4 * WORD)),
        max_tokens=r.uint(at + 5 * WORD, 32),
        stop_sequence=r.string_array(r.offset(at, at + 6 * WORD)),
        temperature=r.uint(at + 7 * WORD, 32),
    )


# ------------------------------------------------------------------------------ encoding


def _tool_call_body(c: ToolCall) -> bytes:
    return encode_tuple(
        [None, None, None], [encode_string(c.id), encode_string(c.name), encode_string(c.arguments)]
    )


def _tool_definition_body(t: ToolDefinition) -> bytes:
    return encode_tuple(
        [None, None, None],
        [encode_string(t.description), encode_string(t.name), encode_string(t.parameters)],
    )


def _chat_message_body(m: ChatMessage) -> bytes:
    return encode_tuple(
        [None] * 5,
        [
            encode_string(m.role),
            encode_string(m.content),
            encode_string(m.name),
            encode_string(m.tool_call_id),
            encode_dynamic_array([_tool_call_body(c) for c in m.tool_calls]),
        ],
    )


def _completion_request_body(q: LLMCompletionRequest) -> bytes:
    return encode_tuple(
        [
            encode_uint(q.mode),
            None,
            None,
            encode_uint(q.max_tokens),
            None,
            encode_uint(q.temperature),
        ],
        [encode_string(q.model_cid), encode_string(q.prompt), encode_string_array(q.stop_sequence)],
    )


def _chat_request_body(q: LLMChatRequest) -> bytes:
    return encode_tuple(
        [
            encode_uint(q.mode),
            None,
            None,
            None,
            None,
            encode_uint(q.max_tokens),
            None,
            encode_uint(q.temperature),
        ],
        [
            encode_string(q.model_cid),
            encode_dynamic_array([_chat_message_body(m) for m in q.messages]),
            encode_dynamic_array([_tool_definition_body(t) for t in q.tools]),
            encode_string(q.tool_choice),
            encode_string_array(q.stop_sequence),
        ],
    )


def _completion_response_body(p: LLMCompletionResponse) -> bytes:
    return encode_tuple([None], [encode_string(p.answer)])


def _chat_response_body(p: LLMChatResponse) -> bytes:
    return encode_tuple(
        [None, None], [encode_string(p.finish_reason), _chat_message_body(p.message)]
    )


def encode_llm_completion_request(request: LLMCompletionRequest) -> bytes:
    """Arguments of `runLLMCompletion` (no selector): what a client sends."""
    return encode_single(_completion_request_body(request))


def encode_llm_chat_request(request: LLMChatRequest) -> bytes:
    """Arguments of `runLLMChat` (no selector): what a client sends."""
    return encode_single(_chat_request_body(request))


def encode_llm_completion_response(response: LLMCompletionResponse) -> bytes:
    """Return data of `runLLMCompletion`."""
    return encode_single(_completion_response_body(response))


def encode_llm_chat_response(response: LLMChatResponse) -> bytes:
    """Return data of `runLLMChat`."""
    return encode_single(_chat_response_body(response))


def encode_llm_completion_event(
    inference_id: str, request: LLMCompletionRequest, response: LLMCompletionResponse
) -> bytes:
    """Data of `LLMCompletionEvent(inferenceID, request, response)` (nothing indexed)."""
    return encode_tuple(
        [None, None, None],
        [
            encode_string(inference_id),
            _completion_request_body(request),
            _completion_response_body(response),
        ],
    )


def encode_llm_chat_event(
    inference_id: str, request: LLMChatRequest, response: LLMChatResponse
) -> bytes:
    """Data of `LLMChat(inferenceID, request, response)` (nothing indexed)."""
    return encode_tuple(
        [None, None, None],
        [encode_string(inference_id), _chat_request_body(request), _chat_response_body(response)],
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
