"""The payment chain's contracts on `ogkit node --payments`: genesis (chain id, balances, code
at the Base addresses), OPG's EIP-3009 in both signature forms with replay, expiry, early use,
wrong signer, receive/cancel rules, and the x402 upto proxy over Uniswap's Permit2: the charge
is at most the signed cap, only the named facilitator settles, a permit settles once."""

from __future__ import annotations

import time

import pytest
from eth_abi import encode
from eth_utils import keccak
from node_support import DEV_KEYS
from payment_support import PAY_TO, Payer, opg_transfers, vrs
from web3.exceptions import ContractCustomError, ContractLogicError

from ogkit.payments.chain import DEFAULT_OPG_BALANCE, FACILITATOR_BALANCE
from ogkit.payments.contracts import (
    MULTICALL3_ADDRESS,
    PERMIT2_ADDRESS,
    UPTO_PROXY_ADDRESS,
    facilitator_address,
)

CAP = 10**18


def _error(abi_name: str) -> str:
    """The 4-byte selector of a custom error (the proxy's, Permit2's), as web3 reports it."""
    return "0x" + keccak(text=f"{abi_name}()")[:4].hex()


def test_genesis_is_the_payment_chain(w3, opg, permit2, payer):
    assert w3.eth.chain_id == 8453
    assert opg.functions.balanceOf(payer.address).call() == DEFAULT_OPG_BALANCE
    assert opg.functions.totalSupply().call() == 10 * DEFAULT_OPG_BALANCE
    assert (opg.functions.name().call(), opg.functions.version().call()) == ("OpenGradient", "1")
    assert (opg.functions.symbol().call(), opg.functions.decimals().call()) == ("OPG", 18)
    assert w3.eth.get_balance(facilitator_address()) == FACILITATOR_BALANCE
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,uint256 chainId,address verifyingContract)"),
                keccak(text="Permit2"),
                8453,
                PERMIT2_ADDRESS,
            ],
        )
    )
    assert permit2.functions.DOMAIN_SEPARATOR().call() == domain
    for address in (UPTO_PROXY_ADDRESS, MULTICALL3_ADDRESS):
        assert len(w3.eth.get_code(address)) > 1000
    # no AI precompile on this chain: 0xF4 is an empty account
    assert w3.eth.call({"to": "0x00000000000000000000000000000000000000F4", "data": "0x01"}) == b""


def test_transfer_with_authorization_vrs_moves_exactly_the_value(w3, opg, payer, relayer):
    message, signature = payer.authorization(value=123_456)
    v, r, s = vrs(signature)
    fn = opg.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"
    )
    receipt = relayer.send(fn(*message.values(), v, r, s))
    assert receipt.status == 1
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), 123_456)]
    assert opg.functions.authorizationState(payer.address, message["nonce"]).call() is True
    # the same authorization again: refused, nothing moves
    with pytest.raises(ContractLogicError, match="authorization is used or canceled"):
        fn(*message.values(), v, r, s).call({"from": relayer.address})


def _bytes_fn(opg):
    return opg.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )


def test_transfer_with_authorization_bytes_signature(opg, payer, relayer):
    message, signature = payer.authorization(value=77)
    receipt = relayer.send(_bytes_fn(opg)(*message.values(), signature))
    assert receipt.status == 1
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), 77)]
    with pytest.raises(ContractLogicError, match="authorization is used or canceled"):
        _bytes_fn(opg)(*message.values(), signature).call({"from": relayer.address})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"valid_before": int(time.time()) - 1}, "authorization is expired"),
        ({"valid_after": int(time.time()) + 3600}, "authorization is not yet valid"),
    ],
)
def test_authorization_outside_its_window_is_refused(opg, payer, relayer, change, reason):
    message, signature = payer.authorization(**change)
    with pytest.raises(ContractLogicError, match=reason):
        _bytes_fn(opg)(*message.values(), signature).call({"from": relayer.address})


def test_wrong_signer_and_tampered_value_are_refused(w3, opg, payer, relayer):
    message, _ = payer.authorization()
    _, other_signature = Payer(w3, DEV_KEYS[4]).authorization(nonce=message["nonce"])
    with pytest.raises(ContractLogicError, match="OPG: invalid signature"):
        _bytes_fn(opg)(*message.values(), other_signature).call({"from": relayer.address})
    message, signature = payer.authorization(value=5)
    tampered = {**message, "value": 6}
    with pytest.raises(ContractLogicError, match="OPG: invalid signature"):
        _bytes_fn(opg)(*tampered.values(), signature).call({"from": relayer.address})
    receipt = relayer.send(_bytes_fn(opg)(*tampered.values(), signature))
    assert receipt.status == 0 and opg_transfers(receipt) == []


def test_receive_with_authorization_only_by_the_payee(w3, opg, payer, relayer):
    payee = Payer(w3, DEV_KEYS[2])
    message, signature = payer.authorization(value=9, primary="ReceiveWithAuthorization")
    fn = opg.get_function_by_signature(
        "receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    with pytest.raises(ContractLogicError, match="caller must be the payee"):
        fn(*message.values(), signature).call({"from": relayer.address})
    receipt = payee.send(fn(*message.values(), signature))
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), 9)]


def test_cancel_authorization_burns_the_nonce(opg, payer, relayer):
    message, signature = payer.authorization(value=1)
    cancel = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "CancelAuthorization": [
                {"name": "authorizer", "type": "address"},
                {"name": "nonce", "type": "bytes32"},
            ],
        },
        "primaryType": "CancelAuthorization",
        "domain": {
            "name": "OpenGradient",
            "version": "1",
            "chainId": 8453,
            "verifyingContract": opg.address,
        },
        "message": {"authorizer": payer.address, "nonce": message["nonce"]},
    }
    fn = opg.get_function_by_signature("cancelAuthorization(address,bytes32,bytes)")
    assert relayer.send(fn(payer.address, message["nonce"], payer.sign(cancel))).status == 1
    with pytest.raises(ContractLogicError, match="authorization is used or canceled"):
        _bytes_fn(opg)(*message.values(), signature).call({"from": relayer.address})


@pytest.fixture(scope="module")
def approved(opg, payer):
    assert payer.send(opg.functions.approve(PERMIT2_ADDRESS, 2**256 - 1)).status == 1
    return payer


@pytest.fixture(scope="module")
def facilitator(w3):
    """Dev account 5 acts as the facilitator the permits name."""
    return Payer(w3, DEV_KEYS[5])


def test_upto_settles_the_charge_not_the_cap(approved, facilitator, proxy, permit2):
    permit, witness, signature = approved.upto_permit(CAP, facilitator.address)
    charge = 4 * 10**17
    receipt = facilitator.send(
        proxy.functions.settle(permit, charge, approved.address, witness, signature)
    )
    assert receipt.status == 1
    assert opg_transfers(receipt) == [(approved.address.lower(), PAY_TO.lower(), charge)]
    # the permit is spent: the rest of the cap cannot be taken later
    nonce = permit[1]
    bitmap = permit2.functions.nonceBitmap(approved.address, nonce >> 8).call()
    assert bitmap >> (nonce & 0xFF) & 1 == 1
    with pytest.raises(ContractCustomError, match=_error("InvalidNonce")):
        proxy.functions.settle(permit, 1, approved.address, witness, signature).call(
            {"from": facilitator.address}
        )


def test_upto_over_the_cap_is_refused(approved, facilitator, proxy):
    permit, witness, signature = approved.upto_permit(CAP, facilitator.address)
    with pytest.raises(ContractCustomError, match=_error("AmountExceedsPermitted")):
        proxy.functions.settle(permit, CAP + 1, approved.address, witness, signature).call(
            {"from": facilitator.address}
        )
    # the whole cap is fine
    receipt = facilitator.send(
        proxy.functions.settle(permit, CAP, approved.address, witness, signature)
    )
    assert opg_transfers(receipt) == [(approved.address.lower(), PAY_TO.lower(), CAP)]


def test_upto_by_another_facilitator_is_refused(approved, facilitator, relayer, proxy):
    permit, witness, signature = approved.upto_permit(CAP, facilitator.address)
    with pytest.raises(ContractCustomError, match=_error("UnauthorizedFacilitator")):
        proxy.functions.settle(permit, 1, approved.address, witness, signature).call(
            {"from": relayer.address}
        )
    receipt = relayer.send(proxy.functions.settle(permit, 1, approved.address, witness, signature))
    assert receipt.status == 0 and opg_transfers(receipt) == []


def test_upto_redirected_recipient_breaks_the_signature(approved, facilitator, proxy, relayer):
    permit, witness, signature = approved.upto_permit(CAP, facilitator.address)
    stolen = (relayer.address, witness[1], witness[2])
    with pytest.raises(ContractCustomError, match=_error("InvalidSigner")):
        proxy.functions.settle(permit, 1, approved.address, stolen, signature).call(
            {"from": facilitator.address}
        )


def test_upto_zero_charge_is_refused(approved, facilitator, proxy):
    permit, witness, signature = approved.upto_permit(CAP, facilitator.address)
    with pytest.raises(ContractCustomError, match=_error("InvalidAmount")):
        proxy.functions.settle(permit, 0, approved.address, witness, signature).call(
            {"from": facilitator.address}
        )


def _permit_2612(owner: Payer, opg, spender: str, value: int, deadline: int) -> bytes:
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "OpenGradient",
            "version": "1",
            "chainId": 8453,
            "verifyingContract": opg.address,
        },
        "message": {
            "owner": owner.address,
            "spender": spender,
            "value": value,
            "nonce": opg.functions.nonces(owner.address).call(),
            "deadline": deadline,
        },
    }
    return owner.sign(typed)


def test_eip2612_permit_sets_the_allowance_once(w3, opg, relayer):
    owner = Payer(w3, DEV_KEYS[4])
    deadline = int(time.time()) + 300
    signature = _permit_2612(owner, opg, relayer.address, 55, deadline)
    v, r, s = vrs(signature)
    permit = opg.functions.permit(owner.address, relayer.address, 55, deadline, v, r, s)
    assert relayer.send(permit).status == 1
    assert opg.functions.allowance(owner.address, relayer.address).call() == 55
    with pytest.raises(ContractLogicError, match="OPG: invalid signature"):  # nonce moved on
        permit.call({"from": relayer.address})
    late = _permit_2612(owner, opg, relayer.address, 1, int(time.time()) - 1)
    with pytest.raises(ContractLogicError, match="OPG: permit is expired"):
        opg.functions.permit(
            owner.address, relayer.address, 1, int(time.time()) - 1, *vrs(late)
        ).call({"from": relayer.address})


def test_upto_settle_with_permit_approves_permit2_in_the_same_transaction(
    w3, opg, proxy, facilitator
):
    """x402's EIP-2612 gas sponsoring: a payer who never approved Permit2 pays anyway."""
    owner = Payer(w3, DEV_KEYS[4])
    assert opg.functions.allowance(owner.address, PERMIT2_ADDRESS).call() == 0
    permit, witness, signature = owner.upto_permit(CAP, facilitator.address)
    deadline = int(time.time()) + 300
    v, r, s = vrs(_permit_2612(owner, opg, PERMIT2_ADDRESS, CAP, deadline))
    with pytest.raises(ContractCustomError, match=_error("Permit2612AmountMismatch")):
        proxy.functions.settleWithPermit(
            (CAP - 1, deadline, r, s, v), permit, 5, owner.address, witness, signature
        ).call({"from": facilitator.address})
    receipt = facilitator.send(
        proxy.functions.settleWithPermit(
            (CAP, deadline, r, s, v), permit, 5, owner.address, witness, signature
        )
    )
    assert receipt.status == 1
    assert opg_transfers(receipt) == [(owner.address.lower(), PAY_TO.lower(), 5)]
    assert opg.functions.allowance(owner.address, PERMIT2_ADDRESS).call() == CAP - 5


def test_permit2_artifact_is_uniswaps_runtime_with_its_notice(w3):
    import hashlib
    import json

    from ogkit.contracts.artifacts import ARTIFACTS_DIR

    artifact = json.loads((ARTIFACTS_DIR / "Permit2.json").read_text())
    runtime = bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))
    assert len(runtime) == 9152
    assert hashlib.sha256(runtime).hexdigest() == artifact["deployedBytecodeSha256"]
    assert artifact["license"].startswith("MIT License\n\nCopyright (c) 2022 Uniswap Labs")
    assert "@uniswap/v4-periphery@1.0.3" in artifact["source"]
    assert bytes(w3.eth.get_code(PERMIT2_ADDRESS)) == runtime
