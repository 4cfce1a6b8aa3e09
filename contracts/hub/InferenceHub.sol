// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @title InferenceHub
/// @notice The inference hub of OpenGradient's alpha testnet (0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE),
///         the contract the SDK's `Alpha.infer` calls. Its source is not public; this one has the
///         published ABI (shared/reference/abi/inference.abi.json) and does what that ABI implies:
///         it forwards each request to the OGInference precompile at 0xF4 and re-emits the
///         response, so a receipt holds 0xF4's event and the hub's. A revert of 0xF4 bubbles up
///         unchanged (the precompile's `Error(string)` reason). No storage, no constructor: the
///         local chains put its runtime code at the alpha address from genesis.
///
/// Selectors:
///   0xcbf09d80 run(string,uint8,((string,(int128,int128)[],uint32[])[],(string,string[])[]))
///   0x14800c61 runLLMCompletion(...)   0xe39aa7e7 runLLMChat(...)   (identical to 0xF4's)
contract InferenceHub {
    /// topic0 0xc1396ff68bc2d8630100df29ce5561fa99078c602e8676ab72a53e37095d7168
    event InferenceResult(ModelOutput output);
    /// topic0 0xe522a1a92cb132ca102e36a004efceb8c83284b64164e0d128ddce12e86cab7b
    event LLMCompletionResult(LLMCompletionResponse response);
    /// topic0 0x53fcd580be8545626a896d86eb76e16597d793de715dda5d21df71d303d1ff96
    event LLMChatResult(LLMChatResponse response);

    /// @notice Run model `modelId` on `modelInput` through 0xF4 and emit the output.
    /// @dev A mode outside the enum fails in Solidity's ABI decoder (an empty revert), as it
    ///      would on any contract that takes `ModelInferenceMode`.
    function run(string memory modelId, ModelInferenceMode inferenceMode, ModelInput memory modelInput)
        external
        returns (ModelOutput memory)
    {
        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(inferenceMode, modelId, modelInput)
        );
        emit InferenceResult(output);
        return output;
    }

    /// @notice Forward an LLM completion request to 0xF4 and emit the response.
    function runLLMCompletion(LLMCompletionRequest memory request)
        external
        returns (LLMCompletionResponse memory)
    {
        LLMCompletionResponse memory response = OG_INFERENCE_CONTRACT.runLLMCompletion(request);
        emit LLMCompletionResult(response);
        return response;
    }

    /// @notice Forward an LLM chat request to 0xF4 and emit the response.
    function runLLMChat(LLMChatRequest memory request)
        external
        returns (LLMChatResponse memory)
    {
        LLMChatResponse memory response = OG_INFERENCE_CONTRACT.runLLMChat(request);
        emit LLMChatResult(response);
        return response;
    }
}
