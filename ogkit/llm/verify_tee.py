"""The enclave side of a verification: is the signer a TEE the registry holds (registered,
enabled, its PCRs approved), does its registered key verify the signature, and does an
attestation bind that key to an approved image under the trusted root?

Two attestations can be checked: the one the TEE registered with (read back from the
registration transaction's calldata, verified at that block's time, as 0x900 did then: it
works with only the chain) and a fresh one the gateway serves for a nonce we choose (only
when the gateway is reachable; fetched over TLS pinned to the certificate in the registry).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from web3 import Web3

from ogkit.contracts import load
from ogkit.llm.verify_report import SignedClaim, VerificationReport
from ogkit.tee.attestation import verify_attestation, verify_result_signature
from ogkit.tee.dev_ca import dev_root_pem

TEE_REGISTERED_TOPIC = keccak(text="TEERegistered(bytes32,address,uint8)")


@dataclass(frozen=True)
class TeeEntry:
    """`getTEE(teeId)` of the registry, the fields a verifier needs."""

    owner: str
    payment_address: str
    endpoint: str
    public_key: bytes
    tls_certificate: bytes
    pcr_hash: bytes
    tee_type: int
    enabled: bool


def registry_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load("TEERegistry").abi)


def read_entry(registry: Any, tee_id: bytes) -> TeeEntry | None:
    """The registry's entry, or None when it holds no TEE of that id."""
    try:
        raw = registry.functions.getTEE(tee_id).call()
    except Exception:  # noqa: BLE001 - the registry reverts for an unknown id
        return None
    if int(raw[0], 16) == 0 and not raw[3]:
        return None
    return TeeEntry(raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7])


def check_registry(
    report: VerificationReport, registry: Any, claim: SignedClaim
) -> TeeEntry | None:
    """`tee_registry`: registered, enabled, PCRs approved for its type. The entry, if any."""
    name, tee = "tee_registry", "0x" + claim.tee_id.hex()
    if not registry.w3.eth.get_code(registry.address):
        report.failed(name, f"no TEE registry at {registry.address} on this chain")
        return None
    entry = read_entry(registry, claim.tee_id)
    if entry is None:
        report.failed(name, f"TEE {tee} is not registered in {registry.address}")
        return None
    pcr = "0x" + entry.pcr_hash.hex()
    problems = [] if entry.enabled else ["disabled"]
    if not registry.functions.isPCRApproved(entry.tee_type, entry.pcr_hash).call():
        problems.append(
            f"its PCR hash {pcr} is not (or no longer) approved for type {entry.tee_type}"
        )
    if problems:
        where = f"TEE {tee} is registered in {registry.address} but "
        report.failed(name, where + " and ".join(problems))
        return entry
    report.passed(
        name,
        f"TEE {tee} registered in {registry.address} by {entry.owner}, "
        f"enabled, PCR hash {pcr} approved for type {entry.tee_type}",
    )
    return entry


def check_signature(report: VerificationReport, entry: TeeEntry | None, claim: SignedClaim) -> None:
    """`signature`: RSA-PSS over keccak256(request ‖ output ‖ timestamp) with the key the
    registry holds for `tee_id` (never a key the answer or the gateway offers)."""
    if entry is None:
        report.failed("signature", "no registered key for this tee_id to check it with")
        return
    check = verify_result_signature(
        entry.public_key, claim.request_hash, claim.output_hash, claim.timestamp, claim.signature
    )
    if check.valid:
        report.passed(
            "signature",
            "RSA-PSS signature over (request hash, output hash, "
            f"timestamp {claim.timestamp}) verifies with the registered key",
        )
    else:
        report.failed("signature", f"does not verify with the registered key ({check.reason})")


def trusted_root(registry: Any, root_pem: bytes | None) -> tuple[bytes, str]:
    """The registry's own root if it stores one, else the given one, else the dev root
    (0x900 then checks against the chain's TEE root, which is the dev root by default)."""
    stored = registry.functions.awsRootCertificate().call()
    if stored:
        return bytes(stored), "the registry's root certificate"
    if root_pem is not None:
        return root_pem, "the given TEE root"
    return dev_root_pem(), "the dev TEE root (a development chain's; DEV ONLY)"


def check_registered_attestation(
    report: VerificationReport,
    registry: Any,
    entry: TeeEntry | None,
    claim: SignedClaim,
    root_pem: bytes | None,
) -> None:
    """`attestation_registered`: the document of `registerTEEWithAttestation`, re-verified."""
    name = "attestation_registered"
    if entry is None:
        report.skipped(name, "no registry entry to check an attestation against", required=True)
        return
    w3 = registry.w3
    logs = w3.eth.get_logs(
        {
            "address": registry.address,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [TEE_REGISTERED_TOPIC, claim.tee_id],
        }
    )
    if not logs:
        report.skipped(name, "no TEERegistered event for this TEE (a genesis entry?)")
        return
    tx = w3.eth.get_transaction(logs[-1]["transactionHash"])
    try:
        fn, args = registry.decode_function_input(tx["input"])
    except ValueError:
        report.skipped(name, "registered through a contract call: its calldata is not ours to read")
        return
    if fn.fn_name != "registerTEEWithAttestation":
        report.skipped(name, f"registered with {fn.fn_name}, which carries no attestation")
        return
    at = w3.eth.get_block(logs[-1]["blockNumber"])["timestamp"]
    root, which = trusted_root(registry, root_pem)
    document = bytes(args["attestationDocument"])
    verdict = verify_attestation(
        document,
        entry.public_key,
        entry.tls_certificate,
        root_pem=root,
        at=at,
        expected_pcr_hash=entry.pcr_hash,
    )
    block = logs[-1]["blockNumber"]
    if verdict.valid:
        report.passed(
            name,
            f"the document registered in block {block} verifies under {which} "
            f"at that block's time, binds the registered signing key and TLS "
            f"certificate, PCR hash matches the entry",
        )
    else:
        report.failed(name, f"the document registered in block {block}: {verdict.reason}")


def check_fresh_attestation(
    report: VerificationReport,
    registry: Any,
    entry: TeeEntry | None,
    gateway: Any,
    root_pem: bytes | None,
) -> None:
    """`attestation_fresh`: a document the gateway makes now for our nonce."""
    name = "attestation_fresh"
    if gateway is None:
        report.skipped(name, "no gateway given (--gateway) to ask for a fresh attestation")
        return
    if entry is None:
        report.skipped(name, "no registry entry to check an attestation against", required=True)
        return
    nonce = os.urandom(16)
    try:
        document = gateway.attestation(nonce)
    except OSError as exc:
        report.skipped(name, f"the gateway did not answer ({exc})")
        return
    root, which = trusted_root(registry, root_pem)
    verdict = verify_attestation(
        document,
        entry.public_key,
        entry.tls_certificate,
        root_pem=root,
        expected_pcr_hash=entry.pcr_hash,
        expected_nonce=nonce,
    )
    if verdict.valid:
        report.passed(
            name,
            f"{gateway.url} attests now, for our nonce, under {which}: the "
            "registered key and certificate, PCR hash as registered",
        )
    else:
        report.failed(name, f"{gateway.url}'s attestation: {verdict.reason}")
