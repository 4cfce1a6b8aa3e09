// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "./ModelOutputs.sol";

/// @title LoanReviewPipeline
/// @notice Two models and an LLM chained in one transaction, each in the verification mode
///         its job needs:
///         1. ZK: `scoreModel` turns two raw signals into a score; a zkML proof of that exact
///            run settles on chain later, so anyone can check the score.
///         2. VANILLA: `riskModel` classifies the borrower from the score and three features
///            (cheap, unverified: the label only picks the wording of the note).
///         3. TEE: an LLM writes the decision note from the label; the enclave signs the
///            prompt and the answer, and the signature settles on chain.
///         Each call gets its own inference id, record and event (from 0xF4), and the
///         receipt lists all three (`receipt.inferences`).
/// @dev Model contracts: `scoreModel` takes `input` [2] and returns `output` [1] (as the
///      example `upstream_demo`); `riskModel` takes `features` [1, 4] and returns the string
///      tensor `label` (as the example `credit_risk`). A simulation pass (empty outputs,
///      `is_simulation_result`) returns false and leaves state untouched.
contract LoanReviewPipeline {
    using ModelOutputs for ModelOutput;

    struct Review {
        int128 scoreValue; // the ZK model's score: value / 10**decimals
        int128 scoreDecimals;
        string label; // the classifier's label
        string note; // the LLM's decision note
        uint64 reviewedAt;
    }

    string public constant SCORE_INPUT = "input";
    string public constant SCORE_OUTPUT = "output";
    string public constant RISK_INPUT = "features";
    string public constant RISK_LABEL = "label";

    string public scoreModel;
    string public riskModel;
    string public llmModel;

    mapping(address => Review) public reviews;

    event Reviewed(
        address indexed borrower, int128 scoreValue, int128 scoreDecimals, string label, string note
    );

    constructor(string memory scoreModel_, string memory riskModel_, string memory llmModel_) {
        scoreModel = scoreModel_;
        riskModel = riskModel_;
        llmModel = llmModel_;
    }

    /// @notice Score (ZK) -> classify (VANILLA) -> explain (TEE LLM), in one transaction.
    function review(
        TensorLib.Number[2] calldata signals,
        TensorLib.Number[3] calldata features,
        uint32 maxTokens
    ) external returns (bool applied) {
        ModelOutput memory scored = _infer(ModelInferenceMode.ZK, scoreModel, _signals(signals));
        if (scored.is_simulation_result) return false;
        TensorLib.Number memory score = scored.firstNumber(SCORE_OUTPUT);

        ModelOutput memory classified =
            _infer(ModelInferenceMode.VANILLA, riskModel, _features(score, features));
        if (classified.is_simulation_result) return false;
        string memory label = classified.firstString(RISK_LABEL);

        LLMCompletionResponse memory note = OG_INFERENCE_CONTRACT.runLLMCompletion(
            LLMCompletionRequest({
                mode: LLMInferenceMode.TEE,
                modelCID: llmModel,
                prompt: string.concat("Borrower risk is ", label, ". Decision:"),
                max_tokens: maxTokens,
                stop_sequence: new string[](0),
                temperature: 0
            })
        );

        reviews[msg.sender] =
            Review(score.value, score.decimals, label, note.answer, uint64(block.timestamp));
        emit Reviewed(msg.sender, score.value, score.decimals, label, note.answer);
        return true;
    }

    function _infer(ModelInferenceMode mode, string memory model, ModelInput memory input)
        private
        returns (ModelOutput memory)
    {
        return OG_INFERENCE_CONTRACT.runModelInference(ModelInferenceRequest(mode, model, input));
    }

    function _signals(TensorLib.Number[2] calldata signals)
        private
        pure
        returns (ModelInput memory input)
    {
        TensorLib.Number[] memory values = new TensorLib.Number[](2);
        values[0] = signals[0];
        values[1] = signals[1];
        input = ModelInput(new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0));
        input.numbers[0] = TensorLib.numberTensor1D(SCORE_INPUT, values);
    }

    function _features(TensorLib.Number memory score, TensorLib.Number[3] calldata rest)
        private
        pure
        returns (ModelInput memory input)
    {
        TensorLib.Number[][] memory rows = new TensorLib.Number[][](1);
        rows[0] = new TensorLib.Number[](4);
        rows[0][0] = score;
        for (uint256 i = 0; i < 3; i++) {
            rows[0][i + 1] = rest[i];
        }
        input = ModelInput(new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0));
        input.numbers[0] = TensorLib.numberTensor2D(RISK_INPUT, rows);
    }
}
