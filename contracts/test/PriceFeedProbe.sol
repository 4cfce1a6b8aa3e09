// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGHistorical.sol";

/// @notice Test helper: calls OGHistorical (0xF5) from a contract and keeps what it returned.
contract PriceFeedProbe {
    TensorLib.Number[] private _last;
    bytes private _lastOutput;

    function query(HistoricalInputQuery memory q) external returns (TensorLib.Number[] memory values) {
        values = OG_HISTORICAL_CONTRACT.queryHistoricalCandles(q);
        delete _last;
        for (uint256 i = 0; i < values.length; i++) {
            _last.push(values[i]);
        }
    }

    function lastValues() external view returns (TensorLib.Number[] memory) {
        return _last;
    }

    function infer(string memory modelId, string memory inputName, HistoricalInputQuery memory q)
        external
        returns (ModelOutput memory output)
    {
        output = OG_HISTORICAL_CONTRACT.runInferenceOnPriceFeed(modelId, inputName, q);
        _lastOutput = abi.encode(output);
    }

    function lastOutput() external view returns (ModelOutput memory) {
        return abi.decode(_lastOutput, (ModelOutput));
    }
}
