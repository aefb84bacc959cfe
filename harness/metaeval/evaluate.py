"""Score original and corrupted summaries with every metric and measure each one's sensitivity.

The summary under test is each example's first reference. When the example has more, the
metrics see the others as references (so ROUGE compares the summary with an independent
reference); with one, ROUGE compares it with itself, so any edit lowers it and the mean drop
says more than the share. Sensitivity = the share of corrupted summaries scored worse than
their original (lower, or higher for a lower-is-better value), with a bootstrap CI; ties and
undefined values are not "noticed".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import InputError
from harness.metaeval.corrupt import CORRUPTIONS, corrupt_all
from harness.metrics.base import Item, Metric
from harness.scoring.task_scores import score_items

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.tasks import Example, Task


def families(task: Task) -> list[Metric]:
    """The task's metric families, then every other family that applies to its kind with its
    default settings (a family that needs configuration, such as a judge, is left out)."""
    from harness.metrics.registry import METRICS, metrics_for

    chosen = metrics_for(task.spec)
    names = {m.name for m in chosen}
    fields = {"id", *task.spec.task_kind.fields}
    for name, cls in METRICS.available().items():
        if name in names or cls.requires - fields:
            continue
        try:
            chosen.append(cls())
        except InputError:
            continue
    return [m for m in chosen if m.values()]


def _fields(example: Example) -> dict[str, Any]:
    references = list(example.fields["references"])
    return {**example.fields, "references": references[1:] or references}


def _record(item: Item, scores: dict[str, Any], metrics: Sequence[Metric]) -> dict[str, Any]:
    record = {"id": item.id, "error": None, "finish_reason": None, "scores": scores or None}
    record.update({key: scores.get(key) for m in metrics for key in m.record_keys})
    return record


async def measure(task: Task, metrics: Sequence[Metric], examples: Sequence[Example],
                  seed: int
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The corruptions (with what changed), the (original, corrupted) record pairs, and every
    record scored."""
    summaries = [str(e.fields["references"][0]) for e in examples]
    corruptions: list[dict[str, Any]] = []
    for example, summary in zip(examples, summaries, strict=True):
        others = [s for e, s in zip(examples, summaries, strict=True) if e.id != example.id]
        corruptions += corrupt_all(example.id, summary, str(example.fields["article"]),
                                   others[:50], seed)
    by_id = {e.id: e for e in examples}
    items = [Item(e.id, _fields(e), s) for e, s in zip(examples, summaries, strict=True)]
    applied = [c for c in corruptions if c["corrupted"] is not None]
    items += [Item(f"{c['id']}#{c['type']}", _fields(by_id[c["id"]]), c["corrupted"])
              for c in applied]
    scores = await score_items(metrics, items)
    records = [_record(i, s, metrics) for i, s in zip(items, scores, strict=True)]
    originals = {r["id"]: r for r in records[:len(examples)]}
    pairs = [{"type": c["type"], "original": originals[c["id"]], "corrupted": r}
             for c, r in zip(applied, records[len(examples):], strict=True)]
    return corruptions, pairs, records


def sensitivity(metrics: Sequence[Metric], pairs: Sequence[dict[str, Any]],
                bootstrap: BootstrapConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """{corruption type: {value: {n, sensitivity, ci_low, ci_high, mean_delta}}}."""
    from harness.metrics.base import entry
    from harness.scoring.bootstrap import mean_ci

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in CORRUPTIONS:
        chosen = [p for p in pairs if p["type"] == kind]
        table: dict[str, dict[str, Any]] = {}
        for metric in metrics:
            for name, value in metric.values().items():
                if not (value.headline and value.tested):
                    continue
                noticed, deltas = [], []
                for pair in chosen:
                    a = metric.example_value(pair["original"], name)
                    b = metric.example_value(pair["corrupted"], name)
                    if a is None or b is None:
                        continue
                    deltas.append(b - a)
                    noticed.append(float(b < a if value.higher_is_better else b > a))
                shown = entry(sum(noticed) / len(noticed), mean_ci(noticed, bootstrap)) \
                    if noticed else entry(None)
                table[name] = {"n": len(noticed), "sensitivity": shown["value"],
                               "ci_low": shown["ci_low"], "ci_high": shown["ci_high"],
                               "mean_delta": sum(deltas) / len(deltas) if deltas else None,
                               "higher_is_better": value.higher_is_better}
        out[kind] = table
    return out


def details(metrics: Sequence[Metric], records: Sequence[dict[str, Any]],
            bootstrap: BootstrapConfig) -> dict[str, Any]:
    """The families' run details over every summary scored (e.g. a judge's calls and tokens)."""
    out: dict[str, Any] = {}
    for metric in metrics:
        out.update(metric.aggregate(records, bootstrap).details)
    return out
