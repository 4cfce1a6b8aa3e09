"""TEE mode: a simulated Nitro enclave (DEV ONLY) and off-chain attestation verification.

The formats are the real ones (AWS Nitro attestation documents, OpenGradient's TEE gateway
signatures); the trust is not: see `ogkit.tee.enclave`. The on-chain verifier is the 0x900
precompile in `precompiles.tee`, whose checks `ogkit.tee.attestation` reuses.
"""

from ogkit.tee.attestation import (
    AttestationError,
    AttestationReport,
    require_attestation,
    verify_attestation,
    verify_result_signature,
)
from ogkit.tee.dev_ca import DEV_ROOT_SEED, DevCertificateAuthority, dev_root_ca, dev_root_pem
from ogkit.tee.enclave import SignedResult, SimulatedEnclave
from ogkit.tee.signing import (
    heartbeat_hash,
    message_hash,
    nitriding_user_data,
    public_key_der,
    sign_rsa_pss,
)

__all__ = [
    "DEV_ROOT_SEED",
    "AttestationError",
    "AttestationReport",
    "DevCertificateAuthority",
    "SignedResult",
    "SimulatedEnclave",
    "dev_root_ca",
    "dev_root_pem",
    "heartbeat_hash",
    "message_hash",
    "nitriding_user_data",
    "public_key_der",
    "require_attestation",
    "sign_rsa_pss",
    "verify_attestation",
    "verify_result_signature",
]
