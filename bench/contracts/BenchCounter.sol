// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

/// @title BenchCounter (benchmark only)
/// @notice The plain transaction of `bench/run.py` (b): one storage write, one event, no AI.
contract BenchCounter {
    uint256 public count;

    event Incremented(uint256 count);

    function increment() external {
        count += 1;
        emit Incremented(count);
    }
}
