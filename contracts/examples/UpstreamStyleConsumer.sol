// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// Written the way OpenGradient's own examples are, and kept that way on purpose: it proves
// that a contract targeting the real network compiles here unchanged (ape-config.yaml remaps
// `opengradient-neuroml/src/` to `contracts/opengradient/`).
import "opengradient-neuroml/src/OGInference.sol";

/// @title UpstreamStyleConsumer
/// @notice Runs a model on a fixed two-number input in ZK mode and stores the first output.
/// @dev The model must take a number tensor `input` of shape [2] and return at least one
///      number tensor. Like upstream's example this `require`s a non-simulation result; on
///      OpenGradient's two-pass network that revert happens in the simulation pass, so
///      prefer the branching style of the other examples for real contracts.
contract UpstreamStyleConsumer {
    string public modelCID;
    TensorLib.Number public resultNumber;

    constructor(string memory cid) {
        modelCID = cid;
    }

    function runZkmlModel() public {
        TensorLib.Number[] memory numbers = new TensorLib.Number[](2);
        numbers[0] = TensorLib.Number(7286679744720459, 17); // 0.07286679744720459
        numbers[1] = TensorLib.Number(4486280852050781, 16); // 0.4486280852050781

        ModelInput memory modelInput = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1),
            new TensorLib.StringTensor[](0)
        );
        modelInput.numbers[0] = TensorLib.numberTensor1D("input", numbers);

        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(ModelInferenceMode.ZK, modelCID, modelInput)
        );

        require(output.is_simulation_result == false, "simulation result");
        resultNumber = output.numbers[0].values[0];
    }
}
