// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "./ModelOutputs.sol";

/// @title SentimentGate
/// @notice Scores a caller's text with a sentiment model and records whether it is positive;
///         `onlyPositive`-style gates can then read `isPositive(account)`.
/// @dev Model contract: input `text`, a string tensor (a list of words; string tensors have
///      no shape); output `score`, a number tensor with one value, > 0 meaning positive.
///      A simulation result (`is_simulation_result`) returns false without touching state.
contract SentimentGate {
    using ModelOutputs for ModelOutput;

    struct Verdict {
        int128 scoreValue; // score = value / 10**decimals
        int128 scoreDecimals;
        bool positive;
        uint64 at;
    }

    string public constant INPUT_NAME = "text";
    string public constant OUTPUT_NAME = "score";

    address public owner;
    string public modelId;
    ModelInferenceMode public inferenceMode;
    mapping(address => Verdict) public verdicts;

    event SentimentRecorded(
        address indexed account, int128 scoreValue, int128 scoreDecimals, bool positive
    );
    event InferenceModeChanged(ModelInferenceMode mode);

    error NotOwner();
    error EmptyText();

    constructor(string memory modelId_) {
        owner = msg.sender;
        modelId = modelId_;
    }

    /// @notice Score `words` and record the verdict for the caller.
    /// @return applied false (and no state change) for a simulation result, true otherwise.
    function submit(string[] calldata words) external returns (bool applied) {
        if (words.length == 0) revert EmptyText();

        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](0), new TensorLib.StringTensor[](1)
        );
        input.strings[0] = TensorLib.StringTensor(INPUT_NAME, words);

        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(inferenceMode, modelId, input)
        );
        if (output.is_simulation_result) return false;

        TensorLib.Number memory score = output.firstNumber(OUTPUT_NAME);
        bool positive = score.value > 0; // the sign of value/10**decimals is the sign of value
        verdicts[msg.sender] = Verdict(score.value, score.decimals, positive, uint64(block.timestamp));
        emit SentimentRecorded(msg.sender, score.value, score.decimals, positive);
        return true;
    }

    /// @notice Whether `account`'s last scored text was positive.
    function isPositive(address account) external view returns (bool) {
        return verdicts[account].positive;
    }

    function setInferenceMode(ModelInferenceMode mode) external {
        if (msg.sender != owner) revert NotOwner();
        inferenceMode = mode;
        emit InferenceModeChanged(mode);
    }
}
