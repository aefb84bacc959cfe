"""Text processing shared by scorers (Arabic normalization and tokenization for ROUGE).

Names load on first use (PEP 562): validating a task needs only `NormalizationOptions`, not
the tokenizer and its `regex` patterns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_names

if TYPE_CHECKING:
    from harness.text.arabic import ArabicTokenizer
    from harness.text.options import NormalizationOptions

__all__ = ["ArabicTokenizer", "NormalizationOptions"]

_MODULE_OF = {
    "ArabicTokenizer": "harness.text.arabic",
    "NormalizationOptions": "harness.text.options",
}


__getattr__, __dir__ = lazy_names(__name__, _MODULE_OF)
