// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TEEInferenceVerifier} from "./TEEInferenceVerifier.sol";

/// @title TEEBatchVerifier - TEEInferenceVerifier plus a check without the time window
/// @notice For results settled in batches long after they were signed (reference §10.3).
contract TEEBatchVerifier is TEEInferenceVerifier {
    constructor(address _registry) TEEInferenceVerifier(_registry) {}

    /// @notice `verifySignature` without the timestamp window: the TEE must be enabled and
    ///         the signature valid over keccak256(inputHash ‖ outputHash ‖ timestamp).
    function verifySignatureNoTimestamp(
        bytes32 teeId,
        bytes32 inputHash,
        bytes32 outputHash,
        uint256 timestamp,
        bytes calldata signature
    ) external view returns (bool) {
        return _verify(teeId, inputHash, outputHash, timestamp, signature);
    }
}
