// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @title LLMAssistant
/// @notice Calls an LLM through 0xF4: a text completion, a chat turn, and a chat turn that
///         offers a `get_weather` tool. Each answer is kept in storage, so a later
///         transaction (or another contract) can act on what the model said.
/// @dev `modelId` is a model store id (e.g. "tiny-llm") or, with an OpenAI-compatible
///      endpoint configured, that endpoint's model name. `mode` is VANILLA or TEE.
contract LLMAssistant {
    string public constant WEATHER_TOOL_PARAMETERS =
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}';

    string public modelId;
    LLMInferenceMode public mode;

    string public lastAnswer;
    string public lastFinishReason;
    string public lastToolName;
    string public lastToolArguments;
    string public lastToolCallId;

    event Completed(string answer);
    event Replied(string finishReason, string content, uint256 toolCalls);

    constructor(string memory modelId_, LLMInferenceMode mode_) {
        modelId = modelId_;
        mode = mode_;
    }

    /// @notice Complete `prompt`; temperature is t x 100 (0 = greedy).
    function complete(string calldata prompt, uint32 maxTokens, string[] calldata stop, uint32 temperature)
        external
        returns (string memory answer)
    {
        LLMCompletionResponse memory response = OG_INFERENCE_CONTRACT.runLLMCompletion(
            LLMCompletionRequest({
                mode: mode,
                modelCID: modelId,
                prompt: prompt,
                max_tokens: maxTokens,
                stop_sequence: stop,
                temperature: temperature
            })
        );
        answer = response.answer;
        lastAnswer = answer;
        emit Completed(answer);
    }

    /// @notice One chat turn: an optional system prompt and the user's message, no tools.
    function chat(string calldata system, string calldata userMessage, uint32 maxTokens)
        external
        returns (string memory content)
    {
        uint256 n = bytes(system).length == 0 ? 1 : 2;
        ChatMessage[] memory messages = new ChatMessage[](n);
        if (n == 2) messages[0] = _message("system", system);
        messages[n - 1] = _message("user", userMessage);
        LLMChatResponse memory response = _chat(messages, new ToolDefinition[](0), "", maxTokens);
        content = response.message.content;
    }

    /// @notice Ask a question with the `get_weather` tool on offer; a tool call the model
    ///         makes is kept in `lastToolName` / `lastToolArguments` (JSON).
    function askWeather(string calldata question, uint32 maxTokens)
        external
        returns (uint256 toolCalls)
    {
        ChatMessage[] memory messages = new ChatMessage[](1);
        messages[0] = _message("user", question);
        ToolDefinition[] memory tools = new ToolDefinition[](1);
        tools[0] = ToolDefinition({
            description: "Current weather for a city",
            name: "get_weather",
            parameters: WEATHER_TOOL_PARAMETERS
        });
        LLMChatResponse memory response = _chat(messages, tools, "auto", maxTokens);
        toolCalls = response.message.tool_calls.length;
        if (toolCalls > 0) {
            ToolCall memory call = response.message.tool_calls[0];
            lastToolName = call.name;
            lastToolArguments = call.arguments;
            lastToolCallId = call.id;
        }
    }

    /// @notice Any chat request as the caller builds it (tests reach every revert with it).
    function chatRaw(LLMChatRequest calldata request) external returns (LLMChatResponse memory) {
        return OG_INFERENCE_CONTRACT.runLLMChat(request);
    }

    function _chat(
        ChatMessage[] memory messages,
        ToolDefinition[] memory tools,
        string memory toolChoice,
        uint32 maxTokens
    ) private returns (LLMChatResponse memory response) {
        response = OG_INFERENCE_CONTRACT.runLLMChat(
            LLMChatRequest({
                mode: mode,
                modelCID: modelId,
                messages: messages,
                tools: tools,
                tool_choice: toolChoice,
                max_tokens: maxTokens,
                stop_sequence: new string[](0),
                temperature: 0
            })
        );
        lastFinishReason = response.finish_reason;
        lastAnswer = response.message.content;
        emit Replied(response.finish_reason, response.message.content, response.message.tool_calls.length);
    }

    function _message(string memory role, string memory content) private pure returns (ChatMessage memory) {
        return ChatMessage({role: role, content: content, name: "", tool_call_id: "", tool_calls: new ToolCall[](0)});
    }
}
