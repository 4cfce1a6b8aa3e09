"""The AI fork: Prague with OpenGradient's precompiles, as three small subclasses.

The State must be replaced too, because it owns `computation_class`, which also decides
which addresses count as warm under EIP-2929. eth-tester special-cases `PragueVM`, so these
subclass the real fork classes.
"""

from __future__ import annotations

from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState

from ogkit.chain.precompile_adapter import as_py_evm
from ogkit.tee.enclave import dev_root_pem
from precompiles.addresses import (
    OG_HISTORICAL_ADDRESS,
    OG_INFERENCE_ADDRESS,
    TEE_VERIFIER_ADDRESS,
)
from precompiles.historical.precompile import make_og_historical
from precompiles.host import LLMBackend, ModelBackend, PriceFeedBackend
from precompiles.inference.precompile import make_og_inference
from precompiles.tee.precompile import make_tee_verifier


class AIComputation(PragueComputation):
    """Prague's precompiles; `ai_vm_configuration` adds the AI ones bound to a backend."""


class AIState(PragueState):
    computation_class = AIComputation


class AIVM(PragueVM):
    fork = "prague+opengradient"
    _state_class = AIState


def ai_vm_class(
    backend: ModelBackend,
    *,
    tee_root_pem: bytes | None = None,
    price_feed: PriceFeedBackend | None = None,
    llm_backend: LLMBackend | None = None,
) -> type[AIVM]:
    """`tee_root_pem`: the root 0x900 trusts for an empty `rootCertificate` (og-evm: AWS
    Nitro's); None means the project's local dev root, for development only.
    `price_feed`: what 0xF5 serves; None means `ogkit.pricefeed.default_price_feed()`.
    `llm_backend`: what runs 0xF4's LLM functions; None makes them revert."""
    tee_root = tee_root_pem if tee_root_pem is not None else dev_root_pem()
    if price_feed is None:
        from ogkit.pricefeed import default_price_feed

        price_feed = default_price_feed()
    precompiles = {
        **PragueComputation._precompiles,
        OG_INFERENCE_ADDRESS: as_py_evm(make_og_inference(backend, llm_backend), "OGInference"),
        TEE_VERIFIER_ADDRESS: as_py_evm(make_tee_verifier(tee_root), "TEEVerifier"),
        OG_HISTORICAL_ADDRESS: as_py_evm(make_og_historical(price_feed, backend), "OGHistorical"),
    }
    computation = AIComputation.configure(__name__="AIComputation", _precompiles=precompiles)
    state = AIState.configure(__name__="AIState", computation_class=computation)
    return AIVM.configure(__name__="AIVM", _state_class=state)


def ai_vm_configuration(
    backend: ModelBackend,
    *,
    tee_root_pem: bytes | None = None,
    price_feed: PriceFeedBackend | None = None,
    llm_backend: LLMBackend | None = None,
) -> tuple[tuple[int, type[AIVM]], ...]:
    """`vm_configuration` for py-evm or eth-tester: the AI fork from genesis on."""
    vm = ai_vm_class(
        backend, tee_root_pem=tee_root_pem, price_feed=price_feed, llm_backend=llm_backend
    )
    return ((0, vm),)
