"""The chain side of a verification: did the signed answer settle through the relay (an
`IndividualSettlement` of exactly these hashes, or a leaf the relay's `verifyProof` accepts
under a root a `BatchSettlement` put on chain), and did the payment the gateway names move
OPG on the payment chain?"""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.logs import DISCARD

from ogkit.contracts import load
from ogkit.llm.verify_report import SignedClaim, VerificationReport
from ogkit.payments.contracts import AUTHORIZATION_USED_TOPIC, OPG_ADDRESS, TRANSFER_TOPIC
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, standard_leaf, verify

SETTLEMENT = "settlement"
PAYMENT = "payment"


def relay_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load("InferenceSettlementRelay").abi
    )


def relay_registry(relay: Any) -> str | None:
    """The registry a relay's verifier checks signatures against (None: not a relay)."""
    try:
        verifier = relay.functions.SETTLEMENT_CONTRACT().call()
        contract = relay.w3.eth.contract(address=verifier, abi=load("TEEInferenceVerifier").abi)
        return contract.functions.registry().call()
    except Exception:  # noqa: BLE001 - no code, other code: not a relay
        return None


def check_settlement(
    report: VerificationReport,
    relay: Any,
    claim: SignedClaim,
    known: dict[str, Any] | None,
    no_proof: str = "no batch proof given (--gateway)",
) -> None:
    """`known`: what the gateway (or the node) says of the settlement: settlement_type,
    status, tx_hash, merkle_root, merkle_proof. Only the chain's answer counts."""
    known = known or {}
    if known.get("settlement_type") == "private":
        report.passed(SETTLEMENT, "not required: a private answer is paid, never settled")
        return
    if not relay.w3.eth.get_code(relay.address):
        report.failed(SETTLEMENT, f"no settlement relay at {relay.address} on this chain")
        return
    if relay.functions.isSettled(claim.request_hash, claim.output_hash, claim.timestamp).call():
        return _individual(report, relay, claim)
    if known.get("merkle_root") and known.get("tx_hash"):
        return _batch(report, relay, claim, known)
    status = known.get("settlement") or known.get("status")
    why = f"the gateway says {status!r}" if status else no_proof
    report.failed(SETTLEMENT, f"not settled on chain: isSettled is false at {relay.address}, {why}")


def _individual(report: VerificationReport, relay: Any, claim: SignedClaim) -> None:
    event = relay.events.IndividualSettlement()
    for log in reversed(event.get_logs(from_block=0, argument_filters={"teeId": claim.tee_id})):
        args = log.args
        if (args.inputHash, args.outputHash, args.timestamp, bytes(args.signature)) == (
            claim.request_hash,
            claim.output_hash,
            claim.timestamp,
            claim.signature,
        ):
            tx = log.transactionHash.to_0x_hex()
            report.passed(
                SETTLEMENT,
                f"IndividualSettlement of these hashes and signature in tx "
                f"{tx} (block {log.blockNumber}); relay isSettled: true",
            )
            return
    report.failed(
        SETTLEMENT,
        "isSettled is true but no IndividualSettlement carries this "
        "signature: another signature of the same hashes settled",
    )


def _batch(report: VerificationReport, relay: Any, claim: SignedClaim, known: dict) -> None:
    root = bytes.fromhex(known["merkle_root"].removeprefix("0x"))
    proof = [bytes.fromhex(p.removeprefix("0x")) for p in known.get("merkle_proof") or []]
    leaf = standard_leaf(
        SETTLEMENT_LEAF_TYPES,
        [claim.tee_id, claim.request_hash, claim.output_hash, claim.signature, claim.timestamp],
    )
    if not (verify(proof, root, leaf) and relay.functions.verifyProof(proof, root, leaf).call()):
        report.failed(
            SETTLEMENT,
            "the Merkle proof does not lead from this answer's leaf to "
            f"the batch root 0x{root.hex()}",
        )
        return
    receipt = relay.w3.eth.get_transaction_receipt(known["tx_hash"])
    roots = [
        e.args.merkleRoot
        for e in relay.events.BatchSettlement().process_receipt(receipt, errors=DISCARD)
        if e.address == relay.address
    ]
    if receipt["status"] != 1 or root not in roots:
        report.failed(
            SETTLEMENT,
            f"tx {known['tx_hash']} put no BatchSettlement of root "
            f"0x{root.hex()} on {relay.address}",
        )
        return
    report.passed(
        SETTLEMENT,
        f"leaf in the batch root 0x{root.hex()} (relay verifyProof: "
        f"true) settled by BatchSettlement in tx {known['tx_hash']} "
        f"(block {receipt['blockNumber']})",
    )


def check_payment(
    report: VerificationReport,
    payment: dict[str, Any] | None,
    payment_w3: Web3 | None,
    payee: str | None = None,
) -> None:
    """`payment`: {network, tx, amount, payer[, scheme]} (the gateway's settlement record)
    against the receipt of `tx` on the payment chain: an OPG Transfer of `amount` from `payer`
    (to `payee`, when known); `exact` also needs the payer's EIP-3009 `AuthorizationUsed`."""
    if not payment:
        report.skipped(PAYMENT, "the gateway names no payment for this answer (a free gateway)")
        return
    if payment_w3 is None:
        report.skipped(PAYMENT, f"paid in tx {payment.get('tx')}: give --payment-rpc to check it")
        return
    try:
        amount, tx, network = int(payment["amount"]), str(payment["tx"]), str(payment["network"])
        if amount == 0 and not tx:
            report.passed(PAYMENT, "nothing was charged (an upto payment of 0): no transaction")
            return
        payer = Web3.to_checksum_address(payment["payer"])
    except (KeyError, TypeError, ValueError) as exc:
        report.failed(PAYMENT, f"the payment reference is malformed ({exc!r}): {payment}")
        return
    chain = f"eip155:{payment_w3.eth.chain_id}"
    if network != chain:
        report.failed(PAYMENT, f"paid on {network}, but --payment-rpc is {chain}")
        return
    try:
        receipt = payment_w3.eth.get_transaction_receipt(tx)
    except Exception as exc:  # noqa: BLE001 - unknown tx: web3 raises TransactionNotFound
        report.failed(PAYMENT, f"tx {tx} is not on {chain} ({type(exc).__name__})")
        return
    if receipt["status"] != 1:
        report.failed(PAYMENT, f"tx {tx} reverted")
        return
    moved = _opg_transfers(receipt)
    match = [m for m in moved if m[0] == payer and m[2] == amount and payee in (None, m[1])]
    if not match:
        to = f" to {payee}" if payee else ""
        report.failed(PAYMENT, f"tx {tx} moves no {amount} OPG from {payer}{to} (it moves {moved})")
        return
    authorized = _authorization_used(receipt, payer)
    if payment.get("scheme") == "exact" and not authorized:
        report.failed(PAYMENT, f"tx {tx} uses no EIP-3009 authorization of {payer} (exact)")
        return
    how = "an EIP-3009 authorization" if authorized else "no EIP-3009 authorization (Permit2?)"
    report.passed(
        PAYMENT,
        f"{amount} OPG from {payer} to {match[0][1]} in tx {tx} on {chain} "
        f"(block {receipt['blockNumber']}, through {how})",
    )


def _opg_transfers(receipt: Any) -> list[tuple[str, str, int]]:
    found = []
    for log in receipt["logs"]:
        topics = [bytes(t) for t in log["topics"]]
        if log["address"].lower() == OPG_ADDRESS.lower() and topics[:1] == [TRANSFER_TOPIC]:
            found.append(
                (
                    Web3.to_checksum_address(topics[1][-20:]),
                    Web3.to_checksum_address(topics[2][-20:]),
                    int.from_bytes(bytes(log["data"]), "big"),
                )
            )
    return found


def _authorization_used(receipt: Any, payer: str) -> bool:
    for log in receipt["logs"]:
        topics = [bytes(t) for t in log["topics"]]
        if (
            log["address"].lower() == OPG_ADDRESS.lower()
            and topics[:1] == [AUTHORIZATION_USED_TOPIC]
            and Web3.to_checksum_address(topics[1][-20:]) == payer
        ):
            return True
    return False
