// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @title ScheduledDemoRunner (test only)
/// @notice An IModelExecutor for the scheduler tests: each `run()` calls 0xF4 with the
///         `upstream_demo` model on input [n, 1] (n = the run's number, from 1), so run n's
///         output is 2n - 0.25, and keeps every ModelOutput, the block time and the caller.
contract ScheduledDemoRunner {
    event InferenceResultEmitted(address indexed caller, ModelOutput result);

    string public modelId;
    uint256[] public runTimes;
    address public lastCaller;
    bytes[] private _outputs; // abi.encode(ModelOutput) of each run, oldest first

    constructor(string memory _modelId) {
        modelId = _modelId;
    }

    /// IModelExecutor.run() (selector 0xc0406226)
    function run() external {
        TensorLib.Number[] memory xs = new TensorLib.Number[](2);
        xs[0] = TensorLib.Number(int128(int256(_outputs.length + 1)), 0);
        xs[1] = TensorLib.Number(1, 0);
        ModelInput memory input =
            ModelInput(new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0));
        input.numbers[0] = TensorLib.numberTensor1D("input", xs);
        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, modelId, input)
        );
        _outputs.push(abi.encode(output));
        runTimes.push(block.timestamp);
        lastCaller = msg.sender;
        emit InferenceResultEmitted(msg.sender, output);
    }

    /// IModelExecutor.getInferenceResult() (selector 0x1b9fc701): the latest output.
    function getInferenceResult() external view returns (ModelOutput memory) {
        require(_outputs.length > 0, "ScheduledDemoRunner: not run yet");
        return abi.decode(_outputs[_outputs.length - 1], (ModelOutput));
    }

    function runCount() external view returns (uint256) {
        return _outputs.length;
    }

    /// @notice Every output so far, oldest first.
    function history() external view returns (ModelOutput[] memory all) {
        all = new ModelOutput[](_outputs.length);
        for (uint256 i = 0; i < all.length; i++) {
            all[i] = abi.decode(_outputs[i], (ModelOutput));
        }
    }
}

/// @notice No `run()`: the scheduler must refuse it.
contract NotAnExecutor {
    function ping() external pure returns (uint256) {
        return 1;
    }
}
