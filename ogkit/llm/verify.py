"""Verify a TEE-signed LLM answer: of `ogkit gateway` (the response body, `verify_response`)
or of 0xF4's TEE mode (its inference id, `verify_inference`), and say what was checked.

    report = verify_response(body, request=request_body, w3=Web3(...), gateway_url=...)
    print("\\n".join(report.lines())); report.ok

One named check per line (`VerificationReport`):

- `request_hash`: keccak256 of the request's canonical form (`ogkit.llm.canonical`), when the
  request is given;
- `output_hash`: keccak256 of the answer's text or tool calls, recomputed;
- `tee_registry`: the signer is registered in the TEE registry, enabled, its PCRs approved;
- `signature`: RSA-PSS with the key the registry holds for `tee_id`;
- `attestation_registered` / `attestation_fresh`: the registration's attestation document
  re-verified at its block's time, and a fresh one from the gateway for our nonce, each under
  the trusted root and bound to the registered key and TLS certificate;
- `settlement`: an `IndividualSettlement` of these hashes, or a Merkle proof the relay's
  `verifyProof` accepts under a root a `BatchSettlement` put on chain (the gateway gives it by
  job id, or by signature for an SDK output, which keeps no job id);
- `payment`: the OPG transfer the gateway names, on the payment chain.

Everything is read from the chains (and, for the fresh attestation and a batch proof, the
gateway); nothing the answer claims about its signer is believed without them.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from ogkit.chain.tee_registry_genesis import LLM_SETTLEMENT_RELAY_ADDRESS, TEE_REGISTRY_ADDRESS
from ogkit.llm import canonical
from ogkit.llm.verify_chain import check_payment, check_settlement, relay_contract, relay_registry
from ogkit.llm.verify_gateway import GatewayClient
from ogkit.llm.verify_records import RecordUnavailable, read_record
from ogkit.llm.verify_report import Check, SignedClaim, VerificationReport
from ogkit.llm.verify_tee import (
    check_fresh_attestation,
    check_registered_attestation,
    check_registry,
    check_signature,
    registry_contract,
)

__all__ = ["Check", "VerificationReport", "verify_inference", "verify_response"]


def job_id_of(response: dict[str, Any]) -> str | None:
    """The gateway's job id: the body's id without its `chatcmpl-`/`cmpl-` prefix."""
    ident = str(response.get("id") or "")
    for prefix in ("chatcmpl-", "cmpl-"):
        if ident.startswith(prefix):
            return ident[len(prefix) :]
    return None


def answer_of(response: dict[str, Any]) -> tuple[str, list | None]:
    """(text, tool calls) of a chat or completion body: what the output hash covers."""
    if "completion" in response or "completion_output" in response:
        return str(response.get("completion") or response.get("completion_output") or ""), None
    if isinstance(response.get("chat_output"), dict):  # the SDK's TextGenerationOutput
        message = response["chat_output"]
        return str(message.get("content") or ""), message.get("tool_calls") or None
    choice = (response.get("choices") or [{}])[0]
    if "text" in choice:
        return str(choice["text"] or ""), None
    message = choice.get("message") or {}
    return str(message.get("content") or ""), message.get("tool_calls") or None


def check_request(report: VerificationReport, claim: SignedClaim, request: Any) -> None:
    if request is None:
        report.skipped("request_hash", "no request given (--request): what was asked is unchecked")
        return
    try:
        form = canonical.body_canonical(request)
    except canonical.CanonicalError as exc:
        report.failed("request_hash", f"the request has no canonical form ({exc})")
        return
    if canonical.request_hash(form) == claim.request_hash:
        report.passed("request_hash", "keccak256 of the request's canonical form is the signed one")
    else:
        report.failed(
            "request_hash",
            "the request's canonical hash is not the signed "
            f"tee_request_hash 0x{claim.request_hash.hex()}: "
            "another request was answered",
        )


def check_output(report: VerificationReport, claim: SignedClaim, response: Any) -> None:
    if response is None:
        report.skipped("output_hash", "no answer text given: the record holds only its hash")
        return
    content, tool_calls = answer_of(response)
    if canonical.output_hash(content, tool_calls) == claim.output_hash:
        what = "tool calls" if tool_calls else "text"
        report.passed("output_hash", f"keccak256 of the answer's {what} is the signed one")
    else:
        report.failed(
            "output_hash",
            "the answer's hash is not the signed tee_output_hash "
            f"0x{claim.output_hash.hex()}: the answer was changed",
        )


def _enclave_checks(
    report: VerificationReport,
    registry: Any,
    claim: SignedClaim,
    gateway_url: str | None,
    tee_root_pem: bytes | None,
) -> tuple[Any, GatewayClient | None]:
    entry = check_registry(report, registry, claim)
    check_signature(report, entry, claim)
    check_registered_attestation(report, registry, entry, claim, tee_root_pem)
    gateway = None
    if gateway_url is not None:
        gateway = GatewayClient(gateway_url, entry.tls_certificate if entry else None)
    check_fresh_attestation(report, registry, entry, gateway, tee_root_pem)
    return entry, gateway


def verify_response(
    response: dict[str, Any],
    *,
    w3: Web3,
    request: dict[str, Any] | None = None,
    gateway_url: str | None = None,
    settlement: dict[str, Any] | None = None,
    payment_w3: Web3 | None = None,
    registry_address: str = TEE_REGISTRY_ADDRESS,
    relay_address: str = LLM_SETTLEMENT_RELAY_ADDRESS,
    tee_root_pem: bytes | None = None,
    payee: str | None = None,
) -> VerificationReport:
    """Check a gateway answer (its JSON body) on the AI chain `w3`. `settlement`: the job's
    `GET /v1/settlements/{job}` body if already at hand; else it is asked of `gateway_url`
    (by job id, or by signature for an answer that names no job: then, without `gateway_url`,
    of the endpoint the registry holds for the TEE).
    `payee`: where the payment must have gone (default: the TEE's registered paymentAddress)."""
    job = job_id_of(response)
    report = VerificationReport(f"gateway answer {job or response.get('id')}")
    try:
        response = _with_hashes(report, response, request)
        claim = SignedClaim.from_response(response)
    except (ValueError, canonical.CanonicalError) as exc:
        report.failed("tee_fields", str(exc))
        return report
    check_request(report, claim, request)
    check_output(report, claim, response)
    registry = registry_contract(w3, registry_address)
    entry, gateway = _enclave_checks(report, registry, claim, gateway_url, tee_root_pem)
    if settlement is None:
        settlement = _gateway_record(report, gateway, entry, job, response)
    settlement = _matching(report, settlement, response)
    no_proof = (
        "no batch proof given (--gateway)"
        if job is not None
        else "and no gateway (--gateway, or the registry's endpoint for its TEE) has a record "
        "of its signature to give its batch proof"
    )
    relay = relay_contract(w3, relay_address)
    check_settlement(report, relay, claim, settlement, no_proof)
    if payee is None and entry is not None:  # the TEE's registered payment address
        payee = entry.payment_address
    check_payment(report, (settlement or {}).get("payment"), payment_w3, payee)
    return report


def _gateway_record(
    report: VerificationReport,
    gateway: GatewayClient | None,
    entry: Any,
    job: str | None,
    response: dict[str, Any],
) -> dict[str, Any] | None:
    """The gateway's record of this answer: by its job id, or, for an answer that names none
    (an SDK output), by its signature, asked of `--gateway` or else of the endpoint the
    registry holds for the TEE (TLS pinned to the registry's certificate)."""
    if job is None and gateway is None and entry is not None and entry.endpoint:
        gateway = GatewayClient(entry.endpoint, entry.tls_certificate)
    if gateway is None:
        return None
    try:
        if job is not None:
            return gateway.settlement(job)
        return gateway.settlement_by_signature(str(response.get("tee_signature") or ""))
    except OSError as exc:
        report.skipped("gateway_record", f"the gateway at {gateway.url} did not answer ({exc})")
        return None


def _with_hashes(
    report: VerificationReport, response: dict[str, Any], request: dict[str, Any] | None
) -> dict[str, Any]:
    """OpenGradient's SDK returns the signature, timestamp and tee_id but not the two hashes:
    they are recomputed here (request and answer), and the signature check then binds them."""
    if response.get("tee_request_hash") and response.get("tee_output_hash"):
        return response
    if not response.get("tee_signature"):
        return response  # not signed at all: from_response says so
    if request is None:
        raise ValueError(
            "the answer carries no tee_request_hash (an SDK output?): give the "
            "request (--request) to recompute it"
        )
    content, tool_calls = answer_of(response)
    report.passed(
        "tee_fields",
        "the answer carries no hashes (OpenGradient's SDK output): "
        "both recomputed, from the request and the answer",
    )
    return {
        **response,
        "tee_request_hash": canonical.request_hash(canonical.body_canonical(request)).hex(),
        "tee_output_hash": canonical.output_hash(content, tool_calls).hex(),
    }


def _matching(
    report: VerificationReport, settlement: dict[str, Any] | None, response: dict[str, Any]
) -> dict[str, Any] | None:
    """The gateway's record of the job, only if it is this very answer (same TEE fields)."""
    if settlement is None:
        return None
    fields = ("tee_signature", "tee_timestamp", "tee_request_hash", "tee_output_hash", "tee_id")
    if any(_field(settlement.get(f)) != _field(response.get(f)) for f in fields):
        report.failed(
            "gateway_record",
            "the gateway's record of this job is another signed answer (its tee_* fields differ)",
        )
        return None
    return settlement


def _field(value: Any) -> str:
    """A tee_* field compared as text, hex case and `0x` aside (clients print them apart)."""
    text = str(value).strip()
    return text.lower().removeprefix("0x") if text.lower().startswith("0x") else text


def verify_inference(
    inference_id: str,
    *,
    w3: Web3,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    tee_root_pem: bytes | None = None,
) -> VerificationReport:
    """Check a 0xF4 TEE-mode LLM record by its inference id, read over the node's RPC
    (`ogkit_getInferenceRecord`). The registry is the one behind the relay that settled it."""
    report = VerificationReport(f"inference {inference_id}")
    try:
        record = read_record(w3, inference_id)
        if record is None:
            report.failed("record", "no mined transaction emitted an inference of that id")
            return report
        claim = SignedClaim.from_record(record)
    except (RecordUnavailable, KeyError, ValueError) as exc:
        report.failed("record", str(exc))
        return report
    report.passed(
        "record",
        f"0xF4 emitted it in tx {record.get('transactionHash')} "
        f"(block {record.get('blockNumber')}), mode TEE",
    )
    check_request(report, claim, request)
    check_output(report, claim, response)
    tx = record.get("settlementTx")
    if not tx:
        report.failed(
            "settlement",
            f"not settled yet ({record.get('settlement')}): the "
            "registry that holds its enclave is the settling relay's",
        )
        return report
    relay = relay_contract(w3, w3.eth.get_transaction(tx)["to"])
    registry = relay_registry(relay)
    if registry is None:
        report.failed("settlement", f"tx {tx} went to {relay.address}, which is no relay")
        return report
    _enclave_checks(report, registry_contract(w3, registry), claim, None, tee_root_pem)
    known = {
        "tx_hash": tx,
        "merkle_root": record.get("merkleRoot"),
        "merkle_proof": record.get("merkleProof"),
    }
    check_settlement(report, relay, claim, known)
    return report
