"""The OGInference ABI shipped with the plugin, so any project can decode 0xF4's events."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from ethpm_types import ContractType

ABI_FILE = "OGInference.abi.json"


@cache
def og_inference_abi() -> list[dict]:
    return json.loads(files("ape_opengradient").joinpath("data", ABI_FILE).read_text())


@cache
def og_inference_contract_type() -> ContractType:
    return ContractType.model_validate({"contractName": "OGInference", "abi": og_inference_abi()})
