"""What a model call cost, from a price table in USD per 1M tokens.

An unknown model costs `None` ("unknown"), never 0: a zero would make a paid run look free.
The built-in table covers a few OpenAI models (list prices; check the provider's pricing page,
they change); extend or override it with a models config entry's `price:` or `--prices FILE`.
A price may also give `batch_input`/`batch_output`: what answers from a provider's batch API
cost (the built-in OpenAI models: half the list price). Without them a batch answer's cost is
unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InputError


@dataclass(frozen=True)
class Price:
    """USD per 1M prompt (input) and completion (output) tokens; batch-API prices if known."""

    input: float
    output: float
    batch_input: float | None = None
    batch_output: float | None = None

    def batch(self) -> Price | None:
        """The price of answers from the provider's batch API (None: unknown)."""
        if self.batch_input is None or self.batch_output is None:
            return None
        return Price(self.batch_input, self.batch_output)

    def describe(self) -> dict[str, float]:
        return {"input": self.input, "output": self.output}

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """Cost of one call; None when the server did not report usage."""
        if prompt_tokens is None or completion_tokens is None:
            return None
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


BATCH_DISCOUNT = 0.5  # OpenAI's Batch API: half the list price


def _openai(input: float, output: float) -> Price:
    return Price(input, output, input * BATCH_DISCOUNT, output * BATCH_DISCOUNT)


BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": _openai(2.50, 10.00),
    "gpt-4o-mini": _openai(0.15, 0.60),
    "gpt-4.1": _openai(2.00, 8.00),
    "gpt-4.1-mini": _openai(0.40, 1.60),
    "gpt-4.1-nano": _openai(0.10, 0.40),
    "o3-mini": _openai(1.10, 4.40),
    "o4-mini": _openai(1.10, 4.40),
    "gpt-3.5-turbo": _openai(0.50, 1.50),
}
PRICE_KEYS = ("input", "output", "batch_input", "batch_output")


def parse_price(value: Any, *, where: str | Path | None = None, model: str = "") -> Price:
    """`{input: USD/1M, output: USD/1M[, batch_input, batch_output]}` → Price; anything else
    is an input error."""
    if not isinstance(value, Mapping) or set(value) - set(PRICE_KEYS) or not value:
        raise InputError("a price is {input: USD per 1M tokens, output: USD per 1M tokens} "
                         "(optionally batch_input, batch_output)",
                         path=where, field=f"{model}.price" if model else "price")
    try:
        batch = [None if value.get(k) is None else float(value[k]) for k in PRICE_KEYS[2:]]
        price = Price(float(value["input"]), float(value["output"]), *batch)
    except (KeyError, TypeError, ValueError):
        raise InputError("price needs numeric input and output (USD per 1M tokens)",
                         path=where, field=f"{model}.price" if model else "price") from None
    if not all(0 <= p < float("inf") for p in (price.input, price.output, *batch)
               if p is not None):  # NaN fails the comparison too
        raise InputError("prices must be finite and not negative", path=where,
                         field=f"{model}.price")
    return price


def load_prices(path: str | Path) -> dict[str, Price]:
    """A YAML file `{model-name: {input: ..., output: ...}}`."""
    from harness.tasks.yamlsafe import load_yaml

    data, _ = load_yaml(Path(path))
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping of model name to {input, output}", path=path)
    return {str(model): parse_price(value, where=path, model=str(model))
            for model, value in data.items()}


class PriceTable:
    """Built-in prices plus user overrides; looks dated snapshots up by their base name."""

    def __init__(self, extra: Mapping[str, Price] | None = None) -> None:
        self.prices = {**BUILTIN_PRICES, **(extra or {})}

    def lookup(self, model: str) -> Price | None:
        """Exact name, else the longest known name that `model` extends (`gpt-4o-2024-08-06`)."""
        if model in self.prices:
            return self.prices[model]
        bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o-mini" from routers
        candidates = [name for name in self.prices
                      if bare == name or bare.startswith(name + "-")]
        return self.prices[max(candidates, key=len)] if candidates else None

    def cost(self, model: str, prompt_tokens: int | None,
             completion_tokens: int | None) -> float | None:
        price = self.lookup(model)
        return price.cost(prompt_tokens, completion_tokens) if price else None
