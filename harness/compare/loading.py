"""Finding runs and deciding whether they may be compared.

Two runs are comparable only if they scored the same task (same task hash: definition and
data), with the same metric settings, on the same example ids. Anything else would compare
numbers that mean different things, so every difference is spelled out for the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.reports.store import REPORT_SUFFIX, read_examples, read_report

_HASH_PARTS = ("definition_hash", "data_hash", "prompt_hash")


@dataclass
class Run:
    """One report, its per-example records when available, and a display label."""

    path: Path
    report: dict[str, Any]
    examples: list[dict[str, Any]] | None = None
    examples_note: str | None = None  # why `examples` is None
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.model

    @property
    def task(self) -> str:
        return str(self.report["task"]["name"])

    @property
    def model(self) -> str:
        return str(self.report["model"]["name"])

    @property
    def kind(self) -> str:
        return str(self.report["task"]["kind"])

    @property
    def run_id(self) -> str:
        return str(self.report.get("run_id", ""))

    def by_id(self) -> dict[str, dict[str, Any]]:
        """Per-example records keyed by example id (empty without an examples file)."""
        return {str(r["id"]): r for r in self.examples or []}


def load_examples(path: Path, report: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, str]:
    """The examples beside a report, or None and the reason (missing file, hash mismatch)."""
    meta = report.get("examples_file") or {}
    if not meta.get("path"):
        return None, "the report names no examples file"
    examples_path = path.parent / str(meta["path"])
    if not examples_path.is_file():
        return None, f"examples file {examples_path} is absent"
    return read_examples(path, report), ""


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _report_files(raw: str | Path) -> tuple[list[Path], bool]:
    """Report files under a path and whether it was a folder.

    In a folder every `*.json` is a report and must read as one (fail closed: a truncated or
    foreign file is an error, not skipped); hidden files and folders (`.name`, e.g. the
    `.*.tmp` a killed write leaves) are ignored, and so is every other file (examples files
    are read through their report, Markdown, JUnit XML, HTML).
    """
    path = Path(raw)
    if path.is_file():
        return [path], False
    if path.is_dir():
        found = [p for p in sorted(path.rglob(f"*{REPORT_SUFFIX}")) if not _hidden(p, path)]
        return found, True
    raise InputError("no such report file or folder", path=path)


def discover_runs(paths: Sequence[str | Path], *, examples: bool = True) -> list[Run]:
    """Runs named by files or found in folders; per folder the newest run of each task × model.

    Works for both `results/<task>/<model>/<run-id>.json` and the committed baseline layout
    `results/baselines/<task>/<model>.json`, where several models share one folder. Every
    report is validated; with `examples`, each chosen run's examples file is loaded (when
    present) and its aggregates recomputed (`verify_run`): a mismatch is an InputError.
    """
    runs: list[Run] = []
    for raw in paths:
        files, is_folder = _report_files(raw)
        newest: dict[tuple[str, str], Run] = {}
        for file in files:
            run = Run(file, read_report(file))
            key = (run.task, run.model)
            if key not in newest or run.run_id >= newest[key].run_id:
                newest[key] = run
        if is_folder and not newest:
            raise InputError("no harness reports in this folder", path=raw)
        runs.extend(newest.values())
    if examples:
        from harness.compare.verify import verify_run

        for run in runs:
            run.examples, note = load_examples(run.path, run.report)
            run.examples_note = note or None
            if run.examples is not None:
                verify_run(run)
    _unique_labels(runs)
    return runs


def _unique_labels(runs: Iterable[Run]) -> None:
    """Two runs of one model on one task (e.g. before/after) get their run ids as suffixes."""
    seen: dict[tuple[str, str], int] = {}
    runs = list(runs)
    for run in runs:
        seen[(run.task, run.model)] = seen.get((run.task, run.model), 0) + 1
    for run in runs:
        if seen[(run.task, run.model)] > 1:
            run.label = f"{run.model}@{run.run_id or run.path.stem}"


def group_by_task(runs: Sequence[Run]) -> dict[str, list[Run]]:
    """Runs per task name, in the order given."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.task, []).append(run)
    return groups


def dict_differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON values differ, with both values (for error messages)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in a:
                out.append(f"{where}: absent vs {b[key]!r}")
            elif key not in b:
                out.append(f"{where}: {a[key]!r} vs absent")
            else:
                out.extend(dict_differences(a[key], b[key], where))
        return out
    return [] if a == b else [f"{prefix or 'value'}: {a!r} vs {b!r}"]


def _short(value: Any) -> str:
    text = str(value)
    return text[:19] + "…" if text.startswith("sha256:") else text


def task_differences(base: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """What differs between two reports' task identity and metric settings (empty: same)."""
    out: list[str] = []
    bt, ot = base["task"], other["task"]
    if bt.get("hash") != ot.get("hash"):
        parts = [p.removesuffix("_hash") for p in _HASH_PARTS if bt.get(p) != ot.get(p)]
        detail = f" ({', '.join(parts)} differ)" if parts else ""
        out.append(f"task hash {_short(bt.get('hash'))} vs {_short(ot.get('hash'))}{detail}")
    if bt.get("version") != ot.get("version"):
        out.append(f"task version {bt.get('version')!r} vs {ot.get('version')!r}")
    settings = dict_differences(base.get("metric_settings"), other.get("metric_settings"))
    out.extend(f"metric_settings.{d}" for d in settings)
    return out


def selected_ids(report: dict[str, Any]) -> tuple[str, ...] | None:
    """The example ids a report was restricted to (None: all of the task's examples)."""
    ids = (report.get("selection") or {}).get("ids")
    return tuple(sorted(map(str, ids))) if ids is not None else None


def id_differences(base: Run, other: Run) -> list[str]:
    """How two runs' example id sets differ (from examples files, else the selections)."""
    if base.examples is not None and other.examples is not None:
        a, b = set(base.by_id()), set(other.by_id())
    else:
        sa, sb = selected_ids(base.report), selected_ids(other.report)
        if sa == sb:
            return []
        if sa is None or sb is None:
            which = base.label if sa is None else other.label
            return [f"example ids: {which} ran every example, the other a subset"]
        a, b = set(sa), set(sb)
    if a == b:
        return []
    out = []
    for name, only in ((base.label, sorted(a - b)), (other.label, sorted(b - a))):
        if only:
            head = ", ".join(only[:3]) + (", …" if len(only) > 3 else "")
            out.append(f"{len(only)} example id(s) only in {name}: {head}")
    return out


@dataclass
class Comparability:
    """Differences between each run and the task's baseline run, and the shared ids."""

    problems: dict[str, list[str]] = field(default_factory=dict)  # run label -> differences
    common_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def lines(self, task: str, baseline: str) -> list[str]:
        return [f"{task}: {label} vs {baseline}: {d}"
                for label, diffs in self.problems.items() for d in diffs]


def check_comparable(baseline: Run, runs: Sequence[Run]) -> Comparability:
    """Compare every run with the baseline; ids shared by all runs, in the baseline's order."""
    result = Comparability()
    for run in runs:
        if run is baseline:
            continue
        diffs = task_differences(baseline.report, run.report) + id_differences(baseline, run)
        if diffs:
            result.problems[run.label] = diffs
    order = [str(r["id"]) for r in baseline.examples or []]
    shared = set(order)
    for run in runs:
        shared &= set(run.by_id())
    result.common_ids = [i for i in order if i in shared]
    return result
