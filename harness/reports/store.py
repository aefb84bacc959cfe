"""Where reports live and how they are written and read: atomically, the report last.

Layout: results/<task>/<model>/<run-id>.json with <run-id>.examples.jsonl beside it. Both are
staged (written and fsynced) first; the examples file is renamed into place before the report,
whose `examples_file.sha256` names its bytes, so a report on disk always points at a complete
examples file. Reading validates the report against the shipped schema.
"""

from __future__ import annotations

import json
import math
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.jsonio import (
    atomic_write_files,
    file_hash,
    iter_jsonl,
    json_text,
    jsonl_text,
    remove_leftovers,
    sha256_text,
)
from harness.reports.schema import schema_problem

REPORT_SUFFIX = ".json"
EXAMPLES_SUFFIX = ".examples.jsonl"
STALE_AFTER_S = 300.0  # a leftover untouched this long is no live writer's: `write_run` removes it
_FINITE_SECTIONS = ("summary", "metrics", "metrics_answered")  # numbers the gate acts on


def new_run_id(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(4)}"


def is_orphan_examples(path: Path) -> bool:
    """An examples file whose report is absent (a write killed between the two renames)."""
    return (path.name.endswith(EXAMPLES_SUFFIX)
            and not path.with_name(path.name.removesuffix(EXAMPLES_SUFFIX) + REPORT_SUFFIX)
            .exists())


def write_run(results_dir: Path, report: dict[str, Any], examples: list[dict[str, Any]]) -> Path:
    folder = results_dir / report["task"]["name"] / report["model"]["name"]
    remove_leftovers(folder, is_orphan_examples, STALE_AFTER_S)
    run_id = report["run_id"]
    examples_path = folder / f"{run_id}{EXAMPLES_SUFFIX}"
    examples_text = jsonl_text(examples)
    report["examples_file"] = {"path": examples_path.name,
                               "sha256": "sha256:" + sha256_text(examples_text)}
    report_path = folder / f"{run_id}{REPORT_SUFFIX}"
    atomic_write_files([(examples_path, examples_text.encode("utf-8")),
                        (report_path, json_text(report).encode("utf-8"))])
    return report_path


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _non_finite(value: Any, pointer: str) -> str | None:
    """Pointer to the first NaN or infinity inside `value` (a gate comparison would lie)."""
    if isinstance(value, float) and not math.isfinite(value):
        return pointer
    if isinstance(value, dict):
        for key, inner in value.items():
            found = _non_finite(inner, f"{pointer}/{key}")
            if found:
                return found
    return None


def check_report(report: Any, path: Path) -> dict[str, Any]:
    """`report` if it matches the shipped schema; else an InputError naming file and key."""
    problem = schema_problem(report)
    if problem is not None:
        pointer, message = problem
        raise InputError(f"not a valid harness report: {message}", path=path, field=pointer)
    for section in _FINITE_SECTIONS:
        where = _non_finite(report.get(section), f"/{section}")
        if where:
            raise InputError("not a finite number", path=path, field=where)
    return dict(report)


def read_report(path: str | Path) -> dict[str, Any]:
    """A report file, parsed strictly and validated against the shipped schema."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("report not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", path=path) from None
    try:
        report = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise InputError(f"not a JSON report: invalid UTF-8 at byte {exc.start}",
                         path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a JSON report (truncated or corrupted?): {exc.msg} "
                         f"(column {exc.colno})", path=path, line=exc.lineno) from None
    except ValueError as exc:  # NaN / Infinity, or an integer too long to convert
        raise InputError(f"not a JSON report: {exc}", path=path) from None
    except RecursionError:
        raise InputError("not a JSON report: nested too deeply", path=path) from None
    return check_report(report, path)


def read_examples(report_path: str | Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-example records of a report, checked against the hash the report recorded."""
    examples_path = Path(report_path).parent / report["examples_file"]["path"]
    if file_hash(examples_path) != report["examples_file"]["sha256"]:
        raise InputError("examples file does not match the hash in its report", path=examples_path)
    return [row for _, row in iter_jsonl(examples_path)]
