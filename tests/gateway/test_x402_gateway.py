"""The x402 gate in `ogkit gateway`, over `ogkit node --payments` (a real process) and the
gateway in-process on plain HTTP: a 402 names the price; a plain HTTP client that signs
EIP-3009 by hand and upstream x402's own client pay and are answered with PAYMENT-RESPONSE;
the OPG moved is exactly what the pricing says (exact: the quote; upto: the tokens used); the
record keeps the payment reference and `GET /v1/settlements/{job}` shows it. Every attack is
refused with its reason, and moves nothing and records nothing."""

from __future__ import annotations

import json
import socket
import time

import pytest
from gateway_support import call, serve, sse_events
from node_support import DEV_KEYS
from payment_support import PAY_TO, Ledger, Payer, opg_transfers
from web3 import Web3
from x402 import x402ClientSync
from x402.client_base import x402ClientConfig
from x402.http.clients.requests import x402_requests
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto import UptoEvmClientScheme
from x402.schemas import PaymentRequired
from x402_gateway_support import (
    CHAT,
    HELLO,
    HELLO_REPLY,
    by_scheme,
    decode,
    encode,
    exact_payload,
    offers_for,
)

from ogkit.gateway import GatewayModels
from ogkit.gateway.x402_gate import X402Gate, prompt_counter
from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, PERMIT2_ADDRESS, opg_abi
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.pricing import PriceList, TokenPrice

PRICE = TokenPrice(input=10**12, output=4 * 10**12)
CHAT_BODY = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40}
HELLO_PROMPT_TOKENS = 7
HELLO_REPLY_TOKENS = 16
QUOTE = HELLO_PROMPT_TOKENS * 10**12 + 40 * 4 * 10**12
"""What a 40-token chat of "Hello!" costs at most: exact's price, upto's cap."""
CHARGE = HELLO_PROMPT_TOKENS * 10**12 + HELLO_REPLY_TOKENS * 4 * 10**12
"""What upto charges for the tiny LLM's 16-token reply."""


@pytest.fixture(scope="module")
def opg(pay_node):
    w3 = Web3(Web3.HTTPProvider(pay_node.url, request_kwargs={"timeout": 60}))
    return w3.eth.contract(OPG_ADDRESS, abi=opg_abi())


@pytest.fixture(scope="module")
def payer(opg):
    """Dev account 1, its OPG approved to Permit2 (for upto)."""
    made = Payer(opg.w3, DEV_KEYS[1])
    assert made.send(opg.functions.approve(PERMIT2_ADDRESS, 2**256 - 1)).status == 1
    return made


@pytest.fixture(scope="module")
def gate(pay_node, inference_node):
    models = GatewayModels(inference_node.llm_engine)
    return X402Gate(Facilitator(pay_node.url), PAY_TO, prompt_counter(models), PriceList(PRICE))


@pytest.fixture(scope="module")
def gateway(inference_node, gate):
    server = serve(inference_node, tls=False, gate=gate)
    yield server
    server.stop()


def paid_call(server, payload: dict, body: dict = CHAT_BODY, path: str = CHAT):
    return call(server, path, body, {"PAYMENT-SIGNATURE": encode(payload)})


def test_unpaid_is_402_with_upto_then_exact_at_the_quote(gateway, gate, inference_node):
    records = len(inference_node.book)
    status, headers, body = call(gateway, CHAT, CHAT_BODY)
    assert status == 402
    required = decode(headers["payment-required"])
    host, port = gateway.server_address[:2]
    assert required["x402Version"] == 2 and required["error"] == "payment required"
    assert required["resource"]["url"] == f"http://{host}:{port}{CHAT}"
    upto, exact = required["accepts"]
    assert (upto["scheme"], exact["scheme"]) == ("upto", "exact")
    assert upto["amount"] == exact["amount"] == str(QUOTE)
    assert upto["extra"] == {
        "name": "OpenGradient",
        "version": "1",
        "assetTransferMethod": "permit2",
        "facilitatorAddress": gate.facilitator.address,
    }
    assert (exact["network"], exact["asset"], exact["payTo"]) == (NETWORK, OPG_ADDRESS, PAY_TO)
    assert body == required
    assert len(inference_node.book) == records


def test_plain_http_client_pays_exact_by_hand(gateway, opg, payer, inference_node):
    resource, offers = offers_for(gateway, CHAT, CHAT_BODY)
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, headers, body = paid_call(gateway, payload)
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == HELLO_REPLY
    paid = decode(headers["payment-response"])
    assert paid["success"] and paid["amount"] == str(QUOTE) and paid["network"] == NETWORK
    receipt = opg.w3.eth.get_transaction_receipt(paid["transaction"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), QUOTE)]
    assert ledger.moved() == [-QUOTE, QUOTE]
    job = headers["x-settlement-job-id"]
    status, _, settlement = call(gateway, f"/v1/settlements/{job}", method="GET")
    assert settlement["payment"] == {
        "network": NETWORK,
        "tx": paid["transaction"],
        "amount": str(QUOTE),
        "payer": payer.address,
        "scheme": "exact",
    }
    assert inference_node.book.get(job).payment["tx"] == paid["transaction"]


@pytest.fixture(scope="module")
def x402_client(payer):
    """Upstream x402's own client (2.25), allowed to pay in OPG."""
    allowed = {"allowed_assets": [{"network": NETWORK, "asset": OPG_ADDRESS}]}
    made = x402ClientSync.from_config(x402ClientConfig(schemes=[], spend_controls=allowed))
    signer = EthAccountSigner(payer.account)
    made.register(NETWORK, UptoEvmClientScheme(signer))
    made.register(NETWORK, ExactEvmScheme(signer))
    return made


def test_x402s_own_client_pays_upto_for_the_tokens_used(gateway, opg, payer, x402_client):
    ledger = Ledger(opg, payer.address, PAY_TO)
    host, port = gateway.server_address[:2]
    with x402_requests(x402_client) as session:
        reply = session.post(f"http://{host}:{port}{CHAT}", json=CHAT_BODY, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == HELLO_REPLY
    assert reply.json()["usage"]["completion_tokens"] == HELLO_REPLY_TOKENS
    paid = decode(reply.headers["PAYMENT-RESPONSE"])
    assert (paid["success"], paid["amount"]) == (True, str(CHARGE))
    receipt = opg.w3.eth.get_transaction_receipt(paid["transaction"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), CHARGE)]
    assert ledger.moved() == [-CHARGE, CHARGE]


def test_a_paid_stream_carries_payment_response_in_its_final_chunk(
    gateway, opg, payer, x402_client
):
    body = {**CHAT_BODY, "stream": True}
    resource, offers = offers_for(gateway, CHAT, body)
    payload = _client_payload(x402_client, resource, by_scheme(offers, "upto"))
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, _, text = paid_call(gateway, payload, body)
    assert status == 200
    *content, final = sse_events(text)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in content) == HELLO_REPLY
    paid = decode(final["payment_response"]["PAYMENT-RESPONSE"])
    assert (paid["success"], paid["amount"]) == (True, str(CHARGE))
    assert ledger.moved() == [-CHARGE, CHARGE]


def _client_payload(client, resource: str, offer: dict) -> dict:
    required = PaymentRequired.model_validate(
        {"x402Version": 2, "resource": {"url": resource}, "accepts": [offer]}
    )
    return client.create_payment_payload(required).model_dump(by_alias=True, exclude_none=True)


def _attack(name: str, gateway, payer) -> tuple[dict | None, dict]:
    """(payload or None, request body) of each attack on a 40-token chat."""
    resource, offers = offers_for(gateway, CHAT, CHAT_BODY)
    exact = by_scheme(offers, "exact")
    if name == "no_payment":
        return None, CHAT_BODY
    if name == "underpaid":
        cheaper = {**exact, "amount": str(QUOTE - 1)}
        return exact_payload(payer, cheaper, resource), CHAT_BODY
    if name == "paid_for_a_smaller_request":
        return exact_payload(payer, exact, resource), {**CHAT_BODY, "max_tokens": 41}
    if name == "expired":
        return exact_payload(payer, exact, resource, valid_before=int(time.time()) - 1), CHAT_BODY
    if name == "other_resource":
        return exact_payload(payer, exact, resource.replace("chat/", "")), CHAT_BODY
    if name == "other_recipient":
        return exact_payload(payer, exact, resource, to=payer.address), CHAT_BODY
    if name == "forged_signature":
        payload = exact_payload(payer, exact, resource)
        other = exact_payload(Payer(payer.w3, DEV_KEYS[4]), exact, resource)
        payload["payload"]["signature"] = other["payload"]["signature"]
        return payload, CHAT_BODY
    raise AssertionError(name)


ATTACKS = {
    "no_payment": "payment required",
    "underpaid": f"underpaid: {QUOTE - 1} for a price of {QUOTE}",
    "paid_for_a_smaller_request": f"underpaid: {QUOTE} for a price of {QUOTE + 4 * 10**12}",
    "expired": "expired",
    "other_resource": "the payment was made for another resource",
    "other_recipient": "wrong recipient",
    "forged_signature": "bad signature",
}


def _refused(gateway, payload, body, words, opg, payer, inference_node) -> None:
    """402 with `words` in its error, nothing moved, nothing recorded."""
    ledger = Ledger(opg, payer.address, PAY_TO)
    records = len(inference_node.book)
    headers = {} if payload is None else {"PAYMENT-SIGNATURE": encode(payload)}
    status, fields, reply = call(gateway, CHAT, body, headers)
    assert status == 402, reply
    assert words in reply["error"], reply["error"]
    assert decode(fields["payment-required"])["error"] == reply["error"]
    assert "x-settlement-job-id" not in fields and "payment-response" not in fields
    assert ledger.moved() == [0, 0]
    assert len(inference_node.book) == records


@pytest.fixture(scope="module")
def deferred_gateway(pay_node, inference_node):
    """`--settle-payment after-answer`: verified beside the generation, settled after."""
    models = GatewayModels(inference_node.llm_engine)
    gate = X402Gate(
        Facilitator(pay_node.url), PAY_TO, prompt_counter(models), PriceList(PRICE), deferred=True
    )
    server = serve(inference_node, tls=False, gate=gate)
    yield server
    server.stop()


@pytest.mark.parametrize("settled", ["before_answer", "after_answer"])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused_and_moves_and_records_nothing(
    name, settled, request, opg, payer, inference_node
):
    server = request.getfixturevalue(
        "gateway" if settled == "before_answer" else "deferred_gateway"
    )
    payload, body = _attack(name, server, payer)
    _refused(server, payload, body, ATTACKS[name], opg, payer, inference_node)


def test_a_replayed_payment_is_refused(gateway, opg, payer, inference_node):
    resource, offers = offers_for(gateway, CHAT, CHAT_BODY)
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    assert paid_call(gateway, payload)[0] == 200
    words = "replayed: this authorization's nonce is already used"
    _refused(gateway, payload, CHAT_BODY, words, opg, payer, inference_node)


def test_a_garbled_payment_header_is_refused(gateway, opg, payer, inference_node):
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, _, reply = call(gateway, CHAT, CHAT_BODY, {"PAYMENT-SIGNATURE": "not base64!"})
    assert (status, reply["error"]) == (402, "the PAYMENT-SIGNATURE header is not base64 JSON")
    assert ledger.moved() == [0, 0]


def test_a_malformed_chat_is_400_before_any_payment_is_taken(gateway, opg, payer, inference_node):
    resource, offers = offers_for(gateway, CHAT, CHAT_BODY)
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    ledger = Ledger(opg, payer.address, PAY_TO)
    records = len(inference_node.book)
    status, fields, reply = paid_call(gateway, payload, {"model": "tiny-llm", "messages": "hi"})
    assert (status, reply["error"]["message"]) == (400, "the request is missing 'messages'")
    assert "payment-response" not in fields
    assert ledger.moved() == [0, 0] and len(inference_node.book) == records
    # the payment was neither spent nor held: it pays for the well-formed request
    status, _, reply = paid_call(gateway, payload)
    assert status == 200 and ledger.moved() == [-QUOTE, QUOTE]


class PacedModels(GatewayModels):
    """The real tiny LM, a piece every 50 ms, as a bigger model would."""

    def start(self, spec, request, seconds):
        generation = super().start(spec, request, seconds)
        inner = generation._pieces

        def paced():
            for piece in inner:
                time.sleep(0.05)
                yield piece

        generation._pieces = paced()
        return generation


def test_a_stream_cut_by_the_client_pays_only_what_was_delivered(
    inference_node, gate, opg, payer, x402_client
):
    server = serve(inference_node, tls=False, gate=gate)
    server.models = PacedModels(inference_node.llm_engine)
    try:
        body = {**CHAT_BODY, "stream": True}
        resource, offers = offers_for(server, CHAT, body)
        payload = _client_payload(x402_client, resource, by_scheme(offers, "upto"))
        ledger = Ledger(opg, payer.address, PAY_TO)
        data = json.dumps(body).encode()
        with socket.create_connection(server.server_address[:2], timeout=10) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nPAYMENT-SIGNATURE: %s\r\n"
                b"Content-Length: %d\r\n\r\n%s"
                % (resource.split("/")[2].encode(), encode(payload).encode(), len(data), data)
            )
            head = sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 200")
            job = head.split(b"X-Settlement-Job-ID: ")[1][:64].decode()
            time.sleep(0.2)  # a few tokens, then the client leaves
        deadline = time.monotonic() + 20
        while ledger.moved() == [0, 0] and time.monotonic() < deadline:
            time.sleep(0.1)
        paid, received = ledger.moved()
        tokens = received // PRICE.output
        assert paid == -received and received == tokens * PRICE.output
        assert 0 < tokens < HELLO_REPLY_TOKENS  # the prompt and the rest are not charged
        assert inference_node.book.get(job) is None  # nothing signed, recorded or settled
    finally:
        server.stop()


def test_settled_after_the_answer_the_payment_reference_follows(
    deferred_gateway, opg, payer, inference_node
):
    """`--settle-payment after-answer`: the answer comes without PAYMENT-RESPONSE (the client
    waits for neither verification nor transaction); the payment then settles, exactly the
    quote, and the record is kept with its reference."""
    server = deferred_gateway
    resource, offers = offers_for(server, CHAT, CHAT_BODY)
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, headers, body = paid_call(server, payload)
    assert status == 200 and body["choices"][0]["message"]["content"] == HELLO_REPLY
    assert headers["x-payment-status"] == "settling" and "payment-response" not in headers
    job = headers["x-settlement-job-id"]
    deadline = time.monotonic() + 20
    while inference_node.book.get(job) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    payment = inference_node.book.get(job).payment
    assert (payment["amount"], payment["payer"]) == (str(QUOTE), payer.address)
    receipt = opg.w3.eth.get_transaction_receipt(payment["tx"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), QUOTE)]
    assert ledger.moved() == [-QUOTE, QUOTE]
    # the nonce was held until then, and is spent now: a replay is refused
    words = "replayed: this authorization's nonce is already used"
    _refused(server, payload, CHAT_BODY, words, opg, payer, inference_node)
