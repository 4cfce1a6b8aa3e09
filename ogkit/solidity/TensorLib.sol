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
///      * Revert reasons and `numberTensorND`'s shape semantics are upstream's, so tests
///        written against OpenGradient's library pass here unchanged.
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
    /// @dev Reverts "Input array must be non-empty" unless there is a row and the first row
    ///      has a value, and "All rows must have the same length" unless it is rectangular
    ///      (upstream's checks and reasons).
    function numberTensor2D(string memory name, Number[][] memory values)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory)
    {
        require(values.length > 0 && values[0].length > 0, "Input array must be non-empty");
        uint256 rows = values.length;
        uint256 cols = values[0].length;
        for (uint256 r = 1; r < rows; r++) {
            require(values[r].length == cols, "All rows must have the same length");
        }

        Number[] memory flat = new Number[](rows * cols);
        for (uint256 r = 0; r < rows; r++) {
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
    /// @dev Fill it with `setValue`. Zero is `Number(0, 0)`. As upstream's, the tensor's
    ///      `shape` IS the caller's `dims` array (not a copy): changing `dims` afterwards
    ///      changes the tensor's shape.
    function numberTensorND(string memory name, uint32[] memory dims)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory)
    {
        require(dims.length > 0, "Dimensions array must not be empty");
        uint256 size = 1;
        for (uint256 i = 0; i < dims.length; i++) {
            require(dims[i] > 0, "All dimensions must be positive");
            size *= dims[i];
        }
        // `new` zero-initialises every element, i.e. Number(0, 0).
        return MultiDimensionalNumberTensor(name, new Number[](size), dims);
    }

    // ---------------------------------------------------------------- element access

    /// @notice `tensor[i] = value` for a 1-D tensor.
    /// @dev Reverts "This function is for 1D tensors only" on a tensor of another rank.
    function setValue(MultiDimensionalNumberTensor memory tensor, uint32 i, Number memory value)
        internal
        pure
    {
        require(tensor.shape.length == 1, "This function is for 1D tensors only");
        uint32[] memory idx = new uint32[](1);
        idx[0] = i;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[i][j] = value` for a 2-D tensor.
    /// @dev Reverts "This function is for 2D tensors only" on a tensor of another rank.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32 i,
        uint32 j,
        Number memory value
    ) internal pure {
        require(tensor.shape.length == 2, "This function is for 2D tensors only");
        uint32[] memory idx = new uint32[](2);
        idx[0] = i;
        idx[1] = j;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[i][j][k] = value` for a 3-D tensor.
    /// @dev Reverts "This function is for 3D tensors only" on a tensor of another rank.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32 i,
        uint32 j,
        uint32 k,
        Number memory value
    ) internal pure {
        require(tensor.shape.length == 3, "This function is for 3D tensors only");
        uint32[] memory idx = new uint32[](3);
        idx[0] = i;
        idx[1] = j;
        idx[2] = k;
        setValue(tensor, idx, value);
    }

    /// @notice `tensor[indices...] = value` for a tensor of any rank.
    /// @dev Reverts like `getValue`.
    function setValue(
        MultiDimensionalNumberTensor memory tensor,
        uint32[] memory indices,
        Number memory value
    ) internal pure {
        tensor.values[flatIndex(tensor, indices)] = value;
    }

    /// @notice `tensor[indices...]`.
    /// @dev Reverts "Indices dimension mismatch" when the number of indices differs from the
    ///      rank, and "Index out of bounds" when an index is not below its dimension or the
    ///      (model-supplied) shape does not fit the value count (upstream's reasons).
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
        require(indices.length == shape.length, "Indices dimension mismatch");
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
