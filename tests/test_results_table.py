"""The results table fits 80 columns without cutting a number; wide terminals get paths."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from harness.metrics.registry import headline_values
from harness.reports.table import format_ci, format_value, results_table

REPO = Path(__file__).resolve().parents[1]
BASELINES = sorted((REPO / "results" / "baselines").glob("*/*.json"))


def _results() -> list[SimpleNamespace]:
    return [SimpleNamespace(report=json.loads(p.read_text(encoding="utf-8")), report_path=p)
            for p in BASELINES]


def _render(width: int) -> str:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    console.print(results_table(_results(), width))  # type: ignore[arg-type]
    return console.export_text()


def test_eighty_columns_show_every_value_and_ci_in_full() -> None:
    text = _render(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    lines = text.splitlines()
    for result in _results():
        for name in headline_values(result.report):
            metric = result.report["metrics"][name]
            value, ci = format_value(metric["value"]), format_ci(metric)
            assert any(value in line and ci in line for line in lines), (name, value, ci)
    assert "0.4290" in text and "[0.4054, 0.4540]" in text  # arabicstancex × majority
    assert "invalid_rate ↓" in text  # lower is better, marked
    assert str(BASELINES[0]) not in text  # full paths only when wide


def test_wide_terminal_shows_full_report_paths_and_diagnostics() -> None:
    text = _render(200)
    for path in BASELINES:
        assert str(path) in text
    summaries = [r for r in _results() if r.report["task"]["kind"] == "summarization"
                 and (r.report.get("details") or {}).get("diagnostics")]
    assert summaries, "a committed summarization baseline carries summary diagnostics"
    assert "compression" in text and "extractive coverage" in text and "refs " in text


def test_progress_keeps_counts_and_elapsed_time_at_80_columns() -> None:
    import io

    from harness.adapters.base import Response
    from harness.progress import RunProgress

    live = Console(width=80, file=io.StringIO(), force_terminal=True)
    with RunProgress(live) as progress:
        bar = progress.bar("arabicstancex × a-rather-long-model-name-v2")
        bar.start(1522)
        for _ in range(1000):
            bar.advance(Response(text="x", prompt_tokens=1000, completion_tokens=10))
    console = Console(width=80, record=True, color_system=None)
    console.print(progress._progress.get_renderable())  # one drawing of the bars
    text = console.export_text()
    assert "1000/1522" in text and "0:00:0" in text and "…" not in text
    assert "1010000" in text  # the token count folds with its text, never cut
    assert max(len(line) for line in text.splitlines()) <= 80, text
