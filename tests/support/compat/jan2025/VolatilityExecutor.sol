// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// Written here in the style of OpenGradient's January 2025 workflow templates: the query names
// one `currency_pair`, the result is kept as a `ModelOutput` in storage (which needs
// `via_ir`), and the candles are also sent to the model as one flat tensor.
import "./IModelExecutor.sol";
import "./OGHistorical.sol";

contract VolatilityExecutor is IModelExecutor {
    OGHistorical public historicalContract;
    ModelOutput private inferenceResult;
    string private modelCID;
    string private inputTensorName;
    string private currencyPair;
    TensorLib.Number[] public lastCandles;
    TensorLib.Number public flatForecast;

    event InferenceResultEmitted(address indexed caller, ModelOutput result);

    constructor(string memory _modelCID, string memory _inputTensorName, string memory _pair) {
        historicalContract = OGHistorical(0x00000000000000000000000000000000000000F5);
        modelCID = _modelCID;
        inputTensorName = _inputTensorName;
        currencyPair = _pair;
    }

    function query() public view returns (HistoricalInputQuery memory) {
        CandleType[] memory candles = new CandleType[](4);
        candles[0] = CandleType.Open;
        candles[1] = CandleType.High;
        candles[2] = CandleType.Low;
        candles[3] = CandleType.Close;
        return HistoricalInputQuery({
            currency_pair: currencyPair,
            total_candles: 10,
            candle_duration_in_mins: 30,
            order: CandleOrder.Ascending,
            candle_types: candles
        });
    }

    function run() public override {
        inferenceResult = historicalContract.runInferenceOnPriceFeed(
            modelCID, inputTensorName, query()
        );
        emit InferenceResultEmitted(msg.sender, inferenceResult);
    }

    function getInferenceResult() public view override returns (ModelOutput memory) {
        return inferenceResult;
    }

    /// @notice The same candles, fetched, kept, and sent to 0xF4 as a flat [40] tensor.
    function runOnFlatCandles() external {
        TensorLib.Number[] memory candles = historicalContract.queryHistoricalCandles(query());
        delete lastCandles;
        for (uint256 i = 0; i < candles.length; i++) {
            lastCandles.push(candles[i]);
        }
        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1),
            new TensorLib.StringTensor[](0)
        );
        input.numbers[0] = TensorLib.numberTensor1D(inputTensorName, candles);
        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, modelCID, input)
        );
        if (!output.is_simulation_result) flatForecast = output.numbers[0].values[0];
    }

    function candleCount() external view returns (uint256) {
        return lastCandles.length;
    }
}
