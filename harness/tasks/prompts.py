"""Prompt templates: Jinja2 in a sandbox with strict undefined variables.

Templates are checked against the data before any model is called: each is parsed (syntax,
and no `include` / `import` / `extends`: a template is one string in the task file), its
variables are matched against every example, and it is rendered once per example, so an
undefined attribute, a sandbox refusal or an overflow fails at load time naming the task file
and the template, never mid-run after paid calls.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.errors import InputError

MAX_RENDERED_CHARS = 1_000_000  # a prompt longer than this is a template bug, not a prompt
_REFUSED_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a cap on what `*` and `**` may build (`'a' * 10**10`)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        from jinja2.exceptions import SecurityError

        if operator == "%":
            _check_sizes(left, right)
            return left % right
        if operator == "**":
            if isinstance(right, int) and abs(right) > 64:
                raise SecurityError(f"exponent {right} is too large")
            return left ** right
        for seq, count in ((left, right), (right, left)):
            if (isinstance(seq, str | list | tuple) and isinstance(count, int)
                    and len(seq) * count > MAX_RENDERED_CHARS):
                raise SecurityError(f"repeating a sequence {count} times is too large")
        return left * right

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """No call may take a size beyond the cap (`'a'.center(10**9)`)."""

        bound = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        _check_sizes(getattr(bound, "__self__", None), *args, *kwargs.values())
        return super().call(__context, __obj, *args, **kwargs)


_HUGE_WIDTH = re.compile(r"%[-+ #0]*(\*|\d{7,})|\{[^{}]*:[^{}]*\d{7,}")


def _check_sizes(*values: Any) -> None:
    """Refuse an int argument, or a format string width, beyond the rendered-size cap."""
    from jinja2.exceptions import SecurityError

    for value in values:
        if isinstance(value, int) and abs(value) > MAX_RENDERED_CHARS:
            raise SecurityError(f"argument {value} is too large")
        if isinstance(value, str) and _HUGE_WIDTH.search(value):
            raise SecurityError("format width too large")
        if isinstance(value, tuple | list):
            _check_sizes(*value[:100])


def _capped_filter(function: Any) -> Any:
    """A filter that refuses sizes beyond the cap (`'a'|center(10**9)`), else the filter."""

    @functools.wraps(function)
    def capped(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(*args, *kwargs.values())
        return function(*args, **kwargs)

    return capped


_ENV = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
_ENV.filters = {name: _capped_filter(f) for name, f in _ENV.filters.items()}


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def template_variables(source: str, *, path: Path, field: str) -> set[str]:
    """Names a template reads; a syntax error or a refused tag is reported against the task."""
    try:
        tree = _ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"template syntax error: {exc.message}", path=path, field=field) from None
    except RecursionError:
        raise InputError("template nested too deeply", path=path, field=field) from None
    refused = next(iter(tree.find_all(_REFUSED_NODES)), None)
    if refused is not None:
        raise InputError(f"template uses '{type(refused).__name__.lower()}': a prompt is one "
                         "template in the task file and may not load others",
                         path=path, line=None, field=field)
    return set(meta.find_undeclared_variables(tree))


def check_templates(
    templates: Mapping[str, str], contexts: Mapping[str, Mapping[str, Any]], *, path: Path
) -> None:
    """Every variable a template names exists in every example (`contexts`: id → variables),
    and the template renders for every example."""
    for field, source in templates.items():
        needed = template_variables(source, path=path, field=field)
        for example_id, context in contexts.items():
            missing = sorted(needed - set(context))
            if missing:
                raise InputError(
                    f"template names {missing} but example {example_id!r} has only "
                    f"{sorted(context)}", path=path, field=field)
            try:
                render(source, context)
            except InputError as exc:
                raise InputError(f"{exc.message} (example {example_id!r})", path=path,
                                 field=field) from None


def render(source: str, context: Mapping[str, Any]) -> str:
    """The rendered prompt; any template failure is an `InputError` (the caller names where)."""
    try:
        text = _compile(source).render(**context).strip()
    except jinja2.UndefinedError as exc:
        raise InputError(f"template error: {exc.message}") from None
    except jinja2.TemplateError as exc:  # SecurityError, TemplateNotFound, runtime errors
        raise InputError(f"template error: {type(exc).__name__}: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, RecursionError, MemoryError) as exc:
        raise InputError(f"template error: {type(exc).__name__}: {exc}") from None
    if len(text) > MAX_RENDERED_CHARS:
        raise InputError(f"template renders {len(text)} characters (at most "
                         f"{MAX_RENDERED_CHARS})")
    return text
