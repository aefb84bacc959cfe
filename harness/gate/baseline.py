"""Copy run reports into the committed baseline layout the CI gate checks against.

Layout: `<out>/<task>/<model>.json`, plus `<model>.examples.jsonl` with `--with-examples`
(needed for `check --significant`). The report's `examples_file.path` is rewritten to the
new name; its hash stays valid because the examples file is copied byte for byte.
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from harness.compare.loading import discover_runs
from harness.errors import InputError
from harness.jsonio import atomic_write_json, file_hash
from harness.reports.store import EXAMPLES_SUFFIX

_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def _safe_name(name: str, what: str) -> str:
    safe = _SAFE.sub("_", name).strip("._")
    if not safe:
        raise InputError(f"{what} name {name!r} cannot be a file name", field=what)
    return safe


def save_baselines(paths: Sequence[str | Path], out: Path, *, with_examples: bool = False
                   ) -> list[Path]:
    """Write each run's report (newest per task × model) under `out`; returns written files."""
    runs = discover_runs(paths, examples=False)
    written: list[Path] = []
    for run in runs:
        folder = out / _safe_name(run.task, "task")
        model = _safe_name(run.model, "model")
        report = copy.deepcopy(run.report)
        examples_name = f"{model}{EXAMPLES_SUFFIX}"
        target_examples = folder / examples_name
        meta = report.get("examples_file") or {}
        if with_examples:
            source = run.path.parent / str(meta.get("path", ""))
            if not meta.get("path") or not source.is_file():
                raise InputError("--with-examples: this report's examples file is missing",
                                 path=run.path)
            if file_hash(source) != meta.get("sha256"):
                raise InputError("examples file does not match the hash in its report",
                                 path=source)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target_examples)
            written.append(target_examples)
        elif target_examples.is_file() and file_hash(target_examples) != meta.get("sha256"):
            target_examples.unlink()  # a stale file from an older baseline would fail its hash
        report["examples_file"] = {**meta, "path": examples_name}
        target = folder / f"{model}.json"
        atomic_write_json(target, report)
        written.append(target)
    return written
