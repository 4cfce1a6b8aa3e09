"""What an LLM call costs in OPG: per-token prices, the quote a 402 asks, the `upto` charge.

Prices are OPG atomic units (1 OPG = 10**18) per token, by model, with a default. A request is
quoted before it runs, for its prompt and the most it may generate (`max_tokens`): `exact` asks
that sum, `upto` signs it as the cap. After the run, `upto` charges the tokens really used, never
more than the cap (a stream cut by the client charges what was delivered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_INPUT_PRICE = 10**12
"""0.000001 OPG per prompt token."""
DEFAULT_OUTPUT_PRICE = 4 * 10**12
"""0.000004 OPG per generated token."""


class PriceError(ValueError):
    """A price that cannot be: negative, or not `IN:OUT` integers."""


@dataclass(frozen=True)
class TokenPrice:
    input: int = DEFAULT_INPUT_PRICE
    """Atomic OPG per prompt token."""
    output: int = DEFAULT_OUTPUT_PRICE
    """Atomic OPG per generated token."""

    def __post_init__(self) -> None:
        if self.input < 0 or self.output < 0:
            raise PriceError(f"prices must not be negative: {self.input}:{self.output}")

    def quote(self, prompt_tokens: int, max_tokens: int) -> int:
        """The most a call may cost: what `exact` asks and `upto` signs as its cap."""
        return _tokens(prompt_tokens) * self.input + _tokens(max_tokens) * self.output

    def charge(self, prompt_tokens: int, completion_tokens: int, cap: int) -> int:
        """What `upto` settles for the tokens used, at most `cap`."""
        used = _tokens(prompt_tokens) * self.input + _tokens(completion_tokens) * self.output
        return min(used, cap)

    @classmethod
    def parse(cls, text: str) -> TokenPrice:
        """`IN:OUT` atomic units per token, e.g. `1000000000000:4000000000000`."""
        parts = text.split(":")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise PriceError(f"{text!r} is not IN:OUT (atomic OPG per prompt and output token)")
        return cls(int(parts[0]), int(parts[1]))


@dataclass(frozen=True)
class PriceList:
    """Prices by model name, and the price of any other model."""

    default: TokenPrice = TokenPrice()
    models: dict[str, TokenPrice] = field(default_factory=dict)

    def of(self, model: str) -> TokenPrice:
        return self.models.get(model, self.default)

    def with_model(self, model: str, price: TokenPrice) -> PriceList:
        return PriceList(self.default, {**self.models, model: price})


def _tokens(count: int) -> int:
    if count < 0:
        raise PriceError(f"a token count must not be negative: {count}")
    return int(count)
