"""The model layer: a backend implements the bare call; cache, retries, rate and concurrency
limits, and token and cost accounting wrap it (`layer.py`); `adapter.py` makes the pair an
adapter.

Names are imported on first use (PEP 562), so importing this package costs nothing until a
model is used: `tenacity` and `sqlite3` load with the layer, never with `import harness`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_names

_HOMES = {
    "Backend": "backend", "Completion": "backend", "ModelError": "backend",
    "TransientError": "backend", "RateLimited": "backend", "Unreachable": "backend",
    "FatalError": "backend", "BackendAdapter": "adapter", "ModelClient": "layer",
    "LAYER_OPTIONS": "layer", "Price": "pricing", "PriceTable": "pricing",
    "ResponseCache": "cache", "retry_after_s": "retry",
}
__all__ = sorted(_HOMES)

if TYPE_CHECKING:  # what type checkers see: the same names, eagerly
    from harness.models.adapter import BackendAdapter as BackendAdapter
    from harness.models.backend import Backend as Backend
    from harness.models.backend import Completion as Completion
    from harness.models.backend import FatalError as FatalError
    from harness.models.backend import ModelError as ModelError
    from harness.models.backend import RateLimited as RateLimited
    from harness.models.backend import TransientError as TransientError
    from harness.models.backend import Unreachable as Unreachable
    from harness.models.cache import ResponseCache as ResponseCache
    from harness.models.layer import LAYER_OPTIONS as LAYER_OPTIONS
    from harness.models.layer import ModelClient as ModelClient
    from harness.models.pricing import Price as Price
    from harness.models.pricing import PriceTable as PriceTable
    from harness.models.retry import retry_after_s as retry_after_s


__getattr__, __dir__ = lazy_names(
    __name__, {name: f"harness.models.{module}" for name, module in _HOMES.items()})
