"""The static leaderboard site: index.html (matrix, groups, history) and one drill-down page
per task that reuses the comparison view. Self-contained: inline CSS and SVG, no network, one
script of ours allowed by hash under the Content-Security-Policy; model text is autoescaped.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from harness.compare.html import csp, environment, render_html
from harness.jsonio import atomic_write_text
from harness.leaderboard.build import Leaderboard, TaskBoard
from harness.leaderboard.groups import Placed
from harness.leaderboard.markdown import metric_label, money, seconds

TEMPLATE = Path(__file__).with_name("templates")

# Sorts the matrix rows by a column's data-* values when its header button is pressed.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll("button.sort").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-key");
      var sign = button.getAttribute("data-dir") === "desc" ? -1 : 1;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = parseFloat(a.getAttribute("data-" + key));
        var y = parseFloat(b.getAttribute("data-" + key));
        if (isNaN(x)) { x = Infinity; } else { x = sign * x; }
        if (isNaN(y)) { y = Infinity; } else { y = sign * y; }
        return x === y ? a.getAttribute("data-pos") - b.getAttribute("data-pos") : x - y;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      button.setAttribute("data-dir", sign === 1 ? "desc" : "asc");
    });
  });
});
"""


def _sortable(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.6f}"


def ci_bar(entry: dict[str, Any], width: int = 96) -> Markup:
    """A tiny inline SVG of the value and its CI on a 0–1 scale (values outside are clipped)."""
    value, low, high = entry.get("value"), entry.get("ci_low"), entry.get("ci_high")
    if value is None:
        return Markup("")

    def x(v: float | None) -> float:
        return round(2 + max(0.0, min(1.0, float(v if v is not None else value))) * (width - 4), 1)

    return Markup(
        f'<svg class="bar" width="{width}" height="8" viewBox="0 0 {width} 8" aria-hidden="true">'
        f'<rect x="0" y="3" width="{width}" height="2" fill="#e5e7eb"/>'
        f'<rect x="{x(low)}" y="1" width="{max(1.0, x(high) - x(low))}" height="6" '
        f'fill="#93c5fd"/><rect x="{x(value) - 1}" y="0" width="2" height="8" fill="#1d4ed8"/>'
        "</svg>")


def _task_view(board: Leaderboard, t: TaskBoard) -> dict[str, Any]:
    return {"t": t, "label": metric_label(t), "groups": _groups(t.placed),
            "history": {m: pts for (m, task), pts in board.history.items() if task == t.task}}


def _groups(placed: list[Placed[Any]]) -> list[list[Placed[Any]]]:
    out: list[list[Placed[Any]]] = []
    for p in placed:
        if not out or out[-1][0].group != p.group:
            out.append([])
        out[-1].append(p)
    return out


def render_index(board: Leaderboard, title: str) -> str:
    from jinja2 import FileSystemLoader

    from harness.compare.html import TEMPLATES

    env = environment()
    env.loader = FileSystemLoader([TEMPLATE, TEMPLATES])
    env.filters.update(money=money, seconds=seconds)
    ranked = [t for t in board.tasks if t.placed]
    return env.get_template("leaderboard.html.j2").render(
        title=title, csp=csp(SORT_SCRIPT), script=Markup(SORT_SCRIPT), board=board,
        tasks=ranked, views=[_task_view(board, t) for t in board.tasks],
        left_out=[(t, r, why) for t in board.tasks for r, why in t.left_out],
        sortable=_sortable, ci_bar=ci_bar,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def write_site(board: Leaderboard, out: Path, title: str, max_examples: int) -> int:
    """index.html and one comparison page per ranked task (leader as the baseline)."""
    from harness.compare.stats import compare_task

    pages = 0
    for t in board.tasks:
        if len(t.placed) < 1:
            continue
        runs = [p.item for p in t.placed]
        comparison = compare_task(runs, runs[0])
        page = render_html([comparison], f"{title}: {t.task}", max_examples)
        atomic_write_text(out / f"{t.slug}.html", page)
        pages += 1
    atomic_write_text(out / "index.html", render_index(board, title))
    return pages
