"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4), not by the suite's:

    .venv-sdk/bin/python tests/support/sdk_scripts/alpha_infer.py \
        RPC_URL KEY MODEL_CID INPUT_JSON MODES

`og.Alpha` exactly as a user writes it for the alpha testnet, with only the RPC URL changed:
the hub address, the API URL and everything else keep the SDK's defaults. Prints one JSON
line per mode (MODES: comma-separated InferenceMode names, e.g. VANILLA,ZKML,TEE): the mode,
the transaction hash and the model output (name -> float32 values as repr, dtype, shape).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import opengradient as og


def main() -> None:
    rpc_url, private_key, model_cid, inputs, modes = sys.argv[1:6]
    alpha = og.Alpha(private_key=private_key, rpc_url=rpc_url)
    for mode in modes.split(","):
        result = alpha.infer(model_cid, og.InferenceMode[mode], json.loads(inputs))
        output = {
            name: {
                "values": [repr(x.item()) for x in np.asarray(array).reshape(-1)],
                "dtype": str(np.asarray(array).dtype),
                "shape": list(np.asarray(array).shape),
            }
            for name, array in result.model_output.items()
        }
        print(json.dumps({"mode": mode, "tx_hash": result.transaction_hash, "output": output}))


if __name__ == "__main__":
    main()
