"""The `payment` check of `ogkit llm verify`, against a real `ogkit node --payments` and a
payment made here through `ogkit.payments` (x402's own client signs, our facilitator
settles): the reference `{network, tx, amount, payer}` the gateway gives passes; a wrong
amount, payer, payee, network or an unknown tx fails with the reason."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS
from payment_support import PAY_TO, Payer
from web3 import Web3
from x402 import x402ClientSync
from x402.client_base import x402ClientConfig
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.schemas import PaymentRequired

from ogkit.llm.verify_chain import check_payment
from ogkit.llm.verify_report import VerificationReport
from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, opg_abi
from ogkit.payments.facilitator import Facilitator

PRICE = 10**15
RESOURCE = "https://127.0.0.1:8443/v1/chat/completions"


@pytest.fixture(scope="module")
def payment(pay_node):
    """An exact (EIP-3009) payment of PRICE OPG from dev account 1 to PAY_TO, settled."""
    payer = Web3().eth.account.from_key(DEV_KEYS[1])
    config = x402ClientConfig(
        schemes=[], spend_controls={"allowed_assets": [{"network": NETWORK, "asset": OPG_ADDRESS}]}
    )
    client = x402ClientSync.from_config(config)
    client.register(NETWORK, ExactEvmScheme(EthAccountSigner(payer)))
    offer = {
        "scheme": "exact",
        "network": NETWORK,
        "amount": str(PRICE),
        "asset": OPG_ADDRESS,
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 300,
        "extra": {"name": "OpenGradient", "version": "1"},
    }
    required = PaymentRequired.model_validate(
        {"x402Version": 2, "resource": {"url": RESOURCE}, "accepts": [offer]}
    )
    payload = client.create_payment_payload(required).model_dump(by_alias=True, exclude_none=True)
    settled = Facilitator(pay_node.url).settle(payload, offer)
    assert settled.success, settled
    return {
        "network": NETWORK,
        "tx": settled.transaction,
        "amount": str(PRICE),
        "payer": payer.address,
    }


def _check(reference, pay_w3, payee=None):
    report = VerificationReport("payment")
    check_payment(report, reference, pay_w3, payee)
    return report.check("payment")


def test_the_payment_the_gateway_names_is_found_on_the_payment_chain(payment, pay_w3):
    check = _check(payment, pay_w3, PAY_TO)
    assert check.status == "passed"
    assert check.detail.startswith(
        f"{PRICE} OPG from {payment['payer']} to {PAY_TO} in tx {payment['tx']} on {NETWORK}"
    )
    assert check.detail.endswith("through an EIP-3009 authorization)")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount": str(PRICE + 1)}, f"moves no {PRICE + 1} OPG from"),
        ({"payer": Web3().eth.account.from_key(DEV_KEYS[2]).address}, "OPG from 0x3C44"),
        ({"network": "eip155:1"}, "paid on eip155:1, but --payment-rpc is eip155:8453"),
        ({"tx": "0x" + "11" * 32}, "is not on eip155:8453 (TransactionNotFound)"),
        ({"amount": "lots"}, "the payment reference is malformed"),
    ],
)
def test_a_wrong_reference_fails_with_the_reason(payment, pay_w3, change, reason):
    check = _check({**payment, **change}, pay_w3)
    assert check.status == "failed"
    assert reason in check.detail


def test_another_payee_fails(payment, pay_w3):
    other = Web3().eth.account.from_key(DEV_KEYS[3]).address
    check = _check(payment, pay_w3, other)
    assert (check.status, f"to {other}" in check.detail) == ("failed", True)


def test_no_reference_or_no_payment_chain_is_skipped_not_failed(payment, pay_w3):
    none = _check(None, pay_w3)
    assert (none.status, none.required) == ("skipped", False)
    unchecked = _check(payment, None)
    assert unchecked.detail == f"paid in tx {payment['tx']}: give --payment-rpc to check it"


def test_an_exact_payment_needs_the_payers_authorization(payment, pay_w3):
    assert _check({**payment, "scheme": "exact"}, pay_w3).status == "passed"
    payer = Payer(pay_w3, DEV_KEYS[1])
    opg = pay_w3.eth.contract(OPG_ADDRESS, abi=opg_abi())
    plain = payer.send(opg.functions.transfer(PAY_TO, PRICE))  # a transfer, no authorization
    reference = {**payment, "tx": plain.transactionHash.to_0x_hex(), "scheme": "exact"}
    check = _check(reference, pay_w3)
    assert (check.status, check.detail) == (
        "failed",
        f"tx {reference['tx']} uses no EIP-3009 authorization of {payment['payer']} (exact)",
    )
    unnamed = _check({**reference, "scheme": "upto"}, pay_w3)
    assert unnamed.status == "passed"
    assert unnamed.detail.endswith("through no EIP-3009 authorization (Permit2?))")


def test_an_upto_charge_of_nothing_passes_without_a_transaction(pay_w3):
    zero = {"network": NETWORK, "tx": "", "amount": "0", "payer": "", "scheme": "upto"}
    check = _check(zero, pay_w3)
    assert (check.status, check.detail) == (
        "passed",
        "nothing was charged (an upto payment of 0): no transaction",
    )
