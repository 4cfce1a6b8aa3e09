// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// Written here in the style of contracts built on `opengradient-neuroml` 1.0.x: the LLM is
// called by its 1.0.x names (`LlmInferenceRequest`, `runLLMInference`, `LlmResponse`), model
// ids are `Qm...` and Hugging Face-style names, results are branched on with ternaries.
import "opengradient-neuroml/src/OGInference.sol";

contract NeuroMLConsumer {
    string public modelId;
    string public llmId;
    string public answer;
    TensorLib.Number public forecast;
    bool public lastWasSimulation;

    constructor(string memory _modelId, string memory _llmId) {
        modelId = _modelId;
        llmId = _llmId;
    }

    /// @notice Sends 40 values as one flat tensor to a model whose input is [10, 4].
    function predict(TensorLib.Number[] memory candles) external {
        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1),
            new TensorLib.StringTensor[](0)
        );
        input.numbers[0] = TensorLib.numberTensor1D("open_high_low_close", candles);
        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, modelId, input)
        );
        lastWasSimulation = output.is_simulation_result;
        forecast = output.is_simulation_result
            ? TensorLib.Number(0, 0)
            : output.numbers[0].values[0];
    }

    /// @notice Asks the LLM the 1.0.x way: max_tokens 1000, stop "<end>", prompt ending "<start>".
    function ask(string memory question) external {
        complete(string.concat(question, "\n<start>"));
    }

    /// @notice `prompt` as it is, with the same max_tokens and stop sequence.
    function complete(string memory prompt) public {
        string[] memory stop = new string[](1);
        stop[0] = "<end>";
        LlmInferenceRequest memory request =
            LlmInferenceRequest(LlmInferenceMode.VANILLA, llmId, prompt, 1000, stop, 0);
        LlmResponse memory response = OG_INFERENCE_CONTRACT.runLLMInference(request);
        answer = response.answer;
    }
}
