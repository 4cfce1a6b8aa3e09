// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @title ModelOutputs
/// @notice Helpers the example contracts share for reading a `ModelOutput`.
/// @dev Why look tensors up by name: the precompile returns each kind (numbers, strings,
///      jsons) in the model's output order, which is an ONNX export detail. The ONNX output
///      *name* is the stable contract between a model and its consumer, so the examples ask
///      for `volatility`, `probabilities`, `label`, `score` by name and fail loudly if the
///      model does not produce them.
library ModelOutputs {
    /// @notice The model produced no tensor called `name` of the kind asked for.
    error OutputNotFound(string name);
    /// @notice The tensor `name` exists but holds no values.
    error EmptyOutput(string name);
    /// @notice A `Number` whose 18-decimal form does not fit in an int256.
    error NumberOutOfRange(int128 value, int128 decimals);

    uint256 internal constant WAD_DECIMALS = 18;

    // ------------------------------------------------------------------ lookup by name

    /// @notice Index of the number tensor `name` in `out.numbers`, if any.
    function findNumber(ModelOutput memory out, string memory name)
        internal
        pure
        returns (bool found, uint256 index)
    {
        bytes32 key = keccak256(bytes(name));
        for (uint256 i = 0; i < out.numbers.length; i++) {
            if (keccak256(bytes(out.numbers[i].name)) == key) return (true, i);
        }
        return (false, 0);
    }

    /// @notice Index of the string tensor `name` in `out.strings`, if any.
    function findString(ModelOutput memory out, string memory name)
        internal
        pure
        returns (bool found, uint256 index)
    {
        bytes32 key = keccak256(bytes(name));
        for (uint256 i = 0; i < out.strings.length; i++) {
            if (keccak256(bytes(out.strings[i].name)) == key) return (true, i);
        }
        return (false, 0);
    }

    /// @notice The number tensor `name`; reverts `OutputNotFound(name)` if absent.
    function numberByName(ModelOutput memory out, string memory name)
        internal
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        (bool found, uint256 i) = findNumber(out, name);
        if (!found) revert OutputNotFound(name);
        return out.numbers[i];
    }

    /// @notice The string tensor `name`; reverts `OutputNotFound(name)` if absent.
    function stringByName(ModelOutput memory out, string memory name)
        internal
        pure
        returns (TensorLib.StringTensor memory)
    {
        (bool found, uint256 i) = findString(out, name);
        if (!found) revert OutputNotFound(name);
        return out.strings[i];
    }

    /// @notice First value of the number tensor `name` (for scalar outputs).
    function firstNumber(ModelOutput memory out, string memory name)
        internal
        pure
        returns (TensorLib.Number memory)
    {
        TensorLib.MultiDimensionalNumberTensor memory t = numberByName(out, name);
        if (t.values.length == 0) revert EmptyOutput(name);
        return t.values[0];
    }

    /// @notice First value of the string tensor `name` (for scalar outputs such as labels).
    function firstString(ModelOutput memory out, string memory name)
        internal
        pure
        returns (string memory)
    {
        TensorLib.StringTensor memory t = stringByName(out, name);
        if (t.values.length == 0) revert EmptyOutput(name);
        return t.values[0];
    }

    // ------------------------------------------------------------------ fixed point

    /// @notice `n` as an 18-decimal fixed-point integer ("wad"): 0.0123 -> 1.23e16.
    /// @dev Exact for `decimals <= 18` (the node's cap); more decimals truncate toward zero.
    ///      Reverts `NumberOutOfRange` only for a negative/very small `decimals` that would
    ///      overflow int256.
    function toWad(TensorLib.Number memory n) internal pure returns (int256) {
        int256 v = n.value;
        int256 d = n.decimals;
        if (v == 0) return 0;
        if (d <= int256(WAD_DECIMALS)) {
            uint256 up = uint256(int256(WAD_DECIMALS) - d);
            // |v| < 2**127 ~ 1.7e38, and int256 holds ~5.7e76: 38 decimal shifts always fit.
            if (up > 38) revert NumberOutOfRange(n.value, n.decimals);
            return v * int256(10 ** up);
        }
        uint256 down = uint256(d - int256(WAD_DECIMALS));
        if (down > 38) return 0; // |v| / 10**39 < 1
        return v / int256(10 ** down);
    }

    /// @notice Whether two strings are byte-for-byte equal.
    function eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }
}
