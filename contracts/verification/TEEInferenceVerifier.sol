// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RoleBasedAccess} from "./RoleBasedAccess.sol";
import {ITEEVerifier, TEE_VERIFIER} from "./ITEEVerifier.sol";
import {TEERegistry} from "./TEERegistry.sol";

/// @title TEEInferenceVerifier - checks TEE signatures over inference results
/// @notice og-evm-compatible (interface reference §10.3). A TEE signs
///         keccak256(inputHash ‖ outputHash ‖ uint256 timestamp) with RSA-PSS; this contract
///         checks the TEE is enabled in the registry (no heartbeat check), the timestamp is in
///         [block.timestamp − 1 h, block.timestamp + 5 min], and the signature via 0x900.
///         It never reverts on a bad input: it returns false.
contract TEEInferenceVerifier is RoleBasedAccess {
    ITEEVerifier public constant VERIFIER = TEE_VERIFIER;
    uint256 public constant MAX_INFERENCE_AGE = 1 hours;
    uint256 public constant FUTURE_TOLERANCE = 5 minutes;

    TEERegistry public registry;

    event RegistryUpdated(address indexed oldRegistry, address indexed newRegistry);

    error InvalidRegistryAddress();

    constructor(address _registry) {
        if (_registry == address(0)) revert InvalidRegistryAddress();
        registry = TEERegistry(_registry);
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    function setRegistry(address _registry) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_registry == address(0)) revert InvalidRegistryAddress();
        emit RegistryUpdated(address(registry), _registry);
        registry = TEERegistry(_registry);
    }

    function computeMessageHash(bytes32 inputHash, bytes32 outputHash, uint256 timestamp)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(inputHash, outputHash, timestamp));
    }

    function verifySignature(
        bytes32 teeId,
        bytes32 inputHash,
        bytes32 outputHash,
        uint256 timestamp,
        bytes calldata signature
    ) public view returns (bool) {
        uint256 minTs = block.timestamp > MAX_INFERENCE_AGE ? block.timestamp - MAX_INFERENCE_AGE : 0;
        if (timestamp < minTs || timestamp > block.timestamp + FUTURE_TOLERANCE) return false;
        return _verify(teeId, inputHash, outputHash, timestamp, signature);
    }

    /// @dev The TEE must be enabled; then 0x900 checks the signature with its stored key.
    function _verify(bytes32 teeId, bytes32 inputHash, bytes32 outputHash, uint256 timestamp, bytes calldata signature)
        internal
        view
        returns (bool)
    {
        if (!registry.isTEEEnabled(teeId)) return false;
        bytes memory publicKey = registry.getTEEPublicKey(teeId);
        return VERIFIER.verifyRSAPSS(publicKey, computeMessageHash(inputHash, outputHash, timestamp), signature);
    }
}
