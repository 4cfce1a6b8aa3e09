"""What runs inside the EVM: calldata in, `PrecompileResult` (return data, gas, logs) out.

One room per precompile: `inference` (0xF4: models and LLMs), `historical` (0xF5: price
feeds) and `tee` (0x900: the TEE verifier). They share `abi` (reader and writer), `host`
(what the chain hands in and gets back), `guard`, `gas`, `limits` and `fixed_point`.
Nothing here knows py-evm, files, networks or Ape; `ogkit.chain` adapts these to py-evm.

The entry points are loaded on first use, so importing one hot-path module (`fixed_point`,
say) does not pull in the TEE verifier's cryptography.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from precompiles.addresses import (
    OG_HISTORICAL_ADDRESS,
    OG_INFERENCE_ADDRESS,
    TEE_VERIFIER_ADDRESS,
)

if TYPE_CHECKING:
    from precompiles.historical.precompile import make_og_historical
    from precompiles.host import CallContext, Precompile, PrecompileResult
    from precompiles.inference.precompile import make_og_inference
    from precompiles.tee.precompile import make_tee_verifier

_LAZY = {
    "make_og_inference": "precompiles.inference.precompile",
    "make_og_historical": "precompiles.historical.precompile",
    "make_tee_verifier": "precompiles.tee.precompile",
    "CallContext": "precompiles.host",
    "Precompile": "precompiles.host",
    "PrecompileResult": "precompiles.host",
}

__all__ = [
    "OG_HISTORICAL_ADDRESS",
    "OG_INFERENCE_ADDRESS",
    "TEE_VERIFIER_ADDRESS",
    "CallContext",
    "Precompile",
    "PrecompileResult",
    "make_og_historical",
    "make_og_inference",
    "make_tee_verifier",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'precompiles' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
