"""Per-task comparison numbers: metric tables with CIs, paired tests against a baseline, and
per-example score differences.

Runs are compared on the same examples, so every test here is paired; each metric family
chooses its own test (paired bootstrap for means and corpus statistics, exact McNemar for
accuracy). This module only aligns records and asks the families: it names none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.compare.loading import Comparability, Run, check_comparable
from harness.errors import InputError
from harness.metrics.base import Entry, Metric, entry
from harness.metrics.registry import headline_values, metrics_from_report, value_info
from harness.scoring.bootstrap import DEFAULT_BOOTSTRAP, BootstrapConfig
from harness.scoring.significance import PairedResult
from harness.scoring.task_scores import aggregate


def bootstrap_config(report: dict[str, Any], resamples: int | None = None,
                     seed: int | None = None) -> BootstrapConfig:
    """The report's own bootstrap settings, overridden by --resamples / --seed."""
    recorded = (report.get("metric_settings") or {}).get("bootstrap") or {}
    return BootstrapConfig(
        resamples=resamples or int(recorded.get("resamples", DEFAULT_BOOTSTRAP.resamples)),
        seed=seed if seed is not None else int(recorded.get("seed", DEFAULT_BOOTSTRAP.seed)),
        confidence=float(recorded.get("confidence", DEFAULT_BOOTSTRAP.confidence)),
    )


def higher_is_better(report: dict[str, Any], name: str) -> bool:
    """A value's direction as its report declares it; an unknown value is an input error."""
    from harness.scoring.groups import split_qualified

    info = value_info(report).get(split_qualified(name)[0])
    if info is None:
        raise InputError(f"the report does not say what {name!r} means (no metric declares it)",
                         field=f"metrics.{name}")
    return bool(info["higher_is_better"])


def family_of(run: Run, name: str) -> Metric:
    """The metric family that reports `name` in this run."""
    family = value_info(run.report)[name]["metric"]
    return next(m for m in metrics_from_report(run.report) if m.name == family)


def testable_values(run: Run) -> list[str]:
    """Headline values that have a paired test."""
    return [n for n in headline_values(run.report) if family_of(run, n).values()[n].tested]


def aligned_records(base: Run, cand: Run, ids: Sequence[str]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Records of both runs on `ids` (errored ones count as the families say), and how many
    ids one of the runs lacks."""
    a, b = base.by_id(), cand.by_id()
    pairs = [(a[i], b[i]) for i in ids if i in a and i in b]
    return [p[0] for p in pairs], [p[1] for p in pairs], len(ids) - len(pairs)


def paired_metric_test(run: Run, name: str, base: Sequence[dict[str, Any]],
                       cand: Sequence[dict[str, Any]], config: BootstrapConfig) -> PairedResult:
    """candidate − baseline on aligned records, with the test `name`'s family chooses; a
    per-group name (``accuracy@target=Aramco``) tests that group's records only."""
    from dataclasses import replace

    from harness.scoring.groups import group_records, split_qualified

    value, key, group = split_qualified(name)
    if key is None or group is None:
        return family_of(run, name).paired_test(name, base, cand, config)
    rows = group_records(base, key, group)
    result = family_of(run, value).paired_test(value, [base[i] for i in rows],
                                               [cand[i] for i in rows], config)
    return replace(result, metric=name)


def group_test_names(report: dict[str, Any], tested: Sequence[str]) -> list[str]:
    """The per-group names of the tested values, for every group the report has."""
    from harness.scoring.groups import qualified

    return [qualified(name, key, group)
            for key, groups in (report.get("groups") or {}).items()
            for group in groups for name in tested]


def recompute_metrics(run: Run, ids: Sequence[str], names: Sequence[str],
                      config: BootstrapConfig) -> dict[str, Entry]:
    """Values with CIs on a subset of examples (used when runs share only some ids)."""
    by_id = run.by_id()
    records = [by_id[i] for i in ids if i in by_id]
    values = aggregate(metrics_from_report(run.report), records, config).values
    return {n: values.get(n) or entry(None) for n in names}


@dataclass
class ExampleRow:
    """One example across runs: inputs, each run's output, and its score difference."""

    id: str
    record: dict[str, Any]  # the baseline's record (inputs and references)
    outputs: dict[str, dict[str, Any] | None]  # run label -> record
    scores: dict[str, float | None]
    diffs: dict[str, float | None]  # non-baseline run label -> score - baseline score
    position: int = 0  # index in the task's order

    @property
    def max_abs_diff(self) -> float:
        values = [abs(d) for d in self.diffs.values() if d is not None]
        return max(values) if values else -1.0


@dataclass
class TaskComparison:
    task: str
    kind: str
    baseline: Run
    runs: list[Run]
    comparability: Comparability
    config: BootstrapConfig
    metrics: list[str]
    primary: str  # the value per-example rows are sorted by
    primary_family: Metric
    table: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    tests: dict[str, list[PairedResult]] = field(default_factory=dict)
    group_tests: dict[str, list[PairedResult]] = field(default_factory=dict)  # per group
    dropped: dict[str, int] = field(default_factory=dict)  # pairs not scored in both runs
    examples: list[ExampleRow] = field(default_factory=list)
    recomputed: bool = False  # table computed on the shared ids, not taken from the reports

    def higher_is_better(self, name: str) -> bool:
        return higher_is_better(self.baseline.report, name)

    @property
    def others(self) -> list[Run]:
        return [r for r in self.runs if r is not self.baseline]


def _example_rows(comparison: TaskComparison) -> list[ExampleRow]:
    base = comparison.baseline
    maps = {run.label: run.by_id() for run in comparison.runs}
    rows = []
    for position, example_id in enumerate(comparison.comparability.common_ids):
        outputs = {label: records.get(example_id) for label, records in maps.items()}
        scores = {label: None if rec is None else comparison.primary_family.example_value(
                      rec, comparison.primary) for label, rec in outputs.items()}
        base_score = scores[base.label]
        diffs: dict[str, float | None] = {}
        for run in comparison.others:
            score = scores[run.label]
            diffs[run.label] = None if score is None or base_score is None else score - base_score
        rows.append(ExampleRow(example_id, maps[base.label][example_id], outputs, scores, diffs,
                               position))
    rows.sort(key=lambda row: -row.max_abs_diff)  # stable: ties keep the task's order
    return rows


def compare_task(runs: Sequence[Run], baseline: Run, *, resamples: int | None = None,
                 seed: int | None = None) -> TaskComparison:
    """Everything the reports show for one task; runs must carry their examples."""
    comparability = check_comparable(baseline, runs)
    metrics = headline_values(baseline.report)
    families = metrics_from_report(baseline.report)
    primary_family = next(m for m in families if any(v.headline for v in m.values().values()))
    comparison = TaskComparison(
        task=baseline.task, kind=baseline.kind, baseline=baseline, runs=list(runs),
        comparability=comparability, config=bootstrap_config(baseline.report, resamples, seed),
        metrics=metrics, primary=primary_family.primary, primary_family=primary_family,
    )
    ids = comparability.common_ids
    comparison.recomputed = any(len(run.by_id()) != len(ids) for run in runs)
    for run in runs:
        if comparison.recomputed:
            comparison.table[run.label] = recompute_metrics(run, ids, metrics, comparison.config)
        else:
            comparison.table[run.label] = {m: run.report["metrics"].get(m) or entry(None)
                                           for m in metrics}
    tested = testable_values(baseline)
    for run in comparison.others:
        base_records, cand_records, dropped = aligned_records(baseline, run, ids)
        comparison.dropped[run.label] = dropped
        comparison.tests[run.label] = [
            paired_metric_test(baseline, metric, base_records, cand_records, comparison.config)
            for metric in tested
        ]
        comparison.group_tests[run.label] = [
            paired_metric_test(baseline, name, base_records, cand_records, comparison.config)
            for name in group_test_names(baseline.report, tested)
        ]
    comparison.examples = _example_rows(comparison)
    return comparison
