// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IPermit2 - the part of Uniswap's Permit2 the x402 payment path uses
/// @notice Permit2 itself is Uniswap's precompiled runtime (MIT), placed by genesis at its
///         canonical address (ogkit/contracts/artifacts/Permit2.json); this interface is ours,
///         written from Permit2's documented ABI (SignatureTransfer + AllowanceTransfer reads).
interface IPermit2 {
    struct TokenPermissions {
        address token;
        uint256 amount;
    }

    struct PermitTransferFrom {
        TokenPermissions permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct SignatureTransferDetails {
        address to;
        uint256 requestedAmount;
    }

    /// @notice Transfer with a signed permit whose EIP-712 message includes a witness
    ///         (`witness` is its struct hash; `witnessTypeString` completes the type string).
    function permitWitnessTransferFrom(
        PermitTransferFrom calldata permit,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external;

    /// @notice Unordered nonces: bit `nonce & 0xff` of word `nonce >> 8` is set once used.
    function nonceBitmap(address owner, uint256 wordPos) external view returns (uint256);

    /// @notice Burn nonces: sets the bits of `mask` in word `wordPos` of the caller.
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external;

    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice AllowanceTransfer's per-spender allowance (amount, expiration, nonce).
    function allowance(address owner, address token, address spender)
        external
        view
        returns (uint160 amount, uint48 expiration, uint48 nonce);
}
