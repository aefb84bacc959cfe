"""What a model call cost, from a price table in USD per 1M tokens.

An unknown model costs `None` ("unknown"), never 0: a zero would make a paid run look free.
The built-in table covers a few OpenAI models (list prices; check the provider's pricing page,
they change); extend or override it with a models config entry's `price:` or `--prices FILE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InputError


@dataclass(frozen=True)
class Price:
    """USD per 1M prompt (input) and completion (output) tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """Cost of one call; None when the server did not report usage."""
        if prompt_tokens is None or completion_tokens is None:
            return None
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "gpt-3.5-turbo": Price(0.50, 1.50),
}


def parse_price(value: Any, *, where: str | Path | None = None, model: str = "") -> Price:
    """`{input: USD/1M, output: USD/1M}` → Price; anything else is an input error."""
    if not isinstance(value, Mapping) or set(value) - {"input", "output"} or not value:
        raise InputError("a price is {input: USD per 1M tokens, output: USD per 1M tokens}",
                         path=where, field=f"{model}.price" if model else "price")
    try:
        price = Price(float(value["input"]), float(value["output"]))
    except (KeyError, TypeError, ValueError):
        raise InputError("price needs numeric input and output (USD per 1M tokens)",
                         path=where, field=f"{model}.price" if model else "price") from None
    if not (0 <= price.input < float("inf") and 0 <= price.output < float("inf")):  # NaN too
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
