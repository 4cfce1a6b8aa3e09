"""Four small, deterministic example ONNX models for demos, tests and benchmarks.

Every model is built from scratch with `onnx.helper`: its parameters are fitted with numpy on
synthetic data drawn from fixed seeds, rounded, and serialised with a fixed producer and no
timestamps, so a build gives the same bytes every run (and so the same content address in the
model store). No ai.onnx.ml operators are used, so the numeric models stay provable with EZKL.

One module per model family (`volatility`, `credit_risk`, `sentiment`, `upstream_demo`),
`common` for what they share, `registry` for the names, files and sample inputs.
"""

from og_examples.models.credit_risk import CREDIT_RISK_CLASSES, CREDIT_RISK_FEATURES
from og_examples.models.registry import (
    EXAMPLES,
    EXAMPLES_DOC,
    ExampleModel,
    build_examples,
    fit_quality,
    sample_input,
)
from og_examples.models.sentiment import SENTIMENT_LEXICON
from og_examples.models.upstream_demo import (
    UPSTREAM_DEMO_ALIAS,
    UPSTREAM_DEMO_BIAS,
    UPSTREAM_DEMO_WEIGHTS,
)

__all__ = [
    "CREDIT_RISK_CLASSES",
    "CREDIT_RISK_FEATURES",
    "EXAMPLES",
    "EXAMPLES_DOC",
    "SENTIMENT_LEXICON",
    "UPSTREAM_DEMO_ALIAS",
    "UPSTREAM_DEMO_BIAS",
    "UPSTREAM_DEMO_WEIGHTS",
    "ExampleModel",
    "build_examples",
    "fit_quality",
    "sample_input",
]
