"""Text processing shared by scorers (Arabic normalization and tokenization for ROUGE)."""

from harness.text.arabic import ArabicTokenizer, NormalizationOptions

__all__ = ["ArabicTokenizer", "NormalizationOptions"]
