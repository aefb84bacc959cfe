"""`harness show RUN`: one saved run for a person: settings, metrics with CIs, errored and
invalid examples, the slowest and most expensive examples, and some examples side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import InputError

TOP = 5  # rows in each of the errored / invalid / slowest / most expensive lists


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("show", help="print one saved run: settings, metrics, problem examples")
    parser.add_argument("run", type=Path, metavar="RUN",
                        help="a report JSON file, or a folder holding one task × model's runs "
                             "(the newest is shown)")
    parser.add_argument("--examples", type=int, default=0, metavar="N",
                        help="also print the first N examples side by side")
    parser.set_defaults(func=cmd_show)


def _one_run(path: Path) -> Any:
    from harness.compare.loading import discover_runs

    runs = discover_runs([path])
    if len(runs) > 1:
        names = ", ".join(f"{r.task} × {r.model}" for r in runs)
        raise InputError(f"holds several runs ({names}); name one report file", path=path)
    return runs[0]


def _short(text: Any, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _settings(report: dict[str, Any]) -> list[tuple[str, str]]:
    task, model, usage = report["task"], report["model"], report.get("usage") or {}
    harness = report.get("harness") or {}
    git = harness.get("git") or {}
    sel, summ = report.get("selection") or {}, report["summary"]
    return [
        ("run", f"{report.get('run_id', '')} ({report.get('started_at', '?')} → "
                f"{report.get('finished_at', '?')})"),
        ("task", f"{task['name']} v{task.get('version')} ({task['kind']}), "
                 f"hash {str(task.get('hash'))[:19]}…"),
        ("model", f"{model['name']} (adapter {model.get('adapter')}) "
                  + json.dumps(model.get("settings") or {}, ensure_ascii=False)),
        ("generation", json.dumps(report.get("generation") or {}, ensure_ascii=False)),
        ("metric settings", json.dumps(report.get("metric_settings") or {}, ensure_ascii=False)),
        ("selection", f"limit {sel.get('limit')}, sample {sel.get('sample')}, seed "
                      f"{sel.get('seed')}, {sel.get('n_total')} examples in the task"),
        ("examples", f"{summ['n_scored']} scored of {summ['n_examples']}, {summ['n_errors']} "
                     f"errored (error rate {summ['error_rate']:.4f})"),
        ("usage", f"cost ${usage.get('cost_usd')} (paid this run ${usage.get('cost_usd_uncached')})"
                  f", tokens {usage.get('prompt_tokens')} in / {usage.get('completion_tokens')} "
                  f"out, {usage.get('cached_responses')} cached, median latency "
                  f"{usage.get('latency_s_median')} s"),
        *([("first answered", "cost ${cost_usd}, latency {latency_s_total} s in all, median "
                               "{latency_s_median} s (this run's answers came from the cache)"
            .format(**usage["as_first_answered"]))] if usage.get("as_first_answered") else []),
        ("harness", f"{harness.get('version')} at {str(git.get('commit'))[:12]}"
                    + (" (dirty)" if git.get("dirty") else "")),
    ]


def _metrics_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    from harness.metrics.registry import detail_rows, value_info
    from harness.reports.table import format_ci, format_value, metric_name

    info = value_info(report)
    table = Table("metric", "value", "CI", "", title="Metrics (↓ lower is better)")
    for name, metric in report["metrics"].items():
        headline = (info.get(name) or {}).get("headline", True)
        table.add_row(metric_name(report, name), format_value(metric.get("value")),
                      format_ci(metric), "headline" if headline else "",
                      style=None if headline else "dim")
    for name, value, ref in detail_rows(report):
        table.add_row(name, value, ref, "diagnostic", style="dim")
    return table


def _problem_lists(run: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    from harness.metrics.registry import metrics_from_report

    records = run.examples or []
    families = metrics_from_report(run.report)
    errored = [(str(r["id"]), _short(r["error"])) for r in records if r.get("error")]
    invalid = []
    for r in records:
        reasons = [why for m in families if (why := m.invalid_reason(r))]
        if reasons:
            invalid.append((str(r["id"]), f"{'; '.join(reasons)}: {_short(r.get('prediction'))}"))
    slow = sorted((r for r in records if r.get("latency_s") is not None),
                  key=lambda r: -float(r["latency_s"]))
    costly = sorted((r for r in records if r.get("cost_usd")), key=lambda r: -float(r["cost_usd"]))
    return [
        (f"Errored examples ({len(errored)})", errored[:TOP]),
        (f"Invalid outputs ({len(invalid)})", invalid[:TOP]),
        ("Slowest examples", [(str(r["id"]), f"{float(r['latency_s']):.3f} s"
                               + (" (cached)" if r.get("cached") else "")) for r in slow[:TOP]]),
        ("Most expensive examples", [(str(r["id"]), f"${float(r['cost_usd']):.6f}")
                                     for r in costly[:TOP]]),
    ]


def _examples(run: Any, n: int) -> Any:
    from rich.table import Table

    from harness.kinds.registry import kind_view
    from harness.metrics.registry import metrics_from_report

    family = next((m for m in metrics_from_report(run.report) if m.values()), None)
    table = Table("id", "input", "reference", "prediction", "score", show_lines=True,
                  title=f"First {n} examples")
    for record in (run.examples or [])[:n]:
        view = kind_view(run.kind, record)
        inputs = "\n".join(f"{name}: {_short(text, 300)}" for name, text in view.texts)
        facts = " · ".join(f"{k}: {v}" for k, v in view.facts)
        refs = "\n".join(_short(ref, 200) for ref in view.references) or facts
        score = "–"
        if family is not None:
            value = family.example_value(record, family.primary)
            score = "–" if value is None else f"{family.primary} {value:.4f}"
        output = _short(record.get("prediction") or "", 300)
        if record.get("error"):
            output += f"\n[error] {_short(record['error'])}"
        table.add_row(str(record["id"]), inputs, refs, output, score)
    return table


def cmd_show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    if args.examples < 0:
        raise InputError("must be 0 or a positive integer", field="--examples")
    run = _one_run(args.run)
    out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    settings = Table.grid(padding=(0, 2))
    for name, value in _settings(run.report):
        settings.add_row(f"[bold]{name}[/]", value.replace("[", r"\["))
    out.print(f"[bold]{run.path}[/]")
    out.print(settings)
    out.print(_metrics_table(run.report))
    if run.examples is None:
        out.print(f"(no per-example records: {run.examples_note})")
        return 0
    for title, rows in _problem_lists(run):
        out.print(f"[bold]{title}[/]" + ("" if rows else ": none"))
        for example_id, text in rows:
            out.print(f"  {example_id}: {text}", markup=False)
    if args.examples:
        out.print(_examples(run, args.examples))
    return 0
