"""The x402 flow end to end on `ogkit node --payments`: payloads signed by upstream x402's own
client (exact: EIP-3009; upto: Permit2) are verified and settled by our facilitator, and the
chain shows an OPG Transfer of exactly the price (exact) or the charge (upto). Every attack is
refused with its reason and moves nothing. The HTTP face answers x402's own HTTP client."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from eth_account import Account
from node_support import DEV_KEYS, free_port
from payment_support import PAY_TO, Ledger, Payer, opg_transfers
from x402 import x402ClientSync
from x402.client_base import x402ClientConfig
from x402.http import HTTPFacilitatorClientSync
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto import UptoEvmClientScheme
from x402.schemas import PaymentRequired

from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, PERMIT2_ADDRESS
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.facilitator_http import serve

PRICE = 10**15
RESOURCE = "https://127.0.0.1:8443/v1/chat/completions"
DOMAIN = {"name": "OpenGradient", "version": "1"}


@pytest.fixture(scope="module")
def facilitator(pay_node):
    return Facilitator(pay_node.url)


@pytest.fixture(scope="module")
def client(payer):
    """Upstream x402's client, allowed to pay in OPG (not one of its default assets)."""
    config = x402ClientConfig(
        schemes=[], spend_controls={"allowed_assets": [{"network": NETWORK, "asset": OPG_ADDRESS}]}
    )
    made = x402ClientSync.from_config(config)
    signer = EthAccountSigner(payer.account)
    made.register(NETWORK, ExactEvmScheme(signer))
    made.register(NETWORK, UptoEvmClientScheme(signer))
    return made


def offer(scheme: str, amount: int = PRICE, pay_to: str = PAY_TO, **extra) -> dict:
    return {
        "scheme": scheme,
        "network": NETWORK,
        "amount": str(amount),
        "asset": OPG_ADDRESS,
        "payTo": pay_to,
        "maxTimeoutSeconds": 300,
        "extra": {**DOMAIN, **extra},
    }


def upto_offer(facilitator, cap: int = PRICE) -> dict:
    return offer("upto", cap, assetTransferMethod="permit2", facilitatorAddress=facilitator.address)


def pay(client, requirements: dict) -> dict:
    """What the client sends for a 402 offering `requirements` (the decoded payload)."""
    required = PaymentRequired.model_validate(
        {
            "x402Version": 2,
            "resource": {"url": RESOURCE, "description": "chat", "mimeType": "application/json"},
            "accepts": [requirements],
        }
    )
    return client.create_payment_payload(required).model_dump(by_alias=True, exclude_none=True)


def test_supported_names_both_schemes_and_the_facilitator(facilitator):
    supported = facilitator.supported().model_dump(by_alias=True, exclude_none=True)
    assert supported["kinds"] == [
        {"x402Version": 2, "scheme": "exact", "network": NETWORK},
        {
            "x402Version": 2,
            "scheme": "upto",
            "network": NETWORK,
            "extra": {"facilitatorAddress": facilitator.address},
        },
    ]
    assert supported["signers"] == {"eip155:*": [facilitator.address]}


def test_exact_payment_verifies_and_settles_the_price(w3, facilitator, client, opg, payer):
    requirements = offer("exact")
    payload = pay(client, requirements)
    ledger = Ledger(opg, payer.address, PAY_TO)
    verified = facilitator.verify(payload, requirements, RESOURCE)
    assert (verified.is_valid, verified.payer) == (True, payer.address)
    settled = facilitator.settle(payload, requirements)
    assert settled.success, settled
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), PRICE)]
    assert ledger.moved() == [-PRICE, PRICE]
    # replayed: refused by verify and by settle, nothing moves
    again = facilitator.verify(payload, requirements, RESOURCE)
    assert again.invalid_reason == "invalid_exact_evm_nonce_already_used"
    assert again.invalid_message.startswith("replayed")
    assert not facilitator.settle(payload, requirements).success
    assert ledger.moved() == [-PRICE, PRICE]


@pytest.fixture(scope="module")
def approved(opg, payer):
    """The payer's OPG approved to Permit2 (what the SDK's ensure_opg_approval does)."""
    assert payer.send(opg.functions.approve(PERMIT2_ADDRESS, 2**256 - 1)).status == 1
    return payer


def test_upto_payment_settles_the_charge_under_the_cap(w3, facilitator, client, opg, approved):
    payer = approved
    requirements = upto_offer(facilitator, cap=10 * PRICE)
    payload = pay(client, requirements)
    ledger = Ledger(opg, payer.address, PAY_TO)
    assert facilitator.verify(payload, requirements, RESOURCE).is_valid
    settled = facilitator.settle(payload, requirements, amount=3 * PRICE + 7)
    assert settled.success, settled
    assert settled.amount == str(3 * PRICE + 7)
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), 3 * PRICE + 7)]
    assert ledger.moved() == [-(3 * PRICE + 7), 3 * PRICE + 7]
    replay = facilitator.verify(payload, requirements, RESOURCE)
    assert replay.invalid_reason == "permit2_invalid_nonce"
    assert replay.invalid_message.startswith("replayed")
    # a spent permit with a forged recipient is refused for its signature, not as a replay
    payload["payload"]["permit2Authorization"]["witness"]["to"] = payer.address
    terms = {**requirements, "payTo": payer.address}
    payload["accepted"] = terms
    assert facilitator.verify(payload, terms).invalid_reason == "invalid_permit2_signature"


def test_upto_zero_charge_sends_nothing(facilitator, client, opg, payer):
    requirements = upto_offer(facilitator)
    payload = pay(client, requirements)
    ledger = Ledger(opg, payer.address, PAY_TO)
    settled = facilitator.settle(payload, requirements, amount=0)
    assert (settled.success, settled.transaction, settled.amount) == (True, "", "0")
    assert ledger.moved() == [0, 0]


def test_upto_charge_over_the_cap_is_refused(facilitator, client, opg, payer):
    requirements = upto_offer(facilitator)
    payload = pay(client, requirements)
    ledger = Ledger(opg, payer.address, PAY_TO)
    settled = facilitator.settle(payload, requirements, amount=PRICE + 1)
    assert settled.error_reason == "invalid_upto_evm_payload_settlement_exceeds_amount"
    assert settled.error_message == "the charge is over the signed cap"
    assert ledger.moved() == [0, 0]


def _attack(name: str, facilitator, client, payer) -> tuple[dict, dict, str | None]:
    """(payload, requirements the server checks, resource) of each attack."""
    requirements = offer("exact")
    if name == "underpaid":
        return pay(client, offer("exact", PRICE // 2)), requirements, None
    if name == "expired":
        message, signature = payer.authorization(value=PRICE, valid_before=int(time.time()) - 1)
        return _hand_payload(message, signature, requirements), requirements, None
    if name == "other_recipient_terms":
        return pay(client, offer("exact", pay_to=payer.address)), requirements, None
    if name == "other_recipient_signed":
        message, signature = payer.authorization(value=PRICE, to=payer.address)
        return _hand_payload(message, signature, requirements), requirements, None
    if name == "other_resource":
        return pay(client, requirements), requirements, "https://127.0.0.1:8443/v1/completions"
    if name == "forged_signature":
        message, _ = payer.authorization(value=PRICE)
        _, other = Payer(payer.w3, DEV_KEYS[4]).authorization(nonce=message["nonce"])
        return _hand_payload(message, other, requirements), requirements, None
    if name == "upto_other_facilitator":
        terms = offer("upto", assetTransferMethod="permit2", facilitatorAddress=payer.address)
        return pay(client, terms), terms, None
    raise AssertionError(name)


def _hand_payload(message: dict, signature: bytes, requirements: dict) -> dict:
    authorization = {k: str(v) for k, v in message.items() if k != "nonce"}
    authorization["nonce"] = "0x" + message["nonce"].hex()
    return {
        "x402Version": 2,
        "payload": {"signature": "0x" + signature.hex(), "authorization": authorization},
        "accepted": requirements,
        "resource": {"url": RESOURCE},
    }


ATTACKS = {
    "underpaid": ("invalid_exact_evm_payload_authorization_value_mismatch", "underpaid"),
    "expired": ("invalid_exact_evm_payload_authorization_valid_before", "expired"),
    "other_recipient_terms": ("accepted_requirements_mismatch", "the payment was made for"),
    "other_recipient_signed": ("invalid_exact_evm_payload_recipient_mismatch", "wrong recipient"),
    "other_resource": ("resource_mismatch", "the payment was made for another resource"),
    "forged_signature": ("invalid_exact_evm_payload_signature", "bad signature"),
    "upto_other_facilitator": ("upto_facilitator_mismatch", "the permit names another"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused_with_its_reason_and_moves_nothing(name, facilitator, client, opg, payer):
    payload, requirements, resource = _attack(name, facilitator, client, payer)
    ledger = Ledger(opg, payer.address, PAY_TO)
    verified = facilitator.verify(payload, requirements, resource or RESOURCE)
    code, words = ATTACKS[name]
    assert (verified.is_valid, verified.invalid_reason) == (False, code)
    assert words in verified.invalid_message
    if resource is None:  # settle checks again: nothing moves even if asked directly
        settled = facilitator.settle(payload, requirements)
        assert not settled.success
    assert ledger.moved() == [0, 0]


def test_insufficient_balance_is_refused(w3, facilitator, client, opg):
    poor = Payer(w3, Account.create().key.hex())
    message, signature = poor.authorization(value=PRICE)
    requirements = offer("exact")
    verified = facilitator.verify(_hand_payload(message, signature, requirements), requirements)
    assert verified.invalid_reason == "invalid_exact_evm_insufficient_balance"
    assert verified.invalid_message.startswith("insufficient balance")


def test_a_nonce_in_flight_is_refused_to_a_concurrent_request(facilitator, client, opg, payer):
    requirements = offer("exact")
    payload = pay(client, requirements)
    assert facilitator.verify(payload, requirements).is_valid
    second = facilitator.verify(payload, requirements)
    assert second.invalid_reason == "nonce_in_flight"
    facilitator.release(payload)  # the first request was not served
    assert facilitator.verify(payload, requirements).is_valid
    ledger = Ledger(opg, payer.address, PAY_TO)
    assert facilitator.settle(payload, requirements).success
    assert ledger.moved() == [-PRICE, PRICE]


def test_malformed_payload_is_refused():
    made = Facilitator("http://127.0.0.1:9")  # never reached: refused before any call
    verified = made.verify({"x402Version": 2, "payload": {}}, offer("exact"))
    assert verified.invalid_reason == "invalid_payload"
    assert verified.invalid_message.startswith("the payment payload is malformed")


@pytest.fixture(scope="module")
def http_face(facilitator):
    server = serve(facilitator)
    yield server
    server.shutdown()
    server.server_close()


def test_http_face_serves_x402s_own_http_client(w3, http_face, client, opg, payer):
    remote = HTTPFacilitatorClientSync({"url": http_face.url})
    supported = remote.get_supported()
    assert [kind.scheme for kind in supported.kinds] == ["exact", "upto"]
    requirements = offer("exact", 2 * PRICE)
    payload = pay(client, requirements)
    from x402.schemas import PaymentPayload, PaymentRequirements

    typed = PaymentPayload.model_validate(payload)
    terms = PaymentRequirements.model_validate(requirements)
    assert remote.verify(typed, terms).is_valid
    settled = remote.settle(typed, terms)
    assert settled.success
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), 2 * PRICE)]
    refused = remote.verify(typed, terms)
    assert refused.invalid_reason == "invalid_exact_evm_nonce_already_used"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/verify", b"not json", 400),
        ("POST", "/settle", b'{"paymentPayload": 1}', 400),
        ("POST", "/nowhere", b"{}", 404),
        ("GET", "/verify", None, 404),
    ],
)
def test_http_face_refuses_bad_requests_with_json(http_face, method, path, body, status):
    request = urllib.request.Request(http_face.url + path, data=body, method=method)
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("expected an HTTP error")
    except urllib.error.HTTPError as exc:
        assert exc.code == status
        assert "error" in json.loads(exc.read())


def test_another_network_is_refused_not_raised(facilitator, client):
    requirements = offer("exact")
    payload = pay(client, requirements)
    elsewhere = {**requirements, "network": "eip155:1"}
    payload["accepted"] = elsewhere
    verified = facilitator.verify(payload, elsewhere)
    assert verified.invalid_reason == "network_mismatch"
    assert not facilitator.settle(payload, elsewhere).success


def test_exact_settles_only_its_price(facilitator, client, opg, payer):
    requirements = offer("exact")
    payload = pay(client, requirements)
    ledger = Ledger(opg, payer.address, PAY_TO)
    settled = facilitator.settle(payload, requirements, amount=PRICE - 1)
    assert settled.error_reason == "exact_amount_is_the_price"
    assert ledger.moved() == [0, 0]
    assert facilitator.settle(payload, requirements, amount=PRICE).success
    assert ledger.moved() == [-PRICE, PRICE]


def test_unreachable_chain_is_a_refusal_not_an_exception(client):
    down = Facilitator(f"http://127.0.0.1:{free_port()}")
    requirements = offer("exact")
    payload = pay(client, requirements)
    verified = down.verify(payload, requirements)
    assert verified.invalid_reason == "invalid_exact_evm_failed_to_verify_signature"
    assert verified.invalid_message.startswith("the facilitator could not check")
    settled = down.settle(payload, requirements)
    assert settled.success is False
    # and the nonce was not left held: a live facilitator may still take the payment
    assert down.verify(payload, requirements).invalid_reason != "nonce_in_flight"


def test_concurrent_verifies_of_one_payment_admit_exactly_one(facilitator, client):
    from concurrent.futures import ThreadPoolExecutor

    requirements = offer("exact")
    payload = pay(client, requirements)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: facilitator.verify(payload, requirements), range(6)))
    reasons = sorted(str(r.invalid_reason) for r in results)
    assert reasons == ["None"] + ["nonce_in_flight"] * 5
    facilitator.release(payload)


def test_upto_without_approval_pays_through_eip2612_gas_sponsoring(w3, pay_node, facilitator, opg):
    """x402's eip2612GasSponsoring: the client also signs an EIP-2612 permit of OPG to
    Permit2; settle calls the proxy's settleWithPermit, which approves and pays in one tx."""
    from x402.extensions.eip2612_gas_sponsoring.server import (
        declare_eip2612_gas_sponsoring_extension,
    )
    from x402.mechanisms.evm.signers import EthAccountSignerWithRPC

    owner = Payer(w3, DEV_KEYS[5])
    assert opg.functions.allowance(owner.address, PERMIT2_ADDRESS).call() == 0
    config = x402ClientConfig(
        schemes=[], spend_controls={"allowed_assets": [{"network": NETWORK, "asset": OPG_ADDRESS}]}
    )
    sponsored = x402ClientSync.from_config(config)
    sponsored.register(
        NETWORK, UptoEvmClientScheme(EthAccountSignerWithRPC(owner.account, pay_node.url))
    )
    requirements = upto_offer(facilitator, cap=4 * PRICE)
    required = PaymentRequired.model_validate(
        {
            "x402Version": 2,
            "resource": {"url": RESOURCE},
            "accepts": [requirements],
            "extensions": declare_eip2612_gas_sponsoring_extension(),
        }
    )
    payload = sponsored.create_payment_payload(required).model_dump(
        by_alias=True, exclude_none=True
    )
    assert "eip2612GasSponsoring" in payload["extensions"]
    ledger = Ledger(opg, owner.address, PAY_TO)
    assert facilitator.verify(payload, requirements, RESOURCE).is_valid
    settled = facilitator.settle(payload, requirements, amount=PRICE)
    assert settled.success, settled
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    assert opg_transfers(receipt) == [(owner.address.lower(), PAY_TO.lower(), PRICE)]
    assert ledger.moved() == [-PRICE, PRICE]
    assert opg.functions.allowance(owner.address, PERMIT2_ADDRESS).call() == 3 * PRICE


def test_http_face_settles_an_upto_charge_given_as_the_requirements_amount(
    w3, http_face, facilitator, client, approved
):
    """Over HTTP, as x402's resource servers do: verify against the cap, settle with the
    requirements' amount set to the charge."""
    from x402.schemas import PaymentPayload, PaymentRequirements

    remote = HTTPFacilitatorClientSync({"url": http_face.url})
    cap_terms = upto_offer(facilitator, cap=5 * PRICE)
    typed = PaymentPayload.model_validate(pay(client, cap_terms))
    assert remote.verify(typed, PaymentRequirements.model_validate(cap_terms)).is_valid
    charge_terms = PaymentRequirements.model_validate({**cap_terms, "amount": str(PRICE + 1)})
    settled = remote.settle(typed, charge_terms)
    assert settled.success, settled
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    assert opg_transfers(receipt) == [(approved.address.lower(), PAY_TO.lower(), PRICE + 1)]
