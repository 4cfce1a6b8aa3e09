"""The TEE verifier precompile at 0x…0900: og-evm's `ITEEVerifier`, byte-compatible.

    verifyAttestation(bytes attestationDocument, bytes signingPublicKey,
                      bytes tlsCertificate, bytes rootCertificate)
        view returns (bool valid, bytes32 pcrHash)                          0xf7cf40d3
    verifyRSAPSS(bytes publicKeyDER, bytes32 messageHash, bytes signature)
        view returns (bool valid)                                           0x7e26679a

Semantics follow og-evm's `precompiles/tee` (reference §10.1):

- Gas is fixed: 500,000 per attestation, 20,000 per RSA-PSS check, charged once the selector
  is known, before the arguments are decoded.
- Hard errors (a revert with a readable `Error(string)`) only for input under 4 bytes, an
  unknown selector (both cost 0) or arguments that do not ABI-decode. After decoding, every
  validation failure returns `(false, 0x0)` / `false`; nothing reverts.
- Time is the block time (`CallContext.timestamp`): no wall clock, no I/O, so every node and
  every replay of a block gets the same answer.

The verification itself is in `attestation.check_attestation` and `rsa_pss.check_rsa_pss`,
with a reason for each failure; `ogkit.tee.attestation` uses them for off-chain verification,
so the chain and the CLI can never disagree. Arguments are decoded by eth-abi, not
`abi.reader`: og-evm decodes like go-ethereum (padding and trailing bytes unchecked).
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import keccak

from precompiles import gas
from precompiles.guard import PrecompileRevert, run_guarded
from precompiles.host import CallContext, Precompile, PrecompileResult
from precompiles.tee.attestation import check_attestation
from precompiles.tee.certificates import root_certificates
from precompiles.tee.rsa_pss import check_rsa_pss

VERIFY_ATTESTATION_SIGNATURE = "verifyAttestation(bytes,bytes,bytes,bytes)"
VERIFY_RSA_PSS_SIGNATURE = "verifyRSAPSS(bytes,bytes32,bytes)"
VERIFY_ATTESTATION = keccak(text=VERIFY_ATTESTATION_SIGNATURE)[:4]  # 0xf7cf40d3
VERIFY_RSA_PSS = keccak(text=VERIFY_RSA_PSS_SIGNATURE)[:4]  # 0x7e26679a

GAS_VERIFY_ATTESTATION = 500_000
GAS_VERIFY_RSA_PSS = 20_000


def make_tee_verifier(trusted_root_pem: bytes) -> Precompile:
    """Bind 0x900 to the root used when a caller passes an empty `rootCertificate`.

    On og-evm that is the AWS Nitro root; a development chain passes its local dev root.
    A root that does not parse fails here, when the chain is built, not inside a block.
    """
    root_certificates(bytes(trusted_root_pem))

    def tee_verifier(calldata: bytes, context: CallContext) -> PrecompileResult:
        return run(calldata, context, trusted_root_pem)

    return tee_verifier


def run(calldata: bytes, context: CallContext, trusted_root_pem: bytes) -> PrecompileResult:
    meter = gas.GasMeter(context.gas_available)
    return run_guarded(
        "TEEVerifier", meter, lambda: _dispatch(bytes(calldata), context, trusted_root_pem, meter)
    )


def _dispatch(
    calldata: bytes, context: CallContext, trusted_root_pem: bytes, meter: gas.GasMeter
) -> PrecompileResult:
    if len(calldata) < 4:
        raise PrecompileRevert(f"TEEVerifier: input of {len(calldata)} bytes has no selector")
    selector, args = calldata[:4], calldata[4:]
    if selector == VERIFY_ATTESTATION:
        meter.charge(GAS_VERIFY_ATTESTATION)
        document, key, tls_cert, root = _decode(
            ["bytes", "bytes", "bytes", "bytes"], args, "verifyAttestation"
        )
        check = check_attestation(
            document, key, tls_cert, root, context.timestamp, trusted_root_pem=trusted_root_pem
        )
        output = encode(["bool", "bytes32"], [check.valid, check.pcr_hash])
        return PrecompileResult(output, meter.used, reason=check.reason)
    if selector == VERIFY_RSA_PSS:
        meter.charge(GAS_VERIFY_RSA_PSS)
        key, message_hash, signature = _decode(["bytes", "bytes32", "bytes"], args, "verifyRSAPSS")
        verdict = check_rsa_pss(key, message_hash, signature)
        output = encode(["bool"], [verdict.valid])
        return PrecompileResult(output, meter.used, reason=verdict.reason)
    raise PrecompileRevert(f"TEEVerifier: unknown function selector 0x{selector.hex()}")


def _decode(types: list[str], args: bytes, method: str) -> tuple:
    """ABI-decode like go-ethereum: padding and trailing bytes are not checked."""
    try:
        return decode(types, args, strict=False)
    except Exception as exc:  # noqa: BLE001 - eth-abi raises several types, incl. OverflowError
        raise PrecompileRevert(f"TEEVerifier: malformed calldata for {method}: {exc}") from None
