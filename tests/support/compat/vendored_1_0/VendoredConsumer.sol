// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

// What a contract compiled against a *vendored copy* of the 1.0.x OGInference.sol sees: the
// same `runModelInference` selector, but a `ModelOutput` without `jsons`. Written here (only
// the declarations such a contract needs) to show the one case the chain cannot serve.

library TensorLib {
    struct Number {
        int128 value;
        int128 decimals;
    }

    struct MultiDimensionalNumberTensor {
        string name;
        Number[] values;
        uint32[] shape;
    }

    struct StringTensor {
        string name;
        string[] values;
    }
}

enum ModelInferenceMode {
    VANILLA,
    ZK,
    TEE
}

struct ModelInput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
}

struct ModelInferenceRequest {
    ModelInferenceMode mode;
    string modelCID;
    ModelInput input;
}

/// @dev 1.0.x: no `jsons`.
struct ModelOutput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
    bool is_simulation_result;
}

interface OGInference {
    function runModelInference(ModelInferenceRequest memory request)
        external
        returns (ModelOutput memory);
}

contract VendoredConsumer {
    int128 public result;

    function run(string memory modelId, TensorLib.Number[] memory values) external {
        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1),
            new TensorLib.StringTensor[](0)
        );
        uint32[] memory shape = new uint32[](1);
        shape[0] = uint32(values.length);
        input.numbers[0] = TensorLib.MultiDimensionalNumberTensor("input", values, shape);
        ModelOutput memory output = OGInference(address(0xF4)).runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, modelId, input)
        );
        result = output.numbers[0].values[0].value;
    }
}
