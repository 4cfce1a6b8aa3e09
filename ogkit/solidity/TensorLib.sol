// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

/// @title TensorLib
/// @notice Tensor types and helpers for OpenGradient's OGInference precompile (0xF4).
/// @dev Written for ape-opengradient to be ABI-identical to the published interface: the struct
///      names (`TensorLib.Number`, ...) and field order appear in the precompile's ABI as
///      `internalType`s, so they must not change. All helpers are `internal pure` and work on
///      `memory` tensors in place (memory structs are references, so `setValue` mutates the
///      caller's tensor).
///
///      Semantics (see shared/reference/opengradient-interface.md section 5):
///      * `Number(value, decimals)` means `value / 10**decimals`: 1.5 == Number(15, 1).
///        The node rejects `decimals > 18`; this library does not enforce it.
///      * Number tensors are flattened row-major (C order); `shape` lists the dimensions and
///        the product of `shape` equals `values.length` (kept by every constructor below).
///      * String tensors have no shape.
library TensorLib {
    /// @notice A fixed-point number: `value / 10**decimals`.
    struct Number {
        int128 value;
        int128 decimals;
    }

    /// @notice A named, row-major, N-dimensional tensor of `Number`s.
    struct MultiDimensionalNumberTensor {
        string name;
        Number[] values;
        uint32[] shape;
    }

    /// @notice A named flat list of strings (no shape in the ABI).
    struct StringTensor {
        string name;
        string[] values;
    }

    /// @notice A named JSON document (model output only).
    struct JsonScalar {
        string name;
        string value;
    }

    // ---------------------------------------------------------------- constructors

    /// @notice A 1-D tensor `name` holding `values`, shape `[values.length]`.
    /// @dev The returned tensor references `values` (no copy).
    function numberTensor1D(string memory name, Number[] memory values)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory)
    {
        uint32[] memory shape = new uint32[](1);
        shape[0] = _toUint32(values.length);
        return MultiDimensionalNumberTensor(name, values, shape);
    }

    /// @notice A 2-D tensor `name` from rows of equal length, shape `[rows, cols]`, row-major.
    /// @dev Reverts unless `values` is non-empty and rectangular with non-empty rows.
    function numberTensor2D(string memory name, Number[][] memory values)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory)
    {
        uint256 rows = values.length;
        require(rows > 0, "Empty tensor");
        uint256 cols = values[0].length;
        require(cols > 0, "Empty tensor");

        Number[] memory flat = new Number[](rows * cols);
        for (uint256 r = 0; r < rows; r++) {
            require(values[r].length == cols, "Tensor is not rectangular");
            for (uint256 c = 0; c < cols; c++) {
                flat[r * cols + c] = values[r][c];
            }
        }

        uint32[] memory shape = new uint32[](2);
        shape[0] = _toUint32(rows);
        shape[1] = _toUint32(cols);
        return MultiDimensionalNumberTensor(name, flat, shape);
    }

    /// @notice A zero-filled tensor `name` of shape `dims` (every dimension must be positive).
    /// @dev Fill it with `setValue`. Zero is `Number(0, 0)`.
    function numberTensorND(string memory name, uint32[] memory dims)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory)
    {
        require(dims.length > 0, "Empty shape");
        uint256 size = 1;
        uint32[] memory shape = new uint32[](dims.length);
        for (uint256 i = 0; i < dims.length; i++) {
            require(dims[i] > 0, "Dimension must be positive");
            size *= dims[i];
            shape[i] = dims[i];
        }
        // `new` zero-initialises every element, i.e. Number(0, 0).
        return MultiDimensionalNumberTensor(name, new Number[](size), shape);
    }

    // ---------------------------------------------------------------- element access

    /// @notice `tensor[i] = value` for a 1-D tensor.
    function setValue(MultiDimensionalNumberTensor memory tensor, uint32 i, Number memory value)
        internal
        pure
    {
        uint32[] memory idx = new uint32[](1);
        idx[0] = i;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[i][j] = value` for a 2-D tensor.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32 i,
        uint32 j,
        Number memory value
    ) internal pure {
        uint32[] memory idx = new uint32[](2);
        idx[0] = i;
        idx[1] = j;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[i][j][k] = value` for a 3-D tensor.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32 i,
        uint32 j,
        uint32 k,
        Number memory value
    ) internal pure {
        uint32[] memory idx = new uint32[](3);
        idx[0] = i;
        idx[1] = j;
        idx[2] = k;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[indices...] = value` for a tensor of any rank.
    /// @dev Reverts "Index out of bounds" like `getValue`.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32[] memory indices,
        Number memory value
    ) internal pure {
        tensor.values[flatIndex(tensor, indices)] = value;
    }

    /// @notice `tensor[indices...]`.
    /// @dev Reverts "Index out of bounds" when the number of indices differs from the rank,
    ///      when an index is not below its dimension, or when the (model-supplied) shape does
    ///      not fit the value count.
    function getValue(MultiDimensionalNumberTensor memory tensor, uint32[] memory indices)
        internal
        pure
        returns (Number memory)
    {
        return tensor.values[flatIndex(tensor, indices)];
    }

    /// @notice Row-major offset of `indices` in `tensor.values`.
    function flatIndex(MultiDimensionalNumberTensor memory tensor, uint32[] memory indices)
        internal
        pure
        returns (uint256 offset)
    {
        uint32[] memory shape = tensor.shape;
        require(indices.length == shape.length, "Index out of bounds");
        for (uint256 d = 0; d < shape.length; d++) {
            require(indices[d] < shape[d], "Index out of bounds");
            offset = offset * shape[d] + indices[d];
        }
        require(offset < tensor.values.length, "Index out of bounds");
    }

    function _toUint32(uint256 n) private pure returns (uint32) {
        require(n <= type(uint32).max, "Dimension too large");
        return uint32(n);
    }
}
