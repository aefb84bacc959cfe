"""Copy run reports into the committed baseline layout the CI gate checks against.

Layout: `<out>/<task>/<model>.json`, plus `<model>.examples.jsonl` with `--with-examples`
(needed for `check --significant`). The report's `examples_file.path` is rewritten to the
new name; its hash stays valid because the examples file is copied byte for byte.

A baseline pins every score of a full run: a run on a subset (`--limit`, `--sample`) or with
errored examples is refused unless `--allow-subset` says that is intended. Every run is read,
validated and (with its examples) verified before anything is written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.compare.loading import Run, discover_runs
from harness.errors import InputError
from harness.jsonio import atomic_write_files, file_hash, json_text
from harness.reports.store import EXAMPLES_SUFFIX

_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


@dataclass(frozen=True)
class Stored:
    """One baseline written: where, from which run, and what it covers."""

    run: Run
    report: Path
    examples: Path | None

    def describe(self) -> str:
        summary = self.run.report["summary"]
        text = (f"{self.run.task} × {self.run.model}: {self.report} "
                f"({summary['n_examples']} examples, {summary['n_errors']} errored; "
                f"from {self.run.path})")
        return text + (f" and {self.examples}" if self.examples else "")


def _safe_name(name: str, what: str) -> str:
    safe = _SAFE.sub("_", name).strip("._")
    if not safe:
        raise InputError(f"{what} name {name!r} cannot be a file name", field=what)
    return safe


def partial_reason(run: Run) -> str | None:
    """Why a run is not a full, clean run of its task (None: it is)."""
    selection, summary = run.report["selection"], run.report["summary"]
    if selection.get("ids") is not None:
        how = ", ".join(f"--{k} {selection[k]}" for k in ("limit", "sample")
                        if selection.get(k) is not None)
        return (f"it ran {len(selection['ids'])} of the task's {selection.get('n_total')} "
                f"examples ({how or 'a subset'})")
    if summary["n_errors"]:
        return f"{summary['n_errors']} of its {summary['n_examples']} examples errored"
    return None


def save_baselines(paths: Sequence[str | Path], out: Path, *, with_examples: bool = False,
                   allow_subset: bool = False) -> list[Stored]:
    """Write each run's report (newest per task × model) under `out`; returns what was stored."""
    runs = discover_runs(paths)
    for run in runs:
        reason = partial_reason(run)
        if reason and not allow_subset:
            raise InputError(f"not a full run, so not a baseline: {reason}; re-run it in full "
                             "(or pass --allow-subset if this is intended)", path=run.path)
        if with_examples and run.examples is None:
            raise InputError(f"--with-examples: {run.examples_note}", path=run.path)
    stored: list[Stored] = []
    for run in runs:
        folder = out / _safe_name(run.task, "task")
        model = _safe_name(run.model, "model")
        report = copy.deepcopy(run.report)
        meta = report["examples_file"]
        target_examples = folder / f"{model}{EXAMPLES_SUFFIX}"
        files: list[tuple[str | Path, bytes]] = []
        if with_examples:
            source = run.path.parent / str(meta["path"])
            files.append((target_examples, source.read_bytes()))
        elif target_examples.is_file() and file_hash(target_examples) != meta["sha256"]:
            target_examples.unlink()  # a stale file from an older baseline would fail its hash
        report["examples_file"] = {**meta, "path": target_examples.name}
        target = folder / f"{model}.json"
        files.append((target, json_text(report).encode("utf-8")))
        atomic_write_files(files)
        if with_examples and file_hash(target_examples) != meta["sha256"]:
            raise InputError("examples file changed while it was copied", path=target_examples)
        stored.append(Stored(run, target, target_examples if with_examples else None))
    return stored
