// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "../../contracts/examples/VolatilityVault.sol";

/// @title VolatilityVaultBaseline (benchmark only)
/// @notice `VolatilityVault` plus `rebalanceWithoutInference`, which does everything
///         `rebalance()` does except the call to the 0xF4 precompile, so that
///         `rebalance() - rebalanceWithoutInference()` isolates the precompile's cost.
/// @dev Same work, step by step:
///      * builds the same [10, 4] tensor from the same stored candles (`ohlcTensor()`);
///      * ABI-encodes the same `runModelInference(request)` calldata the high-level call would;
///      * instead of CALL + RETURNDATACOPY, ABI-decodes a `ModelOutput` that the caller passes
///        in (the precompile's real answer for these candles, so the decoded values, the
///        storage writes and the event are identical);
///      * the same name lookup, conversion, six storage writes and `Rebalanced` event.
contract VolatilityVaultBaseline is VolatilityVault {
    using ModelOutputs for ModelOutput;

    constructor(string memory modelId_, address keeper_) VolatilityVault(modelId_, keeper_) {}

    function rebalanceWithoutInference(bytes calldata encodedOutput) external returns (bool applied) {
        if (candleCount < WINDOW) revert NotEnoughCandles(candleCount, WINDOW);

        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0)
        );
        input.numbers[0] = ohlcTensor();
        bytes memory request = abi.encodeCall(
            OGInference.runModelInference, (ModelInferenceRequest(inferenceMode, modelId, input))
        );
        if (request.length == 0) revert(); // keeps the encoding from being optimised away

        ModelOutput memory output = abi.decode(encodedOutput, (ModelOutput));
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
}
