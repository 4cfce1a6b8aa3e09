// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RoleBasedAccess} from "./RoleBasedAccess.sol";

/// @notice What EZKL's generated `Halo2Verifier` exposes (it reverts or returns false on a
///         bad proof).
interface IHalo2Verifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool);
}

/// @title ZkInferenceSettlement - settles ZK-mode inferences with their EZKL proofs
/// @notice The admin registers one EZKL Halo2 verifier per model hash (sha256 of the ONNX
///         file, as in the inference records); the relay submits a proof with its public
///         instances (the model's outputs in fixed point) and this contract settles the
///         inference only if that model's verifier accepts it, once per inference id.
/// @dev    What the chain can check is "this proof is valid for this model's circuit with
///         these public outputs". That the inference id, input and output hashes belong to
///         that proof is the relay's off-chain check (against the 0xF4 ModelInferenceEvent);
///         the ZkSettlement event carries everything a third party needs to repeat it,
///         including keccak256 of the instances.
contract ZkInferenceSettlement is RoleBasedAccess {
    bytes32 public constant SETTLEMENT_RELAY_ROLE = keccak256("SETTLEMENT_RELAY_ROLE");

    /// @notice The verifier registered for each model hash.
    mapping(bytes32 => address) public verifiers;

    /// @notice Inference ids settled so far (the replay guard).
    mapping(bytes32 => bool) public settled;

    event VerifierSet(bytes32 indexed modelHash, address indexed verifier);

    event ZkSettlement(
        bytes32 indexed inferenceId,
        bytes32 indexed modelHash,
        address indexed verifier,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 instancesHash,
        uint256[] instances,
        bytes32 proofHash
    );

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(SETTLEMENT_RELAY_ROLE, msg.sender);
    }

    /// @notice Register (or replace) the verifier for a model; address(0) unregisters it.
    function setVerifier(bytes32 modelHash, address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(verifier == address(0) || verifier.code.length > 0, "Verifier has no code");
        verifiers[modelHash] = verifier;
        emit VerifierSet(modelHash, verifier);
    }

    function settleProof(
        bytes32 inferenceId,
        bytes32 modelHash,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes calldata proof,
        uint256[] calldata instances
    ) external onlyRole(SETTLEMENT_RELAY_ROLE) {
        address verifier = verifiers[modelHash];
        require(verifier != address(0), "No verifier for model");
        require(!settled[inferenceId], "Already settled");
        require(_verifies(verifier, proof, instances), "Invalid proof");
        settled[inferenceId] = true;
        emit ZkSettlement(
            inferenceId,
            modelHash,
            verifier,
            inputHash,
            outputHash,
            keccak256(abi.encodePacked(instances)),
            instances,
            keccak256(proof)
        );
    }

    /// @dev A reverting verifier (what EZKL's does on most bad proofs) counts as "invalid",
    ///      so every rejection surfaces as one readable reason.
    function _verifies(address verifier, bytes calldata proof, uint256[] calldata instances)
        private
        returns (bool)
    {
        (bool ok, bytes memory ret) =
            verifier.call(abi.encodeCall(IHalo2Verifier.verifyProof, (proof, instances)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }
}
