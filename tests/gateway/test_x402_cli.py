"""`ogkit gateway`'s payment options (ogkit/cli/gateway_payments.py): free without them, and
says so; a price or scheme without a payment chain, a bad price, an unreachable or wrong chain
are refused before anything serves; --local-payments runs the payment chain in-process."""

from __future__ import annotations

import click
import pytest
from eth_account import Account
from node_support import NodeProcess, free_port

from ogkit.chain.tee_registry_genesis import TEE_OPERATOR_KEY
from ogkit.cli.gateway_payments import PaymentChoice, make_gate
from ogkit.gateway import GatewayModels
from ogkit.payments.contracts import facilitator_address


@pytest.fixture(scope="module")
def models(inference_node):
    return GatewayModels(inference_node.llm_engine)


def test_without_a_payment_option_it_is_free_and_says_so(models):
    gate, local, line = make_gate(PaymentChoice(), models)
    assert (gate, local) == (None, None)
    assert line == "Payment: none, every request is served free (FreeGate)"


@pytest.mark.parametrize(
    "options", [(None, "1:2", ()), ("0x" + "11" * 20, None, ()), (None, None, ("exact",))]
)
def test_payment_terms_need_a_payment_chain(models, options):
    pay_to, price, schemes = options
    with pytest.raises(click.UsageError, match="need --payments-rpc"):
        make_gate(PaymentChoice(pay_to=pay_to, price=price, schemes=schemes), models)


def test_a_bad_price_is_refused(models):
    with pytest.raises(click.BadParameter, match="is not IN:OUT"):
        make_gate(PaymentChoice(payments_rpc="http://127.0.0.1:1", price="1:x"), models)


def test_an_unreachable_payment_chain_is_refused(models):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(click.ClickException, match=f"cannot reach the payment chain at {url}"):
        make_gate(PaymentChoice(payments_rpc=url), models)


def test_the_ai_chain_is_not_a_payment_chain(tmp_path, models):
    node = NodeProcess(tmp_path).start()
    try:
        with pytest.raises(click.ClickException, match="is chain 1337, not the payment chain"):
            make_gate(PaymentChoice(payments_rpc=node.url), models)
    finally:
        node.stop()


def test_local_payments_run_the_chain_in_process(models):
    gate, local, line = make_gate(
        PaymentChoice(
            local_payments=True, price="5:7", schemes=("exact",), settle_payment="after-answer"
        ),
        models,
    )
    try:
        operator = Account.from_key(TEE_OPERATOR_KEY).address
        assert (gate.schemes, gate.pay_to, gate.deferred) == (("exact",), operator, True)
        assert gate.prices.default.input == 5 and gate.prices.default.output == 7
        assert line == (
            f"Payment: x402 (exact) in OPG on eip155:8453 at {local.rpc_url}; pay to {operator}; "
            f"price 5:7 per token; facilitator {facilitator_address()}; settled after-answer"
        )
    finally:
        local.close()
