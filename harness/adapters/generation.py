"""Generation settings are the runner's: overrides are split off model specs here, checked,
and layered over a task's settings, so no adapter holds (or is asked for) them.

Precedence, lowest first: the task file, a models-config entry, run-wide overrides (the CLI's
flags), the `--model` spec's own options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from harness.adapters.base import GenerationSettings
from harness.errors import InputError

GENERATION_KEYS = tuple(f.name for f in fields(GenerationSettings))


def split_generation(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(adapter options, generation overrides) from one spec's or config entry's options."""
    rest = {k: v for k, v in options.items() if k not in GENERATION_KEYS}
    return rest, {k: v for k, v in options.items() if k in GENERATION_KEYS}


def check_generation(values: Mapping[str, Any], *, path: str | Path | None = None,
                     names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The overrides that were given (None: not given), checked against the task file's bounds.

    An error names the setting as the user wrote it: `names[key]` (a CLI flag, a config entry's
    field), else the key itself (a `--model` spec option).
    """
    from pydantic import ValidationError

    from harness.tasks.spec import GenerationSpec  # one home for the bounds

    given = {k: (v,) if k == "stop" and isinstance(v, str) else v
             for k, v in values.items() if v is not None}
    try:
        checked = GenerationSpec.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "generation"
        raise InputError(f"{error['msg']}, got {given.get(key)!r}", path=path,
                         field=(names or {}).get(key, key)) from None
    return {k: getattr(checked, k) for k in given}


def effective_generation(task: Mapping[str, Any] | GenerationSettings,
                         *overrides: Mapping[str, Any]) -> GenerationSettings:
    """The task's settings with each layer of checked overrides applied, later ones winning."""
    settings = task if isinstance(task, GenerationSettings) else GenerationSettings(**task)
    for layer in overrides:
        settings = replace(settings, **layer)
    return settings
