// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// January 2025's OGHistorical interface (selectors 0x45085f3d and 0xa28e7f60).
import "./CommonTypes.sol";
import "opengradient-neuroml/src/OGInference.sol";

interface OGHistorical {
    function queryHistoricalCandles(HistoricalInputQuery memory input)
        external
        returns (TensorLib.Number[] memory);

    function runInferenceOnPriceFeed(
        string memory model_id,
        string memory input_name,
        HistoricalInputQuery memory input
    ) external returns (ModelOutput memory);
}
