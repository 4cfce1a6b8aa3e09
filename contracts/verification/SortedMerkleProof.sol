// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SortedMerkleProof - OpenZeppelin MerkleProof.verify semantics
/// @notice Sorted-pair hashing: each step hashes keccak256(min(a, b) ‖ max(a, b)), so proofs
///         from OpenZeppelin's StandardMerkleTree (and merkletreejs with sortPairs) verify.
///         Our own copy of the algorithm, since ape-solidity cannot import from node_modules.
library SortedMerkleProof {
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) internal pure returns (bool) {
        return processProof(proof, leaf) == root;
    }

    function processProof(bytes32[] calldata proof, bytes32 leaf) internal pure returns (bytes32 computedHash) {
        computedHash = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            computedHash = _hashPair(computedHash, proof[i]);
        }
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 value) {
        (bytes32 lo, bytes32 hi) = a < b ? (a, b) : (b, a);
        assembly ("memory-safe") {
            mstore(0x00, lo)
            mstore(0x20, hi)
            value := keccak256(0x00, 0x40)
        }
    }
}
