"""Where reports live and how they are written: atomically, the report last.

Layout: results/<task>/<model>/<run-id>.json with <run-id>.examples.jsonl beside it. The
examples file is written first and the report names its hash, so a report on disk always
points at a complete examples file.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.jsonio import atomic_write_json, atomic_write_jsonl, file_hash, iter_jsonl

REPORT_SUFFIX = ".json"
EXAMPLES_SUFFIX = ".examples.jsonl"


def new_run_id(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(4)}"


def write_run(results_dir: Path, report: dict[str, Any], examples: list[dict[str, Any]]) -> Path:
    folder = results_dir / report["task"]["name"] / report["model"]["name"]
    run_id = report["run_id"]
    examples_path = folder / f"{run_id}{EXAMPLES_SUFFIX}"
    atomic_write_jsonl(examples_path, examples)
    report["examples_file"] = {"path": examples_path.name, "sha256": file_hash(examples_path)}
    report_path = folder / f"{run_id}{REPORT_SUFFIX}"
    atomic_write_json(report_path, report)
    return report_path


def read_report(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("report not found", path=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON report: {exc}", path=path) from None
    if not isinstance(report, dict) or "schema_version" not in report:
        raise InputError("not a harness report (no schema_version)", path=path)
    return report


def read_examples(report_path: str | Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-example records of a report, checked against the hash the report recorded."""
    examples_path = Path(report_path).parent / report["examples_file"]["path"]
    if file_hash(examples_path) != report["examples_file"]["sha256"]:
        raise InputError("examples file does not match the hash in its report", path=examples_path)
    return [row for _, row in iter_jsonl(examples_path)]
