"""A metric family and a task kind defined outside `harness/` run end to end.

The plugin below ("headline topic": a news headline in, one topic label out, scored by exact
match and abstentions) is written only against the public API. It is used twice: registered
in code through `harness.register_kind` / `harness.register_metric`, and installed through the
`harness.kinds` / `harness.metrics` entry points of a test distribution in a fresh process.
Either way `harness run`, the report (schema-validated), the results table, `compare`
(Markdown and HTML) and `check` (with `--significant`) must work with no harness module edited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import REPO, write_jsonl

from harness import read_examples, read_report, validate_report
from harness.cli import main

PLUGIN = textwrap.dedent('''
    """Headline topic classification: a third-party kind and metric family."""
    from collections.abc import Sequence
    from typing import Any, ClassVar

    from pydantic import BaseModel, ConfigDict

    from harness import (Aggregate, ExampleView, InputError, Item, Metric, TaskKind, Value,
                         answered, entry)


    class TopicSettings(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        labels: tuple[str, ...] = ("politics", "sports", "economy")


    class HeadlineTopic(TaskKind):
        fields: ClassVar[tuple[str, ...]] = ("headline", "topic")
        gold: ClassVar[frozenset[str]] = frozenset({"topic"})
        default_metrics: ClassVar[tuple[str, ...]] = ("topic_match",)
        label_field: ClassVar[str | None] = "topic"

        def labels(self, spec):
            return spec.metric_settings("topic_match").labels

        def canonical_label(self, spec, value, where):
            if value not in self.labels(spec):
                raise InputError(f"unknown topic {value!r}", path=where[0], line=where[1],
                                 field="topic")
            return value

        def map_row(self, spec, mapped, where):
            return {"headline": str(mapped["headline"]),
                    "topic": self.canonical_label(spec, mapped["topic"], where)}

        def view(self, record):
            return ExampleView(texts=[("Headline", record["headline"])],
                               facts=[("gold topic", record["topic"])])


    class TopicMatch(Metric):
        Settings: ClassVar[type[BaseModel]] = TopicSettings
        requires: ClassVar[frozenset[str]] = frozenset({"topic"})

        def values(self):
            return {"topic_accuracy": Value(),
                    "abstain_rate": Value(higher_is_better=False, tested=False)}

        async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
            out = []
            for item in items:
                if item.prediction is None:
                    out.append({})
                    continue
                said = item.prediction.strip().lower()
                topic = said if said in self.settings.labels else None
                out.append({"topic": topic, "match": float(topic == item.fields["topic"])})
            return out

        def example_value(self, record, name):
            if not answered(record):
                return 0.0
            scores = record["scores"]
            return scores["match"] if name == "topic_accuracy" else float(scores["topic"] is None)

        def aggregate(self, records, bootstrap):
            from harness.scoring.bootstrap import mean_ci

            def mean(rows, name):
                values = [self.example_value(r, name) for r in rows]
                return entry(sum(values) / len(values), mean_ci(values, bootstrap)) if values \\
                    else entry(None)

            done = [r for r in records if answered(r)]
            return Aggregate({n: mean(records, n) for n in self.values()},
                             {n: mean(done, n) for n in self.values()})

        def paired_test(self, name, base, candidate, config):
            from harness.scoring.significance import paired_bootstrap_mean

            return paired_bootstrap_mean([self.example_value(r, name) for r in base],
                                         [self.example_value(r, name) for r in candidate],
                                         config, metric=name)
''')

TOPICS = ("politics", "sports", "economy")


def _rows(n: int = 40) -> list[dict[str, str]]:
    return [{"id": f"h{i:03d}", "headline": f"عنوان رقم {i}", "topic": TOPICS[i % 3]}
            for i in range(n)]


def _write_plugin(folder: Path, *, decorate: bool) -> None:
    code = PLUGIN
    if decorate:
        code += ('\nfrom harness import register_kind, register_metric\n'
                 'register_kind("headline_topic")(HeadlineTopic)\n'
                 'register_metric("topic_match")(TopicMatch)\n')
    (folder / "topic_plugin.py").write_text(code, "utf-8")


def _setup(tmp_path: Path) -> dict[str, Path]:
    """A task file, its data, and replays of a good and a poor model."""
    rows = _rows()
    data = write_jsonl(tmp_path / "refs" / "headlines.jsonl", rows)
    task = tmp_path / "tasks" / "headline_topic.yaml"
    task.parent.mkdir()
    task.write_text(textwrap.dedent(f"""
        name: headline_topic
        version: 1
        kind: headline_topic
        data: {{path: {data}}}
        prompt:
          user: "صنّف العنوان: {{{{ headline }}}} ({{{{ labels | join(', ') }}}})"
        metrics:
          topic_match: {{labels: [politics, sports, economy]}}
          bootstrap: {{resamples: 200, seed: 7}}
    """), "utf-8")
    good = write_jsonl(tmp_path / "good.jsonl", [
        {"id": r["id"], "prediction": r["topic"] if i % 10 else "?"} for i, r in enumerate(rows)])
    poor = write_jsonl(tmp_path / "poor.jsonl", [
        {"id": r["id"], "prediction": TOPICS[(i + 1) % 3] if i % 2 else r["topic"]}
        for i, r in enumerate(rows)])
    return {"task": task, "good": good, "poor": poor}


def _check_outputs(results: Path, out: Path, table: str) -> None:
    assert "topic_accuracy" in table and "abstain_rate" in table
    reports = {p.parent.name: p for p in results.rglob("*.json")}
    assert set(reports) == {"good", "poor"}
    for path in reports.values():
        report = read_report(path)
        validate_report(report)
        assert report["task"]["kind"] == "headline_topic"
        assert report["metric_info"]["abstain_rate"] == {
            "metric": "topic_match", "higher_is_better": False, "headline": True}
        assert report["metric_settings"]["topic_match"] == {
            "labels": ["politics", "sports", "economy"]}
        records = read_examples(path, report)
        assert "topic" in records[0] and "headline" in records[0]
    good = read_report(reports["good"])
    assert good["metrics"]["topic_accuracy"]["value"] == pytest.approx(36 / 40)
    assert good["metrics"]["abstain_rate"]["value"] == pytest.approx(4 / 40)
    markdown = (out / "comparison.md").read_text("utf-8")
    assert "topic_accuracy" in markdown and "worse ▼" in markdown  # poor vs good, paired test
    html = (out / "comparison.html").read_text("utf-8")
    assert "Headline" in html and "gold topic" in html and "عنوان رقم 7" in html


def test_kind_and_metric_registered_in_code(tmp_path: Path, monkeypatch, capsys) -> None:
    files = _setup(tmp_path)
    _write_plugin(tmp_path, decorate=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    import topic_plugin  # noqa: F401 - registers the kind and the metric

    results, out = tmp_path / "results", tmp_path / "cmp"
    for name in ("good", "poor"):
        code = main(["run", str(files["task"]), "--results-dir", str(results),
                     "--model", f"replay:{name},path={files[name]}", "--max-error-rate", "0"])
        assert code == 0
    table = capsys.readouterr().out
    assert main(["compare", str(results / "headline_topic" / "good"),
                 str(results / "headline_topic" / "poor"), "--baseline", "good",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    # The poor model as the "current" run against the good one as baseline: a real drop.
    baseline = tmp_path / "baseline"
    (baseline / "headline_topic").mkdir(parents=True)
    for path in (results / "headline_topic" / "good").iterdir():
        (baseline / "headline_topic" / path.name).write_bytes(path.read_bytes())
    current = tmp_path / "current"
    (current / "headline_topic").mkdir(parents=True)
    for path in (results / "headline_topic" / "poor").iterdir():
        (current / "headline_topic" / path.name).write_bytes(path.read_bytes())
    for path in [*current.rglob("*.json")]:  # the same model name, so the gate pairs them
        report = json.loads(path.read_text("utf-8"))
        report["model"]["name"] = "good"
        path.write_text(json.dumps(report), "utf-8")
    code = main(["check", str(current), "--baseline", str(baseline), "--significant"])
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert code == 1 and "topic_accuracy" in text and "drop significant" in text
    # abstain_rate is lower-is-better: its fall from 0.1 to 0 passes (error rate, 2 values)
    assert "1 regression(s) in 3 checks" in text
    _check_outputs(results, out, table)
    sys.modules.pop("topic_plugin", None)


def test_kind_and_metric_through_entry_points(tmp_path: Path) -> None:
    files = _setup(tmp_path)
    _write_plugin(tmp_path, decorate=False)
    dist = tmp_path / "topic_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: topic-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[harness.kinds]\nheadline_topic = topic_plugin:HeadlineTopic\n\n"
        "[harness.metrics]\ntopic_match = topic_plugin:TopicMatch\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}

    def harness(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=300, check=False)

    results, out = tmp_path / "results", tmp_path / "cmp"
    runs = [harness("run", str(files["task"]), "--results-dir", str(results),
                    "--model", f"replay:{name},path={files[name]}") for name in ("good", "poor")]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    compared = harness("compare", str(results / "headline_topic" / "good"),
                       str(results / "headline_topic" / "poor"), "--baseline", "good",
                       "--out", str(out))
    assert compared.returncode == 0, compared.stderr
    checked = harness("check", str(results / "headline_topic" / "poor"), "--baseline",
                      str(results / "headline_topic" / "poor"), "--significant",
                      "--min", "topic_accuracy=0.9")
    # poor scores 0.5 < the floor; against itself nothing regresses
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "topic_accuracy" in checked.stdout + checked.stderr
    assert "floor 0.9" in " ".join(checked.stdout.split() + checked.stderr.split())
    _check_outputs(results, out, runs[0].stdout + runs[1].stdout)
