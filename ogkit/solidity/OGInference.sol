// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// OGInference: the interface of OpenGradient's AI-inference precompile at 0xF4.
//
// Written for ape-opengradient to be ABI-identical to OpenGradient's published interface
// (npm/foundry `opengradient-neuroml`, `src/OGInference.sol`). Contracts written for
// OpenGradient compile unchanged here: `opengradient-neuroml/src/` is remapped to
// `ogkit/solidity/` (this folder), so `import "opengradient-neuroml/src/OGInference.sol";` resolves
// to this file.
//
// Byte-level truth: shared/reference/abi/InferencePrecompile.abi.json, checked by
// tests/test_solidity_abi.py. Do not reorder struct fields or enum members: the ABI depends
// on both.
//
// Selectors:
//   0x7289e9c2 runModelInference((uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[])))
//   0x14800c61 runLLMCompletion((uint8,string,string,uint32,string[],uint32))
//   0xe39aa7e7 runLLMChat((uint8,string,(string,string,string,string,(string,string,string)[])[],(string,string,string)[],string,uint32,string[],uint32))
//   0xea3dd516 runLLMInference((uint8,string,string,uint32,string[],uint32))
//              the 1.0.x name of runLLMCompletion (same request tuple, same answer), kept so
//              contracts written against `opengradient-neuroml` 1.0.x compile and run here
//
// Importing this file also imports `TensorLib` (a plain `import "x";` brings in everything
// "x" imported), so consumers see the same names as with upstream's single file.

import "./TensorLib.sol";

// ------------------------------------------------------------------------ addresses

// Address of the OGInference precompile.
address constant OG_INFERENCE_ADDRESS = 0x00000000000000000000000000000000000000F4;

// The precompile, ready to call: `OG_INFERENCE_CONTRACT.runModelInference(...)`.
OGInference constant OG_INFERENCE_CONTRACT = OGInference(OG_INFERENCE_ADDRESS);

// ------------------------------------------------------------------------ model inference

/// @notice How a model inference is run and verified. VANILLA: unverified; ZK: proof-verified
///         (ZKML); TEE: attested by a trusted execution environment.
enum ModelInferenceMode {
    VANILLA,
    ZK,
    TEE
}

/// @notice Model inputs; each tensor's `name` is the ONNX input name.
struct ModelInput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
}

/// @notice A request to run the model `modelCID` on `input`.
struct ModelInferenceRequest {
    ModelInferenceMode mode;
    string modelCID;
    ModelInput input;
}

/// @notice Model outputs, grouped by kind; each tensor's `name` is the ONNX output name and
///         each kind keeps the model's output order.
/// @dev `is_simulation_result` is true (and the tensors empty) during the network's
///      simulation pass, which is never committed. Branch on it and return a sensible
///      default instead of reverting, or the transaction never gets its real result.
struct ModelOutput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
    TensorLib.JsonScalar[] jsons;
    bool is_simulation_result;
}

// ------------------------------------------------------------------------ LLM inference

/// @notice How an LLM call is run: VANILLA (unverified) or TEE (attested).
enum LLMInferenceMode {
    VANILLA,
    TEE
}

/// @notice A text-completion request. `temperature` is temperature x 100 (0-100).
struct LLMCompletionRequest {
    LLMInferenceMode mode;
    string modelCID;
    string prompt;
    uint32 max_tokens;
    string[] stop_sequence;
    uint32 temperature;
}

struct LLMCompletionResponse {
    string answer;
}

/// @notice A tool call made by the model; `arguments` is JSON text.
struct ToolCall {
    string id;
    string name;
    string arguments;
}

/// @notice A tool offered to the model; `parameters` is a JSON schema (required).
struct ToolDefinition {
    string description;
    string name;
    string parameters;
}

/// @notice One chat message. `tool_call_id` is set on tool responses only.
struct ChatMessage {
    string role;
    string content;
    string name;
    string tool_call_id;
    ToolCall[] tool_calls;
}

/// @notice A chat request. `tool_choice` is "" without tools; `temperature` is x 100.
struct LLMChatRequest {
    LLMInferenceMode mode;
    string modelCID;
    ChatMessage[] messages;
    ToolDefinition[] tools;
    string tool_choice;
    uint32 max_tokens;
    string[] stop_sequence;
    uint32 temperature;
}

struct LLMChatResponse {
    string finish_reason;
    ChatMessage message;
}

// ------------------------------------------------------------------------ LLM, 1.0.x names

// `opengradient-neuroml` 1.0.x called the completion types and function by these names; the
// tuples are the same as today's, so the precompile answers both. New code should use the
// names above.

/// @notice 1.0.x name of `LLMInferenceMode`.
enum LlmInferenceMode {
    VANILLA,
    TEE
}

/// @notice 1.0.x name of `LLMCompletionRequest` (same fields, same order).
struct LlmInferenceRequest {
    LlmInferenceMode mode;
    string modelCID;
    string prompt;
    uint32 max_tokens;
    string[] stop_sequence;
    uint32 temperature;
}

/// @notice 1.0.x name of `LLMCompletionResponse`.
struct LlmResponse {
    string answer;
}

// ------------------------------------------------------------------------ interface

/// @notice The precompile's functions and the events it emits (from address 0xF4, nothing
///         indexed). Calls are synchronous and non-view.
interface OGInference {
    /// topic0 0x1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87
    event ModelInferenceEvent(string inferenceID, ModelInferenceRequest request, ModelOutput response);

    /// topic0 0x51fe69d513d73ecde3fa3bf17584f7d2acfd5f0b13d367e898d6e11e742127a3
    event LLMCompletionEvent(
        string inferenceID, LLMCompletionRequest request, LLMCompletionResponse response
    );

    /// topic0 0x4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b
    event LLMChat(string inferenceID, LLMChatRequest request, LLMChatResponse response);

    /// @notice Run an ML model (selector 0x7289e9c2).
    function runModelInference(ModelInferenceRequest memory request)
        external
        returns (ModelOutput memory);

    /// @notice Run an LLM text completion (selector 0x14800c61).
    function runLLMCompletion(LLMCompletionRequest memory request)
        external
        returns (LLMCompletionResponse memory);

    /// @notice Run an LLM chat turn (selector 0xe39aa7e7).
    function runLLMChat(LLMChatRequest memory request)
        external
        returns (LLMChatResponse memory);

    /// @notice 1.0.x name of `runLLMCompletion` (selector 0xea3dd516): the same completion,
    ///         and the same `LLMCompletionEvent`.
    function runLLMInference(LlmInferenceRequest memory request)
        external
        returns (LlmResponse memory);
}
