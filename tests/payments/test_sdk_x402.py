"""OpenGradient's own SDK pays on the local payment chain with only the chain's URL changed:
its `ensure_opg_approval` approves OPG to Permit2 there (a real transaction), and the payloads
its x402 client (og-x402, in .venv-sdk: `make sdk`) signs for an `exact` and an `upto` offer are
verified and settled by our facilitator (upstream x402), moving exactly the price or the charge.
Tampered copies are refused and move nothing."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from node_support import DEV_KEYS
from payment_support import PAY_TO, opg_transfers

from ogkit.payments.contracts import PERMIT2_ADDRESS
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.offers import exact_offer, upto_offer

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "x402_pay.py"
RESOURCE = "https://127.0.0.1:8443/v1/chat/completions"
PRICE = 2 * 10**15
CAP = 5 * 10**15


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    if not SDK_PYTHON.is_file():
        pytest.skip("the OpenGradient SDK venv is missing: run `make sdk`")
    return SDK_PYTHON


@pytest.fixture(scope="module")
def facilitator(pay_node):
    return Facilitator(pay_node.url)


@pytest.fixture(scope="module")
def offers(facilitator):
    """Made by ogkit.payments.offers, as a gateway's 402 will carry them."""
    return {
        "exact": exact_offer(PRICE, PAY_TO),
        "upto": upto_offer(CAP, PAY_TO, facilitator.address),
    }


@pytest.fixture(scope="module")
def signed(sdk_python, pay_node, offers):
    """What the SDK printed: its approval and a PAYMENT-SIGNATURE header per scheme."""
    out = subprocess.run(
        [str(sdk_python), str(SCRIPT), DEV_KEYS[1], RESOURCE, json.dumps(list(offers.values()))],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BASE_MAINNET_RPC": pay_node.url},
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _decode(header: str) -> dict:
    return json.loads(base64.b64decode(header))


def test_sdk_approval_is_a_transaction_on_the_payment_chain(signed, w3, opg):
    payer = Account.from_key(DEV_KEYS[1]).address
    assert signed["approval"]["before"] == "0"
    assert signed["approval"]["after"] == str(10 * 10**18)
    assert opg.functions.allowance(payer, PERMIT2_ADDRESS).call() == 10 * 10**18
    assert w3.eth.get_transaction_receipt(signed["approval"]["tx"]).status == 1


def test_sdk_exact_payment_settles_the_price(signed, offers, facilitator, w3):
    payload = _decode(signed["headers"]["exact"])
    assert payload["accepted"]["scheme"] == "exact"
    assert "authorization" in payload["payload"]
    verified = facilitator.verify(payload, offers["exact"], RESOURCE)
    assert verified.is_valid, verified
    settled = facilitator.settle(payload, offers["exact"])
    assert settled.success, settled
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    payer = Account.from_key(DEV_KEYS[1]).address.lower()
    assert opg_transfers(receipt) == [(payer, PAY_TO.lower(), PRICE)]
    assert facilitator.verify(payload, offers["exact"], RESOURCE).invalid_reason == (
        "invalid_exact_evm_nonce_already_used"
    )


def test_sdk_upto_payment_settles_the_charge(signed, offers, facilitator, w3):
    payload = _decode(signed["headers"]["upto"])
    assert payload["payload"]["permit2Authorization"]["witness"]["facilitator"] == (
        facilitator.address
    )
    assert facilitator.verify(payload, offers["upto"], RESOURCE).is_valid
    charge = 1_234_567_890
    settled = facilitator.settle(payload, offers["upto"], amount=charge)
    assert settled.success, settled
    receipt = w3.eth.get_transaction_receipt(settled.transaction)
    payer = Account.from_key(DEV_KEYS[1]).address.lower()
    assert opg_transfers(receipt) == [(payer, PAY_TO.lower(), charge)]


def test_tampered_sdk_payloads_are_refused(signed, offers, facilitator, opg):
    payer = Account.from_key(DEV_KEYS[1]).address
    before = opg.functions.balanceOf(payer).call()
    exact = _decode(signed["headers"]["exact"])
    exact["payload"]["authorization"]["value"] = str(PRICE * 2)
    raised = {**offers["exact"], "amount": str(PRICE * 2)}
    exact["accepted"] = raised
    refused = facilitator.verify(exact, raised)
    assert refused.invalid_reason == "invalid_exact_evm_payload_signature"
    upto = _decode(signed["headers"]["upto"])
    upto["payload"]["permit2Authorization"]["witness"]["to"] = payer
    terms = {**offers["upto"], "payTo": payer}
    upto["accepted"] = terms
    assert facilitator.verify(upto, terms).invalid_reason == "invalid_permit2_signature"
    assert not facilitator.settle(upto, terms, amount=1).success
    assert opg.functions.balanceOf(payer).call() == before
