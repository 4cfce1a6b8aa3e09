"""Deploying the TEE verification contracts on the AI chain, shared by the TEE test modules."""

from __future__ import annotations

from eth_utils import keccak

from ogkit.tee import SimulatedEnclave
from ogkit.tee.dev_ca import dev_root_pem

LLM_PROXY = 0
RELAY_ROLE = keccak(text="SETTLEMENT_RELAY_ROLE")


def deploy_registry(project, chain, admin, enclave: SimulatedEnclave | None = None):
    """A TEERegistry trusting the dev root, with `enclave` (if any) approved and registered
    with an attestation stamped at the next block's time."""
    registry = admin.deploy(project.TEERegistry)
    registry.setAWSRootCertificate(dev_root_pem(), sender=admin)
    registry.addTEEType(LLM_PROXY, "LLMProxy", sender=admin)
    if enclave is not None:
        registry.approvePCR(
            (enclave.pcrs[0], enclave.pcrs[1], enclave.pcrs[2]), "v1", LLM_PROXY, sender=admin
        )
        registry.registerTEEWithAttestation(
            enclave.attestation_document(timestamp_ms=chain.pending_timestamp * 1000),
            enclave.signing_public_key_der,
            enclave.tls_certificate_der,
            admin.address,
            "https://tee.local",
            LLM_PROXY,
            sender=admin,
        )
    return registry


def deploy_relay(project, admin, relayer, verifier):
    relay = admin.deploy(project.InferenceSettlementRelay, verifier)
    relay.grantRole(RELAY_ROLE, relayer, sender=admin)
    return relay
