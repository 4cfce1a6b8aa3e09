// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";

/// @title InferenceProbe (test only)
/// @notice Calls the real 0xF4 precompile with whatever the caller supplies, so tests can
///         reach every revert path from Solidity.
///         * `infer` goes through the `OGInference` interface (the way example contracts do):
///           Solidity ABI-encodes the request and bubbles a revert up unchanged.
///         * `forward` sends raw calldata with a low-level call (for requests Solidity cannot
///           encode: unknown modes, malformed or aliased ABI) and re-raises the revert data.
///         * `peek` does the same through `staticcall`, from a `view` function.
contract InferenceProbe {
    /// @notice Successful calls so far (a failed call leaves state untouched).
    uint256 public calls;
    /// @notice ABI encoding of the last `ModelOutput` received (`abi.encode(output)`).
    bytes public lastOutput;

    event Inferred(uint256 indexed call, bytes32 outputHash);

    function infer(ModelInferenceRequest memory request) external returns (ModelOutput memory output) {
        output = OG_INFERENCE_CONTRACT.runModelInference(request);
        _record(abi.encode(output));
    }

    /// @notice Two inferences in one transaction (receipts list both calls).
    function inferBoth(ModelInferenceRequest memory first, ModelInferenceRequest memory second)
        external
    {
        _record(abi.encode(OG_INFERENCE_CONTRACT.runModelInference(first)));
        _record(abi.encode(OG_INFERENCE_CONTRACT.runModelInference(second)));
    }

    function forward(bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = OG_INFERENCE_ADDRESS.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        _record(ret);
    }

    function peek(bytes calldata data) external view returns (bool ok, bytes memory ret) {
        (ok, ret) = OG_INFERENCE_ADDRESS.staticcall(data);
    }

    function completion(LLMCompletionRequest memory request)
        external
        returns (LLMCompletionResponse memory)
    {
        return OG_INFERENCE_CONTRACT.runLLMCompletion(request);
    }

    function _record(bytes memory output) private {
        calls += 1;
        lastOutput = output;
        emit Inferred(calls, keccak256(output));
    }
}
