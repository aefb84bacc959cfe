"""The leaderboard in Markdown for a pull-request comment: names and numbers, no model text."""

from __future__ import annotations

from harness.compare.markdown import METHOD_NAMES, md, num, p_text, with_ci
from harness.leaderboard.build import Leaderboard, ModelRow, TaskBoard


def money(value: float | None) -> str:
    return "–" if value is None else f"${value:.4f}"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f} s"


def metric_label(t: TaskBoard) -> str:
    arrow = "↑" if t.higher_is_better else "↓ lower is better"
    return f"{t.metric} {arrow}" + (f", {t.mode}" if t.mode else "")


def _overview(board: Leaderboard) -> list[str]:
    tasks = [t for t in board.tasks if t.placed]
    head = ["mean rank (tasks)", "model", *(f"{t.task} ({metric_label(t)})" for t in tasks),
            "cost", "latency (median per call)"]
    lines = ["| " + " | ".join(md(h) for h in head) + " |", "|---" * len(head) + "|"]
    for row in board.models:
        cells = [f"{num(row.mean_rank, 2)} ({len(row.ranks)} of {len(tasks)})", md(row.model)]
        cells += [_cell(t, row) for t in tasks]
        cells += [money(row.cost_usd), seconds(row.latency_s)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cell(t: TaskBoard, row: ModelRow) -> str:
    place = row.ranks.get(t.task)
    return "–" if place is None else f"#{place.rank_text} {with_ci(t.entry(place.item))}"


def _task(board: Leaderboard, t: TaskBoard) -> list[str]:
    lines = [f"### {md(t.task)} ({md(t.kind)}, {t.n_examples} examples, "
             f"ranked by {md(metric_label(t))})" if t.placed else
             f"### {md(t.task)} ({md(t.kind)}): no run can be ranked", ""]
    if t.placed:
        lines += ["| rank | model | value [CI] | Δ vs group leader | p (Holm) | test |",
                  "|---|---|---|---|---|---|"]
        for p in t.placed:
            r = p.vs_leader
            delta = "" if r is None else num(r.difference, signed=True)
            if p.leads:
                delta = "group leader" + (f" ({delta} vs the previous group's)" if r else "")
            padj = "" if r is None else ("too few pairs" if not p.testable
                                         else p_text(p.p_adjusted if p.p_adjusted is not None
                                                     else float("nan")))
            lines.append(f"| {p.rank_text} | {md(p.item.model)} | {with_ci(t.entry(p.item))} | "
                         f"{delta} | {padj} | "
                         f"{'' if r is None else md(METHOD_NAMES.get(r.method, r.method))} |")
        lines.append("")
    if t.left_out:
        lines.append("Left out of this ranking:")
        lines += [f"- {md(r.model)} ({md(r.path)}): {md('; '.join(why))}" for r, why in t.left_out]
        lines.append("")
    if t.older:
        lines += [f"{len(t.older)} older run(s) of these models are not ranked (their history "
                  "is below where a model ran the task more than once).", ""]
    return lines


def _history(board: Leaderboard) -> list[str]:
    drops = [(m, t, h) for (m, t), pts in board.history.items() for h in pts if h.drop]
    if not drops:
        return ["No significant drop between consecutive runs of a model on a task.", ""]
    lines = ["Significant drops between consecutive runs:", ""]
    for model, task, h in drops:
        r = h.vs_previous
        assert r is not None
        lines.append(f"- **{md(model)}** on {md(task)}: {num(r.difference, signed=True)} "
                     f"(p {p_text(h.p_adjusted or float('nan'))} Holm) in run {md(h.run.run_id)}")
    return [*lines, ""]


def render_markdown(board: Leaderboard, title: str = "Leaderboard") -> str:
    lines = [f"## {md(title)}", "",
             f"Models sharing a rank (\"1–3\") are not significantly different from their "
             f"group's leader (paired test on the same examples, {board.correction}-corrected, "
             f"α = {board.alpha}). Mean rank averages each group's middle rank over the tasks "
             "a model ran.", ""]
    lines += [*_overview(board), ""]
    for t in board.tasks:
        lines += _task(board, t)
    lines += _history(board)
    return "\n".join(lines).rstrip() + "\n"
