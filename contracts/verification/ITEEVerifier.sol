// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ITEEVerifier - og-evm's TEE verifier precompile at 0x…0900
/// @notice On our chain it is `precompiles/tee_verifier.py`. Validation failures return
///         `(false, 0x0)` / `false`; nothing reverts after the arguments decode.
interface ITEEVerifier {
    /// @notice Verify an AWS Nitro attestation document (COSE_Sign1) that binds
    ///         `signingPublicKey` and `tlsCertificate` through its user_data, chained to
    ///         `rootCertificate` (PEM; empty = the chain's built-in root).
    /// @return valid whether every check passed
    /// @return pcrHash keccak256(pcr0 ‖ pcr1 ‖ pcr2) when valid
    function verifyAttestation(
        bytes calldata attestationDocument,
        bytes calldata signingPublicKey,
        bytes calldata tlsCertificate,
        bytes calldata rootCertificate
    ) external view returns (bool valid, bytes32 pcrHash);

    /// @notice RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over the 32-byte `messageHash`,
    ///         with a SubjectPublicKeyInfo DER key.
    function verifyRSAPSS(bytes calldata publicKeyDER, bytes32 messageHash, bytes calldata signature)
        external
        view
        returns (bool valid);
}

ITEEVerifier constant TEE_VERIFIER = ITEEVerifier(0x0000000000000000000000000000000000000900);
