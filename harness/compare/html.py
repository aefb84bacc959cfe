"""The self-contained HTML comparison: inline CSS, inline SVG plots, no network.

Model output is untrusted. Two independent layers keep it inert: Jinja2 autoescaping (model
text is never marked safe), and a Content-Security-Policy that allows only our own sorting
script, by hash, so even a markup slip could not run an injected script or event handler.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from harness.compare import plots
from harness.compare.markdown import (
    METHOD_NAMES,
    UNCORRECTED,
    group_caveat,
    metric_label,
    num,
    p_shown,
    p_text,
    verdict,
)
from harness.compare.stats import TaskComparison
from harness.kinds.registry import kind_view
from harness.metrics.registry import detail_rows, metrics_from_report

TEMPLATES = Path(__file__).with_name("templates")

# Re-sorts example cards by their data-* attributes; the page reads fine without it.
SORT_SCRIPT = """
document.querySelectorAll("select.sorter").forEach(function (select) {
  var list = document.getElementById(select.getAttribute("data-list"));
  select.hidden = false;
  select.addEventListener("change", function () {
    var parts = select.value.split(":"), key = parts[0], sign = parts[1] === "asc" ? 1 : -1;
    var cards = Array.prototype.slice.call(list.children);
    cards.sort(function (a, b) {
      var x = parseFloat(a.getAttribute("data-" + key));
      var y = parseFloat(b.getAttribute("data-" + key));
      if (isNaN(x)) { x = -Infinity * sign; }
      if (isNaN(y)) { y = -Infinity * sign; }
      return x === y ? a.getAttribute("data-pos") - b.getAttribute("data-pos") : sign * (x - y);
    });
    cards.forEach(function (card) { list.appendChild(card); });
  });
});
"""


def csp(script: str) -> str:
    """Nothing may load or run except inline styles and the one script with this hash."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=num, p=p_text, p_shown=p_shown,
                       method=lambda m: METHOD_NAMES.get(m, m))
    return env


def _sort_value(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.6f}"


def _group_view(c: TaskComparison) -> dict[str, Any] | None:
    """The per-group paired tests as rows (model, value, key, group, result) and the caveat."""
    from harness.scoring.groups import split_qualified

    rows = [(label, *split_qualified(r.metric), r)
            for label, tests in c.group_tests.items() for r in tests]
    if not rows:
        return None
    return {"rows": rows, "count": len(rows), "uncorrected": UNCORRECTED,
            "caveat": group_caveat(len(rows))}


def _task_view(c: TaskComparison, index: int, max_examples: int) -> dict[str, Any]:
    """Template-ready data for one task (plots rendered, verdicts computed)."""
    shown = c.examples[:max_examples] if max_examples > 0 else c.examples
    families = metrics_from_report(c.baseline.report)
    return {
        "groups": _group_view(c),
        "examples": shown,
        "id": f"t{index}",
        "c": c,
        "n": len(c.comparability.common_ids),
        "problems": c.comparability.lines(c.task, c.baseline.label),
        "tests": [(run, r, verdict(r, c.higher_is_better(r.metric)))
                  for run in c.others for r in c.tests[run.label]],
        "plots": [p for p in (
            ("Metrics with confidence intervals", plots.metric_bars(c)),
            ("Confusion matrices", plots.confusion_matrices(c)),
            (f"Per-example {c.primary} distribution", plots.score_distribution(c)),
        ) if p[1] is not None],
        "view": partial(kind_view, c.kind),
        "record_keys": [k for m in families for k in m.record_keys],
        "detail": lambda record: [d for m in families for d in m.example_detail(record)],
        "sort_value": _sort_value,
        "label": partial(metric_label, c),
        "diagnostics": [(run.label, detail_rows(run.report)) for run in c.runs
                        if detail_rows(run.report)],
    }


def render_html(comparisons: Sequence[TaskComparison], title: str = "Model comparison",
                max_examples: int = 0) -> str:
    """The page; `max_examples` > 0 keeps only that many largest-difference examples."""
    template = environment().get_template("comparison.html.j2")
    return template.render(
        title=title,
        csp=csp(SORT_SCRIPT),
        script=Markup(SORT_SCRIPT),  # our constant, not report data
        tasks=[_task_view(c, i, max_examples) for i, c in enumerate(comparisons, start=1)],
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
