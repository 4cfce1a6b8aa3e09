// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// OGHistorical: the interface of OpenGradient's price-history precompile at 0xF5.
//
// Written for ape-opengradient to match OpenGradient's published interface (reference §9):
//   0xf2f08e63 queryHistoricalCandles((string,string,uint32,uint32,uint8,uint8[]))
//   0xa192a0f9 runInferenceOnPriceFeed(string,string,(string,string,uint32,uint32,uint8,uint8[]))
// Do not reorder struct fields or enum members: the ABI depends on both.
//
// Result layout (upstream leaves it unspecified; this chain's rule): one row per candle,
// `total_candles` rows, each row the candle's values in `candle_types` order, flattened
// row-major; oldest candle first for Ascending, newest first for Descending. The tensor
// `runInferenceOnPriceFeed` builds has shape [total_candles, candle_types.length]. Candles are
// the latest `total_candles` that closed at or before the block's timestamp.

import "./OGInference.sol";

// Address of the OGHistorical precompile.
address constant OG_HISTORICAL_ADDRESS = 0x00000000000000000000000000000000000000F5;

// The precompile, ready to call: `OG_HISTORICAL_CONTRACT.queryHistoricalCandles(...)`.
OGHistorical constant OG_HISTORICAL_CONTRACT = OGHistorical(OG_HISTORICAL_ADDRESS);

/// @notice Order of the candles in a result: oldest first or newest first.
enum CandleOrder {
    Ascending,
    Descending
}

/// @notice Which value of a candle to return.
enum CandleType {
    High,
    Low,
    Open,
    Close,
    Volume
}

/// @notice A price-history query: `total_candles` candles of `candle_duration_in_mins`
///         minutes for the pair `base`/`quote` (e.g. "ETH"/"USD").
struct HistoricalInputQuery {
    string base;
    string quote;
    uint32 total_candles;
    uint32 candle_duration_in_mins;
    CandleOrder order;
    CandleType[] candle_types;
}

interface OGHistorical {
    /// @notice The candles' values, laid out as described at the top of this file.
    function queryHistoricalCandles(HistoricalInputQuery memory input)
        external
        returns (TensorLib.Number[] memory);

    /// @notice Runs `model_id` on a number tensor named `input_name` filled with the candles.
    function runInferenceOnPriceFeed(
        string memory model_id,
        string memory input_name,
        HistoricalInputQuery memory input
    ) external returns (ModelOutput memory);
}
