// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "./ModelOutputs.sol";

/// @title VolatilityVault
/// @notice Sets a vault's risky-asset allocation from an on-chain volatility forecast.
///
///         A keeper (or the owner) pushes hourly OHLC candles; the vault keeps the last 10.
///         `rebalance()` sends them to a volatility model through the OGInference precompile
///         and, in the same transaction, turns the forecast into `riskyAllocationBps`.
///
/// @dev Model contract (what the ONNX model must look like):
///      * input  `open_high_low_close`: number tensor, shape [10, 4], row-major, one row per
///        candle, oldest first, columns (open, high, low, close), each `Number(price, 8)`;
///      * output `volatility`: number tensor with one value, the forecast hourly volatility as
///        a fraction (0.0123 = 1.23% per hour). Extra outputs are ignored.
///
///      Allocation rule (linear, see `allocationForVolatility`):
///        vol = 0        -> 10000 bps (100% risky)
///        vol >= 5%      ->  2000 bps (floor)
///        in between     -> 10000 - 8000 * vol / 5%   (e.g. 1.23% -> 8032 bps)
///      A negative forecast is treated as a broken model and reverts (`InvalidForecast`).
///
///      Simulation results: on OpenGradient's network a transaction is first simulated with
///      an empty `ModelOutput` whose `is_simulation_result` is true, and only the second pass
///      (with real values) is committed. Reverting in the simulation pass would stop the
///      transaction from ever getting its result, so `rebalance()` returns `false` without
///      touching state or emitting anything when it sees a simulation result.
///
///      Trust: candles come from the keeper/owner; `rebalance()` is permissionless because its
///      outcome depends only on stored candles and the model.
contract VolatilityVault {
    using ModelOutputs for ModelOutput;

    /// @notice One OHLC candle, prices as fixed point with `PRICE_DECIMALS` decimals.
    struct Candle {
        int128 open;
        int128 high;
        int128 low;
        int128 close;
    }

    // ------------------------------------------------------------------ constants

    /// @notice Decimals of candle prices: 3000.5 USD is 300050000000.
    int128 public constant PRICE_DECIMALS = 8;
    /// @notice Number of candles the model takes.
    uint256 public constant WINDOW = 10;
    uint16 public constant MAX_RISKY_BPS = 10_000;
    uint16 public constant MIN_RISKY_BPS = 2_000;
    /// @notice Forecast (18-decimal fraction) at and above which the allocation hits the floor.
    int256 public constant VOL_FLOOR_AT_WAD = 0.05e18;

    string public constant INPUT_NAME = "open_high_low_close";
    string public constant OUTPUT_NAME = "volatility";

    // ------------------------------------------------------------------ configuration

    address public owner;
    address public keeper;
    /// @notice Model id passed to the precompile as `modelCID`.
    string public modelId;
    /// @notice Verification mode for inference; VANILLA unless the owner changes it.
    ModelInferenceMode public inferenceMode;

    // ------------------------------------------------------------------ state

    /// @dev Ring buffer: candle number `n` (0-based, ever pushed) lives in slot `n % WINDOW`.
    Candle[WINDOW] private _candles;
    /// @notice Candles pushed since deployment.
    uint256 public candleCount;

    /// @notice Last accepted forecast as the model returned it (value / 10**decimals).
    int128 public forecastValue;
    int128 public forecastDecimals;
    /// @notice Last accepted forecast as an 18-decimal fraction (0.0123 -> 1.23e16).
    int256 public forecastVolWad;
    /// @notice Share of the vault in the risky asset, in basis points.
    uint16 public riskyAllocationBps = MAX_RISKY_BPS;
    uint256 public lastRebalanceAt;
    uint256 public rebalanceCount;

    // ------------------------------------------------------------------ events / errors

    event CandlePushed(uint256 indexed index, int128 open, int128 high, int128 low, int128 close);
    event Rebalanced(
        address indexed caller,
        int128 volatilityValue,
        int128 volatilityDecimals,
        int256 volatilityWad,
        uint16 previousRiskyBps,
        uint16 riskyBps
    );
    event KeeperChanged(address indexed keeper);
    event InferenceModeChanged(ModelInferenceMode mode);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner();
    error NotKeeper();
    error InvalidCandle(int128 open, int128 high, int128 low, int128 close);
    error NotEnoughCandles(uint256 have, uint256 need);
    error InvalidForecast(int256 volatilityWad);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyKeeper() {
        if (msg.sender != keeper && msg.sender != owner) revert NotKeeper();
        _;
    }

    /// @param modelId_ the volatility model's id (CID / blob id) as the precompile expects it.
    /// @param keeper_ who may push candles besides the owner (may be zero).
    constructor(string memory modelId_, address keeper_) {
        owner = msg.sender;
        keeper = keeper_;
        modelId = modelId_;
        emit OwnershipTransferred(address(0), msg.sender);
        emit KeeperChanged(keeper_);
    }

    // ------------------------------------------------------------------ candles

    /// @notice Append the newest hourly candle (prices with `PRICE_DECIMALS` decimals).
    function pushCandle(int128 open, int128 high, int128 low, int128 close) external onlyKeeper {
        _push(Candle(open, high, low, close));
    }

    /// @notice Append several candles, oldest first.
    function pushCandles(Candle[] calldata candles_) external onlyKeeper {
        for (uint256 i = 0; i < candles_.length; i++) {
            _push(candles_[i]);
        }
    }

    /// @notice The stored candles, oldest first (at most `WINDOW`).
    function candles() public view returns (Candle[] memory out) {
        uint256 n = candleCount < WINDOW ? candleCount : WINDOW;
        out = new Candle[](n);
        uint256 first = candleCount - n;
        for (uint256 i = 0; i < n; i++) {
            out[i] = _candles[(first + i) % WINDOW];
        }
    }

    // ------------------------------------------------------------------ rebalance

    /// @notice Forecast volatility from the last `WINDOW` candles and set the allocation.
    /// @return applied false (and no state change) for a simulation result, true otherwise.
    function rebalance() external returns (bool applied) {
        if (candleCount < WINDOW) revert NotEnoughCandles(candleCount, WINDOW);

        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0)
        );
        input.numbers[0] = ohlcTensor();

        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(inferenceMode, modelId, input)
        );
        // Simulation pass: empty output, never committed. Succeed without effects (see @dev).
        if (output.is_simulation_result) return false;

        TensorLib.Number memory vol = output.firstNumber(OUTPUT_NAME);
        int256 volWad = ModelOutputs.toWad(vol);
        if (volWad < 0) revert InvalidForecast(volWad);

        uint16 previous = riskyAllocationBps;
        uint16 next = allocationForVolatility(volWad);

        forecastValue = vol.value;
        forecastDecimals = vol.decimals;
        forecastVolWad = volWad;
        riskyAllocationBps = next;
        lastRebalanceAt = block.timestamp;
        rebalanceCount += 1;

        emit Rebalanced(msg.sender, vol.value, vol.decimals, volWad, previous, next);
        return true;
    }

    /// @notice The allocation rule: linear from 10000 bps at 0 vol to 2000 bps at >= 5% vol.
    /// @param volatilityWad hourly volatility as an 18-decimal fraction.
    function allocationForVolatility(int256 volatilityWad) public pure returns (uint16) {
        if (volatilityWad <= 0) return MAX_RISKY_BPS;
        if (volatilityWad >= VOL_FLOOR_AT_WAD) return MIN_RISKY_BPS;
        uint256 cut = (uint256(MAX_RISKY_BPS - MIN_RISKY_BPS) * uint256(volatilityWad))
            / uint256(VOL_FLOOR_AT_WAD);
        return uint16(uint256(MAX_RISKY_BPS) - cut);
    }

    /// @notice The model input built from the stored candles: `open_high_low_close`,
    ///         shape [10, 4], row-major, oldest candle first.
    function ohlcTensor() public view returns (TensorLib.MultiDimensionalNumberTensor memory) {
        if (candleCount < WINDOW) revert NotEnoughCandles(candleCount, WINDOW);
        Candle[] memory cs = candles();
        TensorLib.Number[][] memory rows = new TensorLib.Number[][](WINDOW);
        for (uint256 r = 0; r < WINDOW; r++) {
            TensorLib.Number[] memory row = new TensorLib.Number[](4);
            row[0] = TensorLib.Number(cs[r].open, PRICE_DECIMALS);
            row[1] = TensorLib.Number(cs[r].high, PRICE_DECIMALS);
            row[2] = TensorLib.Number(cs[r].low, PRICE_DECIMALS);
            row[3] = TensorLib.Number(cs[r].close, PRICE_DECIMALS);
            rows[r] = row;
        }
        // numberTensor2D flattens row-major and sets shape [10, 4].
        return TensorLib.numberTensor2D(INPUT_NAME, rows);
    }

    // ------------------------------------------------------------------ admin

    function setKeeper(address keeper_) external onlyOwner {
        keeper = keeper_;
        emit KeeperChanged(keeper_);
    }

    function setInferenceMode(ModelInferenceMode mode) external onlyOwner {
        inferenceMode = mode;
        emit InferenceModeChanged(mode);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // ------------------------------------------------------------------ internals

    function _push(Candle memory c) private {
        // A candle's high/low must bracket its open/close, and prices must be positive.
        if (c.low <= 0 || c.low > c.open || c.low > c.close || c.high < c.open || c.high < c.close) {
            revert InvalidCandle(c.open, c.high, c.low, c.close);
        }
        uint256 index = candleCount;
        _candles[index % WINDOW] = c;
        candleCount = index + 1;
        emit CandlePushed(index, c.open, c.high, c.low, c.close);
    }
}
