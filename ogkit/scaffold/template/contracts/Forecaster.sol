// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "opengradient-neuroml/src/OGInference.sol";

/// Forecasts the next price from the last four with an ONNX model, inside the transaction.
contract Forecaster {
    string public modelId;
    int128 public value;
    int128 public decimals;

    constructor(string memory modelId_) {
        modelId = modelId_;   // a name in the local store, or the model's CID on alpha
    }

    function forecast(TensorLib.Number[] memory prices) external {
        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0));
        input.numbers[0] = TensorLib.numberTensor1D("prices", prices);
        ModelOutput memory out = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, modelId, input));
        if (out.is_simulation_result) return;   // alpha's simulation pass carries no values
        value = out.numbers[0].values[0].value;
        decimals = out.numbers[0].values[0].decimals;
    }
}
