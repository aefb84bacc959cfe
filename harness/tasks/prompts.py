"""Prompt templates: Jinja2 in a sandbox with strict undefined variables.

Templates are checked against the data before any model is called, so a template naming a
field the data lacks fails at load time with the task file and field, not mid-run.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.errors import InputError

_ENV = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def template_variables(source: str, *, path: Path, field: str) -> set[str]:
    """Names a template reads; a syntax error is reported against the task file."""
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(source)))
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}", path=path, field=field) from None


def check_templates(
    templates: Mapping[str, str], available: Mapping[str, set[str]], *, path: Path
) -> None:
    """Every variable a template names must exist in every example (`available`: id → names)."""
    for field, source in templates.items():
        needed = template_variables(source, path=path, field=field)
        for example_id, names in available.items():
            missing = sorted(needed - names)
            if missing:
                raise InputError(
                    f"template names {missing} but example {example_id!r} has only {sorted(names)}",
                    path=path,
                    field=field,
                )


def render(source: str, context: Mapping[str, Any]) -> str:
    return _compile(source).render(**context).strip()
