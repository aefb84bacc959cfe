"""Every run under the given paths (not only the newest), and which of them may be ranked.

A task's ranking uses each model's newest run. Runs are ranked together only when they are
comparable (same task hash and version, metric settings, example ids: see
`compare.loading`); the largest comparable set is ranked and every other run is listed with
the reason it was left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.compare.loading import Run, id_differences, load_examples, task_differences
from harness.errors import InputError
from harness.reports.store import EXAMPLES_SUFFIX, REPORT_SUFFIX, read_report


def run_time(run: Run) -> tuple[str, str]:
    """Chronological order of runs: start time, then run id (both sort as text)."""
    return str(run.report.get("started_at") or ""), run.run_id


def load_all_runs(paths: Sequence[str | Path]) -> list[Run]:
    """Every report under `paths` (files or folders), with its per-example records."""
    runs: list[Run] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files, folder = [path], False
        elif path.is_dir():
            files = [p for p in sorted(path.rglob(f"*{REPORT_SUFFIX}"))
                     if not p.name.endswith(EXAMPLES_SUFFIX)]
            folder = True
        else:
            raise InputError("no such report file or folder", path=path)
        found = 0
        for file in files:
            if file.resolve() in seen:
                continue
            try:
                report = read_report(file)
            except InputError:
                if folder:
                    continue  # some other JSON file inside a results folder
                raise
            seen.add(file.resolve())
            run = Run(file, report)
            run.examples, note = load_examples(file, report)
            run.examples_note = note or None
            runs.append(run)
            found += 1
        if folder and not found:
            raise InputError("no harness reports in this folder", path=path)
    if not runs:
        raise InputError("no runs given", field="RUN")
    return runs


def newest_per_model(runs: Sequence[Run]) -> list[Run]:
    """Each model's newest run, in the order models first appear."""
    newest: dict[str, Run] = {}
    for run in runs:
        if run.model not in newest or run_time(run) >= run_time(newest[run.model]):
            newest[run.model] = run
    return list(newest.values())


def _key(run: Run) -> str:
    """Runs with equal keys are comparable (what `task_differences` and ids compare)."""
    task = run.report["task"]
    ids = sorted(run.by_id())
    return json.dumps([task.get("hash"), task.get("version"),
                       run.report.get("metric_settings"), ids], sort_keys=True, default=str)


@dataclass
class RankableSet:
    ranked: list[Run]
    left_out: list[tuple[Run, list[str]]]  # run, why it is not ranked with the others


def comparable_set(runs: Sequence[Run]) -> RankableSet:
    """The largest set of comparable runs (ties: the one holding the newest run)."""
    usable = [r for r in runs if r.examples]
    left: list[tuple[Run, list[str]]] = [
        (r, [f"no per-example records: {r.examples_note or 'empty examples file'}"])
        for r in runs if not r.examples]
    clusters: dict[str, list[Run]] = {}
    for run in usable:
        clusters.setdefault(_key(run), []).append(run)
    if not clusters:
        return RankableSet([], left)
    best = max(clusters.values(), key=lambda c: (len(c), max(run_time(r) for r in c)))
    reference = max(best, key=run_time)
    chosen = {id(r) for r in best}
    for run in usable:
        if id(run) not in chosen:
            why = task_differences(reference.report, run.report) + id_differences(reference, run)
            left.append((run, [f"differs from {reference.label}'s run: {d}" for d in why]
                         or ["not comparable with the ranked runs"]))
    return RankableSet(best, left)
