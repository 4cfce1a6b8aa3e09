// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RoleBasedAccess} from "./RoleBasedAccess.sol";
import {SortedMerkleProof} from "./SortedMerkleProof.sol";
import {TEEInferenceVerifier} from "./TEEInferenceVerifier.sol";

/// @title InferenceSettlementRelay - settlement events for TEE inference results
/// @notice og-evm-compatible (interface reference §10.4): same functions, selectors, events
///         and role. `settleIndividual` emits only for a signature the verifier accepts;
///         `batchSettle` records a Merkle root (an OpenZeppelin StandardMerkleTree over
///         (teeId, inputHash, outputHash, signature, timestamp)) and verifies nothing.
///
///         Our addition (not in og-evm): `settleIndividual` rejects a replay. Each settled
///         message hash keccak256(inputHash ‖ outputHash ‖ timestamp) is recorded and a
///         second settlement of it reverts "Already settled"; `isSettled` reads the record.
contract InferenceSettlementRelay is RoleBasedAccess {
    bytes32 public constant SETTLEMENT_RELAY_ROLE = keccak256("SETTLEMENT_RELAY_ROLE");

    TEEInferenceVerifier public immutable SETTLEMENT_CONTRACT;

    /// @notice Message hashes already settled individually (our replay guard).
    mapping(bytes32 => bool) public settled;

    event BatchSettlement(bytes32 indexed merkleRoot, uint256 batchSize, bytes walrusBlobId);

    event IndividualSettlement(
        bytes32 indexed teeId,
        address indexed ethAddress,
        bytes32 inputHash,
        bytes32 outputHash,
        uint256 timestamp,
        bytes walrusBlobId,
        bytes signature
    );

    constructor(address _settlement_contract) {
        require(_settlement_contract != address(0), "Invalid settlement contract");
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(SETTLEMENT_RELAY_ROLE, msg.sender);
        SETTLEMENT_CONTRACT = TEEInferenceVerifier(_settlement_contract);
    }

    function batchSettle(bytes32 _merkleRoot, uint256 _batchSize, bytes calldata _walrusBlobId)
        external
        onlyRole(SETTLEMENT_RELAY_ROLE)
    {
        emit BatchSettlement(_merkleRoot, _batchSize, _walrusBlobId);
    }

    function settleIndividual(
        bytes32 _teeId,
        bytes32 _inputHash,
        bytes32 _outputHash,
        uint256 _timestamp,
        address _ethAddress,
        bytes calldata _walrusBlobId,
        bytes calldata _signature
    ) external onlyRole(SETTLEMENT_RELAY_ROLE) {
        require(
            SETTLEMENT_CONTRACT.verifySignature(_teeId, _inputHash, _outputHash, _timestamp, _signature),
            "Invalid signature"
        );
        bytes32 messageHash = keccak256(abi.encodePacked(_inputHash, _outputHash, _timestamp));
        require(!settled[messageHash], "Already settled");
        settled[messageHash] = true;
        emit IndividualSettlement(
            _teeId, _ethAddress, _inputHash, _outputHash, _timestamp, _walrusBlobId, _signature
        );
    }

    /// @notice Whether a result was settled individually here (our addition).
    function isSettled(bytes32 _inputHash, bytes32 _outputHash, uint256 _timestamp) external view returns (bool) {
        return settled[keccak256(abi.encodePacked(_inputHash, _outputHash, _timestamp))];
    }

    /// @notice OpenZeppelin MerkleProof.verify (sorted-pair hashing).
    function verifyProof(bytes32[] calldata _proof, bytes32 _root, bytes32 _leaf) external pure returns (bool) {
        return SortedMerkleProof.verify(_proof, _root, _leaf);
    }
}
