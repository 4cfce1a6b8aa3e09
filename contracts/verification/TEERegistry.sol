// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RoleBasedAccess} from "./RoleBasedAccess.sol";
import {ITEEVerifier, TEE_VERIFIER} from "./ITEEVerifier.sol";

/// @title TEERegistry - og-evm-compatible registry of attested TEE nodes
/// @notice Same functions, selectors, events and roles as og-evm's `TEERegistry`
///         (interface reference §10.2). `TEEInfo` is the layout of OpenGradient's SDK ABI
///         (`TEERegistry.abi.json`): og-evm's ten fields with `ohttpConfig` appended, so
///         `getTEE` / `getActiveTEEs` decode byte for byte with the SDK. This registry has no
///         OHTTP registration path: `ohttpConfig` is always zero-valued here.
///
///  Flow: an admin adds TEE types, approves PCR sets per type and stores the attestation
///  root (`setAWSRootCertificate`, a PEM: the AWS Nitro root on a real chain, the dev root on
///  a development chain). A `TEE_OPERATOR` registers a TEE with a Nitro attestation document
///  that 0x900 verifies against that root and that binds the signing key and TLS
///  certificate; its PCR hash must be approved for the type. The TEE then proves liveness
///  with RSA-PSS-signed heartbeats. Revoking a PCR disables that type's TEEs running it.
contract TEERegistry is RoleBasedAccess {
    // ============ Constants ============

    bytes32 public constant TEE_OPERATOR = keccak256("TEE_OPERATOR");
    ITEEVerifier public constant VERIFIER = TEE_VERIFIER;

    // ============ Structs ============

    struct PCRMeasurements {
        bytes pcr0;
        bytes pcr1;
        bytes pcr2;
    }

    struct ApprovedPCR {
        bool active;
        uint8 teeType;
        uint256 approvedAt;
        string version;
    }

    struct PCRKey {
        bytes32 pcrHash;
        uint8 teeType;
    }

    struct TEETypeInfo {
        string name;
        bool active;
        uint256 addedAt;
    }

    /// @notice OHTTP key configuration, as in the SDK ABI. Always zero in this registry.
    struct OHTTPConfig {
        uint8 keyId;
        uint16 kemId;
        uint16 kdfId;
        uint16 aeadId;
        bytes publicKey;
        bytes keyConfig;
        uint256 registeredAt;
    }

    struct TEEInfo {
        address owner;
        address paymentAddress;
        string endpoint;
        bytes publicKey;
        bytes tlsCertificate;
        bytes32 pcrHash;
        uint8 teeType;
        bool enabled;
        uint256 registeredAt;
        uint256 lastHeartbeatAt;
        OHTTPConfig ohttpConfig;
    }

    // ============ Storage ============

    /// @notice Root certificate (PEM) passed to 0x900; empty means the chain's built-in root.
    bytes public awsRootCertificate;
    /// @notice Max age of a heartbeat's signed timestamp, and of the last heartbeat for a TEE
    ///         to count as active.
    uint256 public heartbeatMaxAge = 1800;

    mapping(uint8 => TEETypeInfo) public teeTypes;
    uint8[] private _teeTypeList;

    /// @notice teeType => pcrHash => approval
    mapping(uint8 => mapping(bytes32 => ApprovedPCR)) public approvedPCRs;
    PCRKey[] private _pcrList;

    mapping(bytes32 => TEEInfo) private _tees;
    mapping(uint8 => bytes32[]) private _enabledTEEList;
    mapping(uint8 => mapping(bytes32 => uint256)) private _enabledTEEIndex;
    mapping(uint8 => bytes32[]) private _teesByType;
    mapping(address => bytes32[]) private _teesByOwner;

    // ============ Events ============

    event TEETypeAdded(uint8 indexed typeId, string name);
    event PCRApproved(bytes32 indexed pcrHash, uint8 indexed teeType, string version);
    event PCRRevoked(bytes32 indexed pcrHash, uint8 indexed teeType);
    event TEERegistered(bytes32 indexed teeId, address indexed owner, uint8 teeType);
    event TEEDisabled(bytes32 indexed teeId);
    event TEEEnabled(bytes32 indexed teeId);
    event AWSCertificateUpdated(bytes32 indexed certHash);
    event HeartbeatReceived(bytes32 indexed teeId, uint256 timestamp);

    // ============ Errors ============

    error TEETypeExists();
    error InvalidTEEType();
    error PCRNotApproved();
    error TEEAlreadyExists();
    error TEENotFound();
    error TEENotEnabled();
    error NotTEEOwner();
    error AttestationInvalid(string reason);
    error HeartbeatSignatureInvalid();
    error HeartbeatTimestampTooOld();
    error HeartbeatTimestampInFuture();

    modifier onlyTEEOwnerOrAdmin(bytes32 teeId) {
        TEEInfo storage tee = _tees[teeId];
        if (tee.registeredAt == 0) revert TEENotFound();
        bool isAdmin = hasRole(DEFAULT_ADMIN_ROLE, msg.sender);
        bool isOwnerOperator = tee.owner == msg.sender && hasRole(TEE_OPERATOR, msg.sender);
        if (!isAdmin && !isOwnerOperator) revert NotTEEOwner();
        _;
    }

    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(TEE_OPERATOR, msg.sender);
    }

    // ============ Admin ============

    function setAWSRootCertificate(bytes calldata certificate) external onlyRole(DEFAULT_ADMIN_ROLE) {
        awsRootCertificate = certificate;
        emit AWSCertificateUpdated(keccak256(certificate));
    }

    function addTEEType(uint8 typeId, string calldata name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (teeTypes[typeId].addedAt != 0) revert TEETypeExists();
        teeTypes[typeId] = TEETypeInfo({name: name, active: true, addedAt: block.timestamp});
        _teeTypeList.push(typeId);
        emit TEETypeAdded(typeId, name);
    }

    function isValidTEEType(uint8 typeId) public view returns (bool) {
        return teeTypes[typeId].active;
    }

    function getTEETypes() external view returns (uint8[] memory typeIds, TEETypeInfo[] memory infos) {
        typeIds = _teeTypeList;
        infos = new TEETypeInfo[](typeIds.length);
        for (uint256 i = 0; i < typeIds.length; i++) {
            infos[i] = teeTypes[typeIds[i]];
        }
    }

    function setHeartbeatMaxAge(uint256 maxAge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        heartbeatMaxAge = maxAge;
    }

    // ============ PCRs ============

    /// @notice Approve PCR0–2 of an enclave image for a TEE type.
    function approvePCR(PCRMeasurements calldata pcrs, string calldata version, uint8 teeType)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (!isValidTEEType(teeType)) revert InvalidTEEType();
        bytes32 pcrHash = computePCRHash(pcrs);
        bool isNew = approvedPCRs[teeType][pcrHash].approvedAt == 0;
        approvedPCRs[teeType][pcrHash] =
            ApprovedPCR({active: true, teeType: teeType, approvedAt: block.timestamp, version: version});
        if (isNew) _pcrList.push(PCRKey({pcrHash: pcrHash, teeType: teeType}));
        emit PCRApproved(pcrHash, teeType, version);
    }

    /// @notice Revoke a PCR for a type and disable, at once, that type's enabled TEEs on it.
    function revokePCR(bytes32 pcrHash, uint8 teeType) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!isPCRApproved(teeType, pcrHash)) revert PCRNotApproved();
        approvedPCRs[teeType][pcrHash].active = false;
        bytes32[] storage list = _enabledTEEList[teeType];
        for (uint256 i = list.length; i > 0; i--) {
            bytes32 teeId = list[i - 1];
            if (_tees[teeId].pcrHash == pcrHash) {
                _tees[teeId].enabled = false;
                _removeFromEnabledList(teeId, teeType);
                emit TEEDisabled(teeId);
            }
        }
        emit PCRRevoked(pcrHash, teeType);
    }

    function isPCRApproved(uint8 teeType, bytes32 pcrHash) public view returns (bool) {
        return approvedPCRs[teeType][pcrHash].active;
    }

    function computePCRHash(PCRMeasurements calldata pcrs) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(pcrs.pcr0, pcrs.pcr1, pcrs.pcr2));
    }

    /// @notice The (pcrHash, teeType) pairs approved now.
    function getApprovedPCRs() external view returns (PCRKey[] memory result) {
        uint256 count = 0;
        for (uint256 i = 0; i < _pcrList.length; i++) {
            if (isPCRApproved(_pcrList[i].teeType, _pcrList[i].pcrHash)) count++;
        }
        result = new PCRKey[](count);
        uint256 j = 0;
        for (uint256 i = 0; i < _pcrList.length; i++) {
            if (isPCRApproved(_pcrList[i].teeType, _pcrList[i].pcrHash)) result[j++] = _pcrList[i];
        }
    }

    // ============ Registration ============

    /// @notice Register a TEE from its Nitro attestation document; the caller becomes owner.
    /// @return teeId keccak256(signingPublicKey)
    function registerTEEWithAttestation(
        bytes calldata attestationDocument,
        bytes calldata signingPublicKey,
        bytes calldata tlsCertificate,
        address paymentAddress,
        string calldata endpoint,
        uint8 teeType
    ) external onlyRole(TEE_OPERATOR) returns (bytes32 teeId) {
        if (!isValidTEEType(teeType)) revert InvalidTEEType();
        teeId = keccak256(signingPublicKey);
        if (_tees[teeId].registeredAt != 0) revert TEEAlreadyExists();

        (bool valid, bytes32 pcrHash) =
            VERIFIER.verifyAttestation(attestationDocument, signingPublicKey, tlsCertificate, awsRootCertificate);
        if (!valid) revert AttestationInvalid("Attestation document verification failed");
        if (!isPCRApproved(teeType, pcrHash)) revert PCRNotApproved();

        TEEInfo storage tee = _tees[teeId];
        tee.owner = msg.sender;
        tee.paymentAddress = paymentAddress;
        tee.endpoint = endpoint;
        tee.publicKey = signingPublicKey;
        tee.tlsCertificate = tlsCertificate;
        tee.pcrHash = pcrHash;
        tee.teeType = teeType;
        tee.enabled = true;
        tee.registeredAt = block.timestamp;
        tee.lastHeartbeatAt = block.timestamp;

        _addToEnabledList(teeId, teeType);
        _teesByType[teeType].push(teeId);
        _teesByOwner[msg.sender].push(teeId);
        emit TEERegistered(teeId, msg.sender, teeType);
    }

    function disableTEE(bytes32 teeId) external onlyTEEOwnerOrAdmin(teeId) {
        TEEInfo storage tee = _tees[teeId];
        if (!tee.enabled) revert TEENotEnabled();
        tee.enabled = false;
        _removeFromEnabledList(teeId, tee.teeType);
        emit TEEDisabled(teeId);
    }

    /// @notice Re-enable a TEE; its PCR must still be approved for its type.
    function enableTEE(bytes32 teeId) external onlyTEEOwnerOrAdmin(teeId) {
        TEEInfo storage tee = _tees[teeId];
        if (tee.enabled) return;
        if (!isPCRApproved(tee.teeType, tee.pcrHash)) revert PCRNotApproved();
        tee.enabled = true;
        _addToEnabledList(teeId, tee.teeType);
        emit TEEEnabled(teeId);
    }

    // ============ Heartbeat ============

    /// @notice Liveness proof; anyone may relay it. The signature is RSA-PSS-SHA256 by the
    ///         TEE's key over keccak256(abi.encodePacked(teeId, timestamp)).
    function heartbeat(bytes32 teeId, uint256 timestamp, bytes calldata signature) external {
        TEEInfo storage tee = _tees[teeId];
        if (tee.registeredAt == 0) revert TEENotFound();
        if (!tee.enabled) revert TEENotEnabled();
        if (timestamp > block.timestamp) revert HeartbeatTimestampInFuture();
        if (block.timestamp - timestamp > heartbeatMaxAge) revert HeartbeatTimestampTooOld();
        bytes32 messageHash = keccak256(abi.encodePacked(teeId, timestamp));
        if (!VERIFIER.verifyRSAPSS(tee.publicKey, messageHash, signature)) revert HeartbeatSignatureInvalid();
        tee.lastHeartbeatAt = block.timestamp;
        emit HeartbeatReceived(teeId, timestamp);
    }

    // ============ Queries ============

    function getTEE(bytes32 teeId) external view returns (TEEInfo memory) {
        if (_tees[teeId].registeredAt == 0) revert TEENotFound();
        return _tees[teeId];
    }

    /// @notice Enabled TEEs of a type (no PCR or heartbeat check).
    function getEnabledTEEs(uint8 teeType) external view returns (bytes32[] memory) {
        return _enabledTEEList[teeType];
    }

    /// @notice TEEs of a type that are enabled, on an approved PCR and with a fresh heartbeat.
    function getActiveTEEs(uint8 teeType) external view returns (TEEInfo[] memory) {
        bytes32[] storage list = _enabledTEEList[teeType];
        uint256 count = 0;
        for (uint256 i = 0; i < list.length; i++) {
            if (_isTEEActive(_tees[list[i]])) count++;
        }
        TEEInfo[] memory result = new TEEInfo[](count);
        uint256 j = 0;
        for (uint256 i = 0; i < list.length; i++) {
            if (_isTEEActive(_tees[list[i]])) result[j++] = _tees[list[i]];
        }
        return result;
    }

    function getTEEsByType(uint8 teeType) external view returns (bytes32[] memory) {
        return _teesByType[teeType];
    }

    function getTEEsByOwner(address owner) external view returns (bytes32[] memory) {
        return _teesByOwner[owner];
    }

    function isTEEEnabled(bytes32 teeId) external view returns (bool) {
        return _tees[teeId].enabled;
    }

    function isTEEActive(bytes32 teeId) external view returns (bool) {
        return _isTEEActive(_tees[teeId]);
    }

    function getTEEPublicKey(bytes32 teeId) external view returns (bytes memory) {
        return _tees[teeId].publicKey;
    }

    function computeTEEId(bytes calldata publicKey) external pure returns (bytes32) {
        return keccak256(publicKey);
    }

    // ============ Internals ============

    function _isTEEActive(TEEInfo storage tee) private view returns (bool) {
        if (!tee.enabled) return false;
        if (block.timestamp - tee.lastHeartbeatAt > heartbeatMaxAge) return false;
        return isPCRApproved(tee.teeType, tee.pcrHash);
    }

    function _addToEnabledList(bytes32 teeId, uint8 teeType) private {
        _enabledTEEIndex[teeType][teeId] = _enabledTEEList[teeType].length;
        _enabledTEEList[teeType].push(teeId);
    }

    function _removeFromEnabledList(bytes32 teeId, uint8 teeType) private {
        bytes32[] storage list = _enabledTEEList[teeType];
        uint256 index = _enabledTEEIndex[teeType][teeId];
        uint256 lastIndex = list.length - 1;
        if (index != lastIndex) {
            bytes32 lastTeeId = list[lastIndex];
            list[index] = lastTeeId;
            _enabledTEEIndex[teeType][lastTeeId] = index;
        }
        list.pop();
        delete _enabledTEEIndex[teeType][teeId];
    }
}
