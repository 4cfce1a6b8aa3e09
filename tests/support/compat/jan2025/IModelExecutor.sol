// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @notice What the scheduler calls (January 2025 templates).
interface IModelExecutor {
    function run() external;

    function getInferenceResult() external view returns (ModelOutput memory);
}
