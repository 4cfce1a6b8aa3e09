// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGHistorical.sol";

/// @title PriceHistoryInference
/// @notice The workflow template OpenGradient's SDK deploys (ABI-identical to the published
///         PriceHistoryInference.abi.json): each `run()` feeds the latest candles of a price
///         feed to a model through OGHistorical (0xF5) and keeps the result.
/// @dev Results are kept ABI-encoded: legacy codegen cannot copy a `ModelOutput` (nested
///      struct arrays) from memory to storage. A simulation-pass result (empty, with
///      `is_simulation_result` set) is neither stored nor emitted.
contract PriceHistoryInference {
    string public modelId;
    string public inputName;
    /// @notice The query; its public getter returns the scalar fields only (no candle_types).
    HistoricalInputQuery public inputQuery;
    OGHistorical public constant historicalContract = OG_HISTORICAL_CONTRACT;

    bytes[] private _results;

    event InferenceResultEmitted(address indexed caller, ModelOutput result);

    constructor(string memory _modelId, string memory _inputName, HistoricalInputQuery memory _query) {
        modelId = _modelId;
        inputName = _inputName;
        inputQuery = _query;
    }

    /// @notice Runs the model on the latest candles and records the result.
    function run() external {
        ModelOutput memory result =
            historicalContract.runInferenceOnPriceFeed(modelId, inputName, inputQuery);
        if (result.is_simulation_result) return;
        _results.push(abi.encode(result));
        emit InferenceResultEmitted(msg.sender, result);
    }

    /// @notice The latest result; before the first `run()` an empty `ModelOutput` (all
    ///         tensors empty, `is_simulation_result` false), as upstream's template returns.
    function getInferenceResult() external view returns (ModelOutput memory) {
        if (_results.length == 0) {
            ModelOutput memory empty;
            return empty;
        }
        return abi.decode(_results[_results.length - 1], (ModelOutput));
    }

    /// @notice Up to `num` latest results, newest first.
    function getLastInferenceResults(uint256 num) external view returns (ModelOutput[] memory) {
        uint256 total = _results.length;
        uint256 count = num < total ? num : total;
        ModelOutput[] memory out = new ModelOutput[](count);
        for (uint256 i = 0; i < count; i++) {
            out[i] = abi.decode(_results[total - 1 - i], (ModelOutput));
        }
        return out;
    }
}
