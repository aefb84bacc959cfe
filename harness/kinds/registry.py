"""Task kinds by name: built-ins, `register_kind`, and the `harness.kinds` entry points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.kinds.base import ExampleView, TaskKind
from harness.plugins import Registry

KINDS: Registry[type[TaskKind]] = Registry(
    "task kind", TaskKind, "harness.kinds",
    builtins=("harness.kinds.summarization", "harness.kinds.stance",
              "harness.kinds.claim_stance"),
)
register_kind = KINDS.register


def get_kind(name: str) -> TaskKind:
    return KINDS.get(name, field="kind")()


def kind_view(name: str, record: Mapping[str, Any]) -> ExampleView:
    """How a record's inputs are shown; a kind not installed here shows none (only outputs)."""
    return get_kind(name).view(record) if name in KINDS else ExampleView()
