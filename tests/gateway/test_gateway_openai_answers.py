"""`ogkit gateway` over plain HTTP: what it answers. The OpenAI shapes of chat and
completions, the SSE stream as OpenGradient's SDK parses it, the TEE fields and the record each
answer leaves, the models list, the signing key and attestation, and malformed requests."""

from __future__ import annotations

import base64

import pytest
from gateway_support import CHAT, HELLO, call, sse_events

from ogkit.gateway import GatewayRecord
from ogkit.inference.records import SettlementState
from ogkit.llm import canonical
from ogkit.tee.attestation import verify_attestation, verify_result_signature

HELLO_REPLY = "Hello! How can I help you today?"


def _verifies(node, body, canonical_request, content):
    request_hash = canonical.request_hash(canonical_request)
    output_hash = canonical.output_hash(content)
    assert body["tee_request_hash"] == request_hash.hex()
    assert body["tee_output_hash"] == output_hash.hex()
    assert body["tee_id"] == "0x" + node.enclave.tee_id.hex()
    check = verify_result_signature(
        node.enclave.signing_public_key_der,
        request_hash,
        output_hash,
        body["tee_timestamp"],
        base64.b64decode(body["tee_signature"]),
    )
    assert check.valid, check.reason


def test_chat_answer_signature_and_record(gateway, inference_node):
    request = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40, "seed": 3}
    status, headers, body = call(gateway, CHAT, request)
    assert status == 200
    job = headers["x-settlement-job-id"]
    assert len(job) == 64 and int(job, 16) >= 0
    assert (headers["x-settlement-type"], headers["x-settlement-status"]) == ("batch", "queued")
    assert body["id"] == f"chatcmpl-{job}" and body["object"] == "chat.completion"
    assert body["model"] == "tiny-llm"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": HELLO_REPLY},
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 7, "completion_tokens": 16, "total_tokens": 23}
    _verifies(inference_node, body, canonical.chat_canonical(request), HELLO_REPLY)

    record = inference_node.book.get(job)
    assert isinstance(record, GatewayRecord)
    assert record.state is SettlementState.PENDING and record.settlement_type == "batch"
    assert record.endpoint == CHAT and record.backend == "onnx" and record.model_id == "tiny-llm"
    assert record.input_hash.hex() == body["tee_request_hash"]
    assert record.tee_signature.signature == base64.b64decode(body["tee_signature"])


def test_completion_answers_at_the_top_level_and_in_choices(gateway, inference_node):
    request = {"model": "tiny-llm", "prompt": "The quick brown fox", "max_tokens": 40}
    status, headers, body = call(gateway, "/v1/completions", request)
    assert status == 200 and body["object"] == "text_completion"
    assert body["completion"] == body["choices"][0]["text"] == " jumps over the lazy dog."
    assert body["choices"][0]["finish_reason"] == "stop"
    _verifies(inference_node, body, canonical.completion_canonical(request), body["completion"])
    assert inference_node.book.get(headers["x-settlement-job-id"]).endpoint == "/v1/completions"


def test_stream_is_what_the_sdk_parses(gateway, inference_node):
    request = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40, "stream": True}
    status, headers, text = call(gateway, CHAT, request)
    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = sse_events(text)
    *content, final = events
    # content chunks: no finish_reason, no usage (the SDK would take either as final)
    assert all(e["choices"][0]["finish_reason"] is None and "usage" not in e for e in content)
    assert content[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in content)
    assert streamed == HELLO_REPLY and len(content) > 3
    assert final["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert final["usage"]["completion_tokens"] == 16
    _verifies(inference_node, final, canonical.chat_canonical(request), streamed)
    assert {e["id"] for e in events} == {f"chatcmpl-{headers['x-settlement-job-id']}"}


def test_models_lists_the_stores_llms(gateway, model_store):
    """Every alias of an LLM bundle (the session's store: tiny-llm, and any alias another
    test module gave it), sorted; no ONNX model of the examples."""
    status, _, body = call(gateway, "/v1/models", method="GET")
    assert status == 200 and body["object"] == "list"
    tiny = model_store.resolve("tiny-llm").cid
    llm_aliases = sorted(a for a, cid in model_store.aliases().items() if cid == tiny)
    assert [m["id"] for m in body["data"]] == llm_aliases
    assert "tiny-llm" in llm_aliases and "credit_risk" not in llm_aliases


def test_signing_key_and_a_fresh_attestation(gateway, inference_node):
    enclave = inference_node.enclave
    status, _, key = call(gateway, "/signing-key", method="GET")
    assert (status, key) == (
        200,
        {
            "public_key": enclave.signing_public_key_pem.decode(),
            "tee_id": "0x" + enclave.tee_id.hex(),
        },
    )
    nonce = bytes(range(20))
    status, _, text = call(gateway, f"/enclave/attestation?nonce={nonce.hex()}", method="GET")
    report = verify_attestation(
        base64.b64decode(text),
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        expected_nonce=nonce,
        expected_pcr_hash=enclave.pcr_hash,
    )
    assert status == 200 and report.valid, report.reason
    status, _, body = call(gateway, "/enclave/attestation?nonce=zz", method="GET")
    assert (status, body["error"]["param"]) == (400, "nonce")


def test_private_settlement_is_recorded_as_needing_none(gateway, inference_node):
    headers = {"X-SETTLEMENT-TYPE": "private"}
    status, fields, _ = call(gateway, CHAT, {"model": "tiny-llm", "messages": HELLO}, headers)
    assert status == 200 and fields["x-settlement-status"] == "not-required"
    record = inference_node.book.get(fields["x-settlement-job-id"])
    assert record.state is SettlementState.NOT_REQUIRED and record.settlement_type == "private"


BAD = [
    ({"model": "tiny-llm", "messages": "hi"}, "the request is missing 'messages'", None),
    ({"messages": HELLO}, "the request is missing a 'model'", None),
    ({"model": "tiny-llm", "messages": [{"role": "robot"}]}, "unknown message role: 'robot'", None),
    (
        {"model": "tiny-llm", "messages": HELLO, "max_tokens": 0},
        "'max_tokens' must be a positive integer",
        "max_tokens",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "max_tokens": 5000},
        "'max_tokens' may be at most 1024",
        "max_tokens",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "temperature": 3},
        "'temperature' must be between 0 and 2",
        "temperature",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "stop": ["a", "b", "c", "d", "e"]},
        "'stop' may hold at most 4 sequences",
        "stop",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "stream": "yes"},
        "'stream' must be true or false",
        "stream",
    ),
    (
        {"model": "tiny-llm", "messages": [{"role": "user", "content": [{"type": "image"}]}]},
        "content must be a string or a list of text parts",
        "messages[0].content",
    ),
]


@pytest.mark.parametrize(("request_body", "message", "param"), BAD)
def test_malformed_chat_is_a_400(gateway, inference_node, request_body, message, param):
    before = len(inference_node.book)
    status, _, body = call(gateway, CHAT, request_body)
    assert (status, body) == (
        400,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": None,
            }
        },
    )
    assert len(inference_node.book) == before  # nothing ran, nothing recorded


def test_other_refusals(gateway):
    assert call(gateway, CHAT, raw=b"{not json")[2]["error"]["message"] == (
        "the body is not valid JSON"
    )
    status, _, body = call(gateway, CHAT, {"model": "nope", "messages": HELLO})
    assert (status, body["error"]["code"]) == (404, "model_not_found")
    status, _, body = call(
        gateway, CHAT, {"model": "tiny-llm", "messages": HELLO}, {"X-SETTLEMENT-TYPE": "later"}
    )
    assert (status, body["error"]["param"]) == (400, "X-SETTLEMENT-TYPE")
    status, _, body = call(
        gateway, "/v1/completions", {"model": "tiny-llm", "prompt": "x", "stream": True}
    )
    assert (status, body["error"]["message"]) == (
        400,
        "streaming is served on /v1/chat/completions only",
    )
    assert call(gateway, "/v1/embeddings", {})[0] == 404
    status, _, body = call(
        gateway, "/v1/completions", {"model": "tiny-llm", "prompt": "word " * 2000}
    )
    assert (
        status == 400 and "exceeds the model's context of 2048 tokens" in body["error"]["message"]
    )
