"""Shared helpers for the compare / check / browser tests: real runs and hand-made reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from harness.cli import main
from harness.jsonio import atomic_write_json, atomic_write_jsonl, file_hash

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "tasks"
SHARED_DATA = REPO.parent / "shared" / "data"


def harness(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def run_models(task: str | Path, results: Path, *models: str, tasks_dir: Path = TASKS,
               extra: tuple[str, ...] = ()) -> None:
    argv: list[str | Path] = ["run", task, "--tasks-dir", tasks_dir, "--results-dir", results,
                              *extra]
    for model in models:
        argv += ["--model", model]
    assert harness(*argv) == 0


def write_predictions(path: Path, rows: list[tuple[str, str]]) -> Path:
    atomic_write_jsonl(path, [{"id": i, "prediction": p} for i, p in rows])
    return path


def seed_reference_predictions(tmp: Path) -> tuple[Path, Path]:
    """Replay files that answer with the references (summary 1, gold label)."""
    refs = REPO / "references" / "seed"
    summaries = [json.loads(line) for line in (refs / "musk_trump_summaries.jsonl").open()]
    stances = [json.loads(line) for line in (refs / "musk_stance.jsonl").open()]
    return (write_predictions(tmp / "sum_refs.jsonl", [(r["id"], r["summaries"][0])
                                                        for r in summaries]),
            write_predictions(tmp / "stance_refs.jsonl", [(r["id"], r["label"]) for r in stances]))


def seed_runs(tmp: Path) -> Path:
    """lead,k=1 / lead,k=3 / replay of the references on seed_summarization; majority and
    the replayed gold labels on seed_stance."""
    results = tmp / "results"
    sum_refs, stance_refs = seed_reference_predictions(tmp)
    run_models("seed_summarization", results, "lead,k=1", "lead,k=3",
               f"replay:refs,path={sum_refs}")
    run_models("seed_stance", results, "majority", f"replay:refs,path={stance_refs}")
    return results


def shared_rows(name: str, n: int = 30) -> list[dict[str, Any]]:
    path = SHARED_DATA / name
    assert path.is_file(), f"shared data missing: {path} (expected ../shared/data beside the repo)"
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) == n:
                break
    return rows


SUMMARY_TASK = """\
name: ant_bbc_small
version: 1
description: first rows of ANT BBC
kind: summarization
data:
  path: data.jsonl
  fields:
    references: summary
prompt:
  user: "{{ article }}"
metrics:
  rouge:
    types: [rouge1, rouge2, rougeL]
  bootstrap:
    resamples: 1000
    seed: 12345
"""

STANCE_TASK = """\
name: asx_small
version: 1
description: first rows of ArabicStanceX
kind: stance
data:
  path: data.jsonl
prompt:
  user: "{{ target }}: {{ text }}"
metrics:
  stance:
    labels: [favor, against, none]
  bootstrap:
    resamples: 1000
    seed: 12345
"""


def shared_tasks(tmp: Path, n: int = 30) -> tuple[Path, Path]:
    """Two small task folders built from the shared data: (summarization, stance)."""
    out = []
    for name, text, data in (("ant_bbc", SUMMARY_TASK, "ant_bbc_summaries.jsonl"),
                             ("asx", STANCE_TASK, "arabicstancex_stance.jsonl")):
        folder = tmp / name
        folder.mkdir(parents=True)
        atomic_write_jsonl(folder / "data.jsonl", shared_rows(data, n))
        (folder / "task.yaml").write_text(text, encoding="utf-8")
        out.append(folder / "task.yaml")
    return out[0], out[1]


def only_report(folder: Path) -> Path:
    reports = [p for p in folder.rglob("*.json")]
    assert len(reports) == 1, reports
    return reports[0]


def edit_report(path: Path, change: Any) -> Path:
    """Apply `change(report)` to a report file in place (its examples stay valid)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    change(report)
    atomic_write_json(path, report)
    return path


def drop_examples(path: Path) -> Path:
    """Delete a report's examples file: a hand-edited aggregate is then unverifiable, not
    refused (tests of the gate's arithmetic edit values that way)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    (path.parent / report["examples_file"]["path"]).unlink()
    return path


SUMMARY_SETTINGS = {
    "bootstrap": {"method": "percentile", "resamples": 1000, "seed": 12345, "confidence": 0.95},
    "rouge": {"types": ["rougeL"], "tokenizer": {"id": "t", "version": "1", "options": {}}},
}


def fake_summary_run(folder: Path, model: str, scores: list[float], *,
                     run_id: str = "20250101T000000Z-00000000", task: str = "fake_sum",
                     predictions: list[str] | None = None) -> Path:
    """A hand-made summarization report whose per-example rougeL F1 are `scores`."""
    records = []
    for i, score in enumerate(scores):
        records.append({
            "id": f"ex{i:03d}", "article": f"مقال رقم {i}", "references": [f"ملخص {i}"],
            "prediction": predictions[i] if predictions else f"ناتج {model} {i}",
            "error": None,
            "scores": {"rougeL": {"precision": score, "recall": score, "fmeasure": score}},
        })
    return _write_fake(folder, task, "summarization", model, run_id, records, SUMMARY_SETTINGS)


def fake_stance_run(folder: Path, model: str, gold: list[str], predicted: list[str], *,
                    run_id: str = "20250101T000000Z-00000000", task: str = "fake_stance") -> Path:
    labels = ["favor", "against", "none"]
    records = [{"id": f"ex{i:03d}", "text": f"تغريدة {i}", "target": "t", "gold_label": g,
                "prediction": p, "error": None,
                "scores": {"parsed_label": p, "correct": p == g}, "parsed_label": p,
                "correct": p == g} for i, (g, p) in enumerate(zip(gold, predicted, strict=True))]
    settings = {"bootstrap": SUMMARY_SETTINGS["bootstrap"],
                "stance": {"labels": labels, "aliases": {}}}
    return _write_fake(folder, task, "stance", model, run_id, records, settings)


def _write_fake(folder: Path, task: str, kind: str, model: str, run_id: str,
                records: list[dict[str, Any]], settings: dict[str, Any]) -> Path:
    """A schema-valid report whose aggregates its metric families compute from `records`."""
    from harness.compare.stats import bootstrap_config
    from harness.metrics.registry import metrics_from_report
    from harness.scoring.task_scores import aggregate

    target = folder / task / model
    examples = target / f"{run_id}.examples.jsonl"
    atomic_write_jsonl(examples, records)
    h = "sha256:" + "a" * 64
    report: dict[str, Any] = {
        "schema_version": "1.1", "run_id": run_id,
        "harness": {"version": "0", "git": {"commit": None, "dirty": None}},
        "environment": {"python": "3", "platform": "test", "packages": {}},
        "task": {"name": task, "version": "1", "kind": kind, "hash": h, "definition_hash": h,
                 "data_hash": h, "prompt_hash": h, "n_examples": len(records)},
        "model": {"adapter": "fake", "name": model, "settings": {}},
        "generation": {"temperature": 0.0, "max_tokens": 1, "top_p": 1.0, "seed": None,
                       "stop": []},
        "metric_settings": copy.deepcopy(settings),
        "seed": settings["bootstrap"]["seed"],
        "selection": {"limit": None, "sample": None, "seed": 0, "n_total": len(records),
                      "ids": None},
        "started_at": "2025-01-01T00:00:00+00:00", "finished_at": "2025-01-01T00:00:01+00:00",
        "summary": {"n_examples": len(records), "n_scored": len(records), "n_errors": 0,
                    "error_rate": 0.0},
        "usage": {},
        "examples_file": {"path": examples.name, "sha256": file_hash(examples)},
    }
    scores = aggregate(metrics_from_report(report), records, bootstrap_config(report))
    report.update(metrics=scores.values, metrics_answered=scores.answered,
                  metric_info=scores.info, details=scores.details)
    path = target / f"{run_id}.json"
    atomic_write_json(path, report)
    return path
