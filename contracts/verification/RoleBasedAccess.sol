// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title RoleBasedAccess - role-based access control with OpenZeppelin 5's AccessControl ABI
/// @notice og-evm's contracts inherit OpenZeppelin's `AccessControl`. ape-solidity compiles a
///         project in an isolated copy of `contracts/`, so an import remapped into
///         `node_modules/` (the OpenZeppelin npm package) is not found; this is our own implementation
///         of the same external interface and semantics: functions (`hasRole`, `getRoleAdmin`,
///         `grantRole`, `revokeRole`, `renounceRole(role, callerConfirmation)`,
///         `supportsInterface`, `DEFAULT_ADMIN_ROLE`), events (`RoleGranted`, `RoleRevoked`,
///         `RoleAdminChanged`) and errors (`AccessControlUnauthorizedAccount`,
///         `AccessControlBadConfirmation`). Every role's admin is DEFAULT_ADMIN_ROLE unless set.
abstract contract RoleBasedAccess {
    bytes32 public constant DEFAULT_ADMIN_ROLE = 0x00;

    /// @dev type(IAccessControl).interfaceId in OpenZeppelin 5 and the ERC-165 id.
    bytes4 private constant _IACCESS_CONTROL_ID = 0x7965db0b;
    bytes4 private constant _IERC165_ID = 0x01ffc9a7;

    struct RoleData {
        mapping(address => bool) hasRole;
        bytes32 adminRole;
    }

    mapping(bytes32 => RoleData) private _roles;

    event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error AccessControlBadConfirmation();

    modifier onlyRole(bytes32 role) {
        _checkRole(role, msg.sender);
        _;
    }

    function supportsInterface(bytes4 interfaceId) public view virtual returns (bool) {
        return interfaceId == _IACCESS_CONTROL_ID || interfaceId == _IERC165_ID;
    }

    function hasRole(bytes32 role, address account) public view virtual returns (bool) {
        return _roles[role].hasRole[account];
    }

    function getRoleAdmin(bytes32 role) public view virtual returns (bytes32) {
        return _roles[role].adminRole;
    }

    function grantRole(bytes32 role, address account) public virtual onlyRole(getRoleAdmin(role)) {
        _grantRole(role, account);
    }

    function revokeRole(bytes32 role, address account) public virtual onlyRole(getRoleAdmin(role)) {
        _revokeRole(role, account);
    }

    /// @notice Give up a role; `callerConfirmation` must be the caller.
    function renounceRole(bytes32 role, address callerConfirmation) public virtual {
        if (callerConfirmation != msg.sender) revert AccessControlBadConfirmation();
        _revokeRole(role, callerConfirmation);
    }

    function _checkRole(bytes32 role, address account) internal view virtual {
        if (!hasRole(role, account)) revert AccessControlUnauthorizedAccount(account, role);
    }

    function _setRoleAdmin(bytes32 role, bytes32 adminRole) internal virtual {
        bytes32 previousAdminRole = getRoleAdmin(role);
        _roles[role].adminRole = adminRole;
        emit RoleAdminChanged(role, previousAdminRole, adminRole);
    }

    function _grantRole(bytes32 role, address account) internal virtual returns (bool) {
        if (hasRole(role, account)) return false;
        _roles[role].hasRole[account] = true;
        emit RoleGranted(role, account, msg.sender);
        return true;
    }

    function _revokeRole(bytes32 role, address account) internal virtual returns (bool) {
        if (!hasRole(role, account)) return false;
        _roles[role].hasRole[account] = false;
        emit RoleRevoked(role, account, msg.sender);
        return true;
    }
}
