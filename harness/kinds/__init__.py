"""Task kinds: one module each (`summarization`, `stance`, `claim_stance`), registered by name.

Third-party kinds come in through `register_kind` or the `harness.kinds` entry points.
"""
