// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "../examples/ModelOutputs.sol";

/// @title TensorLibHarness (test only)
/// @notice Exposes TensorLib's internal helpers and ModelOutputs' readers as external
///         functions so tests can call them on the chain.
contract TensorLibHarness {
    function oneD(TensorLib.Number[] memory values)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        return TensorLib.numberTensor1D("x", values);
    }

    /// @param encodedRows `abi.encode(TensorLib.Number[][])`. Taken as bytes because Ape
    ///        0.8's struct argument encoder mangles arrays of arrays of structs.
    function twoD(bytes memory encodedRows)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        TensorLib.Number[][] memory rows = abi.decode(encodedRows, (TensorLib.Number[][]));
        return TensorLib.numberTensor2D("m", rows);
    }

    function nd(uint32[] memory dims)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        return TensorLib.numberTensorND("z", dims);
    }

    /// @notice `numberTensorND("z", dims)`, then `dims[0] = 9`: upstream's tensor keeps the
    ///         caller's array as its shape, so the change shows in the returned shape.
    function ndThenChangeDims(uint32[] memory dims)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        t = TensorLib.numberTensorND("z", dims);
        dims[0] = 9;
    }

    /// @notice `setValue` of the rank-specific overload `rank` (1, 2 or 3) on a tensor of
    ///         shape `dims`, at index 0 in every position.
    function setRank(uint32[] memory dims, uint256 rank)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        t = TensorLib.numberTensorND("r", dims);
        TensorLib.Number memory one = TensorLib.Number(1, 0);
        if (rank == 1) TensorLib.setValue(t, 0, one);
        else if (rank == 2) TensorLib.setValue(t, 0, 0, one);
        else TensorLib.setValue(t, 0, 0, 0, one);
    }

    function get(TensorLib.MultiDimensionalNumberTensor memory t, uint32[] memory idx)
        external
        pure
        returns (TensorLib.Number memory)
    {
        return TensorLib.getValue(t, idx);
    }

    function flatIndex(TensorLib.MultiDimensionalNumberTensor memory t, uint32[] memory idx)
        external
        pure
        returns (uint256)
    {
        return TensorLib.flatIndex(t, idx);
    }

    /// @notice A zero [3] tensor with `tensor[i] = 1.1`.
    function set1(uint32 i) external pure returns (TensorLib.MultiDimensionalNumberTensor memory t) {
        uint32[] memory d = new uint32[](1);
        d[0] = 3;
        t = TensorLib.numberTensorND("a", d);
        TensorLib.setValue(t, i, TensorLib.Number(11, 1));
    }

    /// @notice A zero [2, 3] tensor with `tensor[i][j] = 0.22`.
    function set2(uint32 i, uint32 j)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory d = new uint32[](2);
        d[0] = 2;
        d[1] = 3;
        t = TensorLib.numberTensorND("b", d);
        TensorLib.setValue(t, i, j, TensorLib.Number(22, 2));
    }

    /// @notice A zero [2, 3, 4] tensor with `tensor[i][j][k] = 0.033`.
    function set3(uint32 i, uint32 j, uint32 k)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory d = new uint32[](3);
        d[0] = 2;
        d[1] = 3;
        d[2] = 4;
        t = TensorLib.numberTensorND("c", d);
        TensorLib.setValue(t, i, j, k, TensorLib.Number(33, 3));
    }

    /// @notice A zero tensor of shape `dims` with `tensor[idx...] = -44`.
    function setN(uint32[] memory dims, uint32[] memory idx)
        external
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        t = TensorLib.numberTensorND("n", dims);
        TensorLib.setValue(t, idx, TensorLib.Number(-44, 0));
    }

    /// @notice `setValue` on a caller-supplied tensor (which may have a malformed shape).
    function setOn(
        TensorLib.MultiDimensionalNumberTensor memory t,
        uint32[] memory idx,
        TensorLib.Number memory value
    ) external pure returns (TensorLib.MultiDimensionalNumberTensor memory) {
        TensorLib.setValue(t, idx, value);
        return t;
    }

    /// @notice Builds a tensor in memory, then sends it through `getValue` for every index:
    ///         the round trip a contract does on a model result.
    function roundTrip(uint32[] memory dims) external pure returns (int128[] memory seen) {
        TensorLib.MultiDimensionalNumberTensor memory t = TensorLib.numberTensorND("r", dims);
        for (uint256 i = 0; i < t.values.length; i++) {
            t.values[i] = TensorLib.Number(int128(int256(i)), 0);
        }
        seen = new int128[](t.values.length);
        uint32[] memory idx = new uint32[](dims.length);
        for (uint256 n = 0; n < t.values.length; n++) {
            // row-major: the last index varies fastest
            uint256 rest = n;
            for (uint256 d = dims.length; d > 0; d--) {
                idx[d - 1] = uint32(rest % dims[d - 1]);
                rest /= dims[d - 1];
            }
            seen[n] = TensorLib.getValue(t, idx).value;
        }
    }

    function toWad(TensorLib.Number memory n) external pure returns (int256) {
        return ModelOutputs.toWad(n);
    }

    function firstNumber(ModelOutput memory out, string memory name)
        external
        pure
        returns (TensorLib.Number memory)
    {
        return ModelOutputs.firstNumber(out, name);
    }

    function firstString(ModelOutput memory out, string memory name)
        external
        pure
        returns (string memory)
    {
        return ModelOutputs.firstString(out, name);
    }
}
