// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IPermit2} from "./IPermit2.sol";

interface IERC20PermitLike {
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;
}

/// @title X402UptoPermit2Proxy - settles x402 `upto` payments: at most the signed cap, to the
///        signed recipient, sent only by the signed facilitator
/// @notice The Permit2 spender the x402 `upto` client signs for, with the ABI x402 facilitators
///         call (`settle`, `settleWithPermit`) and the witness OpenGradient's SDK signs:
///         Witness(address to, address facilitator, uint256 validAfter). Genesis places it at
///         the canonical address 0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002 of the local payment
///         chain; Permit2 is at its canonical address, so nothing is initialized. Error names
///         are those x402 facilitators map to reasons (AmountExceedsPermitted, ...).
contract X402UptoPermit2Proxy {
    IPermit2 public constant PERMIT2 = IPermit2(0x000000000022D473030F116dDEE9F6B43aC78BA3);

    /// @notice Completes Permit2's "PermitWitnessTransferFrom(TokenPermissions permitted,
    ///         address spender,uint256 nonce,uint256 deadline," with our witness (types in
    ///         alphabetical order after the primary type, as EIP-712 requires).
    string public constant WITNESS_TYPE_STRING =
        "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,address facilitator,uint256 validAfter)";
    bytes32 public constant WITNESS_TYPEHASH = keccak256("Witness(address to,address facilitator,uint256 validAfter)");

    struct Witness {
        address to;
        address facilitator;
        uint256 validAfter;
    }

    struct EIP2612Permit {
        uint256 value;
        uint256 deadline;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    event Settled();
    event SettledWithPermit();

    error InvalidAmount();
    error AmountExceedsPermitted();
    error UnauthorizedFacilitator();
    error InvalidOwner();
    error InvalidDestination();
    error PaymentTooEarly();
    error Permit2612AmountMismatch();
    error Reentrancy();

    uint256 private _entered;

    modifier nonReentrant() {
        if (_entered != 0) revert Reentrancy();
        _entered = 1;
        _;
        _entered = 0;
    }

    /// @notice Move `amount` (<= the signed cap) from `owner` to `witness.to` through Permit2.
    function settle(
        IPermit2.PermitTransferFrom calldata permit,
        uint256 amount,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external nonReentrant {
        _settle(permit, amount, owner, witness, signature);
        emit Settled();
    }

    /// @notice The same, first approving Permit2 with the owner's EIP-2612 permit (gas
    ///         sponsoring). A failed permit is ignored: the approval may already exist.
    function settleWithPermit(
        EIP2612Permit calldata permit2612,
        IPermit2.PermitTransferFrom calldata permit,
        uint256 amount,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external nonReentrant {
        if (permit2612.value != permit.permitted.amount) revert Permit2612AmountMismatch();
        try IERC20PermitLike(permit.permitted.token).permit(
            owner, address(PERMIT2), permit2612.value, permit2612.deadline, permit2612.v, permit2612.r, permit2612.s
        ) {} catch {}
        _settle(permit, amount, owner, witness, signature);
        emit SettledWithPermit();
    }

    function _settle(
        IPermit2.PermitTransferFrom calldata permit,
        uint256 amount,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) private {
        if (amount == 0) revert InvalidAmount();
        if (amount > permit.permitted.amount) revert AmountExceedsPermitted();
        if (msg.sender != witness.facilitator) revert UnauthorizedFacilitator();
        if (owner == address(0)) revert InvalidOwner();
        if (witness.to == address(0)) revert InvalidDestination();
        if (block.timestamp < witness.validAfter) revert PaymentTooEarly();
        bytes32 witnessHash = keccak256(abi.encode(WITNESS_TYPEHASH, witness.to, witness.facilitator, witness.validAfter));
        PERMIT2.permitWitnessTransferFrom(
            permit,
            IPermit2.SignatureTransferDetails({to: witness.to, requestedAmount: amount}),
            owner,
            witnessHash,
            WITNESS_TYPE_STRING,
            signature
        );
    }
}
