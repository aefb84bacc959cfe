"""Text processing shared by scorers (Arabic normalization and tokenization for ROUGE).

Names load on first use (PEP 562): validating a task needs only `NormalizationOptions`, not
the tokenizer and its `regex` patterns.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.text.arabic import ArabicTokenizer
    from harness.text.options import NormalizationOptions

__all__ = ["ArabicTokenizer", "NormalizationOptions"]

_MODULE_OF = {
    "ArabicTokenizer": "harness.text.arabic",
    "NormalizationOptions": "harness.text.options",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'harness.text' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
