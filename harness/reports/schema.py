"""The shipped report JSON Schema, and where a report read from disk breaks it.

Every report `check`, `compare` and `baseline` read is validated against it, so a truncated,
hand-edited or foreign file is an input error naming the file and the key (a JSON pointer),
never a run that is silently skipped or a traceback deep inside a comparison.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a report is read, not for `harness --help`
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
_MESSAGE_CHARS = 200  # a schema message quotes the offending value: keep it short


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _validator() -> Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(report_schema())


def _pointer(error: ValidationError) -> str:
    """RFC 6901 pointer to the failing key (for a missing key, the key itself)."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        parts += [k for k in error.validator_value if k not in error.instance][:1]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def schema_problem(report: Any) -> tuple[str, str] | None:
    """(JSON pointer, message) of the first place `report` breaks the schema; None if valid.

    "First" is the error at the shortest, then alphabetically first, path: deterministic, and
    a missing top-level key is named before anything inside the keys that are present.
    """
    errors = sorted(_validator().iter_errors(report),
                    key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    if not errors:
        return None
    message = errors[0].message
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS] + "…"
    return _pointer(errors[0]), message
