"""The meta-evaluation report: versioned JSON, and the sensitivity table as Markdown and HTML."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from harness.metaeval.corrupt import CORRUPTIONS

REPORT_VERSION = "1"
NOTE = ("sensitivity = share of corrupted summaries scored worse than their original "
        "[bootstrap CI] (n pairs); Δ = mean change of the value")


def _rows(report: Mapping[str, Any]) -> tuple[list[str], list[str], dict[str, dict[str, str]]]:
    table: Mapping[str, Mapping[str, Any]] = report["sensitivity"]
    kinds = [k for k in CORRUPTIONS if k in table]
    values = list(dict.fromkeys(v for k in kinds for v in table[k]))
    cells: dict[str, dict[str, str]] = {}
    for value in values:
        for kind in kinds:
            cell = table[kind].get(value) or {}
            if cell.get("sensitivity") is None:
                text = "n/a"
            else:
                text = (f"{cell['sensitivity']:.2f} [{cell['ci_low']:.2f}, {cell['ci_high']:.2f}]"
                        f" ({cell['n']}) Δ{cell['mean_delta']:+.3f}")
            cells.setdefault(value, {})[kind] = text
    return kinds, values, cells


def markdown(report: Mapping[str, Any]) -> str:
    kinds, values, cells = _rows(report)
    lines = [f"Meta-evaluation of {report['task']['name']} ({report['n_examples']} summaries, "
             f"seed {report['seed']}): {NOTE}.", "",
             "| value | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    lines += [f"| {v} | " + " | ".join(cells[v][k] for k in kinds) + " |" for v in values]
    applicable = report["applicable"]
    lines += ["", "Corrupted summaries per type: "
              + ", ".join(f"{k} {applicable[k]}" for k in kinds) + "."]
    return "\n".join(lines) + "\n"


def html_page(report: Mapping[str, Any]) -> str:
    kinds, values, cells = _rows(report)
    esc = html.escape
    head = "".join(f"<th>{esc(k)}</th>" for k in kinds)
    body = "".join("<tr><th>" + esc(v) + "</th>" + "".join(
        f"<td>{esc(cells[v][k])}</td>" for k in kinds) + "</tr>" for v in values)
    examples = "".join(
        f"<tr><td>{esc(c['id'])}</td><td>{esc(c['type'])}</td>"
        f"<td>{esc(str(c['change']))}</td></tr>" for c in report["corruptions"]
        if c["corrupted"] is not None)
    return (f"<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>meta-eval {esc(report['task']['name'])}</title>"
            f"<h1>Which metric notices an error? {esc(report['task']['name'])}</h1>"
            f"<p>{esc(NOTE)}</p><table border='1'><tr><th>value</th>{head}</tr>{body}</table>"
            f"<h2>Corruptions</h2><table border='1' dir='auto'><tr><th>id</th><th>type</th>"
            f"<th>change</th></tr>{examples}</table></html>\n")
