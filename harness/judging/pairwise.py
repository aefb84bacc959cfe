"""Pairwise judging: which of two runs' summaries of the same article is better.

Each pair is asked in both orders; a verdict that changes with the order is a tie (position
bias), and so is an answer of "tie". A pair whose answer stayed unparseable is "invalid"; one
whose judge call failed is "error" (not cached: asked again by the next run); neither counts.
Win rates come with bootstrap CIs, and the mean length difference sits beside them (judges
are known to prefer longer answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from harness.judging import parse, rubrics
from harness.judging.calls import Question, Usage, ask_all

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["better", "justification"],
          "properties": {"better": {"type": "string", "enum": ["1", "2", "tie"]},
                         "justification": {"type": "string"}}}


def winners(first: str | None, second: str | None) -> tuple[str, str] | None:
    """Who each order's answer picks ("a", "b" or "tie"); None if either answer is invalid."""
    if first is None or second is None:
        return None
    return {"1": "a", "2": "b"}.get(first, "tie"), {"1": "b", "2": "a"}.get(second, "tie")


def verdict(first: str | None, second: str | None) -> str:
    """"a", "b", "tie" or "invalid" from the answers with A shown first, then B first."""
    picked = winners(first, second)
    if picked is None:
        return "invalid"
    return picked[0] if picked[0] == picked[1] else "tie"


def order_dependent(first: str | None, second: str | None) -> bool:
    """Both orders picked a summary, but not the same one: the position decided."""
    picked = winners(first, second)
    return picked is not None and "tie" not in picked and picked[0] != picked[1]


async def judge_pairs(adapter: Any, judge: Mapping[str, Any], language: rubrics.Language,
                      pairs: Sequence[tuple[str, str, str, str]],
                      concurrency: int) -> tuple[list[dict[str, Any]], Usage]:
    """Per (id, article, summary A, summary B): both orders' answers and the verdict (asked
    all at once: in batch rounds when the judge batches)."""
    from harness.adapters.base import GenerationSettings
    from harness.metrics.judge import response_format_for

    fmt = response_format_for(judge["structured_output"], SCHEMA)
    generation = GenerationSettings(**judge["generation"])
    questions = [Question(example_id, rubrics.pairwise_messages(language, article, first, second),
                          parse.parse_preference, generation, language, fmt)
                 for example_id, article, a, b in pairs for first, second in ((a, b), (b, a))]
    answers = iter(await ask_all(adapter, questions, asyncio.Semaphore(concurrency)))
    usage = Usage()
    rows = []
    for example_id, _, a, b in pairs:
        found = [next(answers), next(answers)]
        for answer in found:
            usage.merge(answer.usage)
        first, second = (answer.value for answer in found)
        error = next((answer.error for answer in found if answer.error), None)
        rows.append({"id": example_id, "a_first": first, "b_first": second,
                     "verdict": "error" if error else verdict(first, second),
                     "order_dependent": order_dependent(first, second),
                     "length_difference": len(a.split()) - len(b.split()), "error": error})
    return rows, usage


def summarize(rows: Sequence[Mapping[str, Any]], bootstrap: Any) -> dict[str, Any]:
    """Win rates of A and B and the tie rate over valid pairs, with CIs; length difference."""
    from harness.metrics.base import entry
    from harness.scoring.bootstrap import mean_ci

    valid = [r for r in rows if r["verdict"] not in ("invalid", "error")]
    out: dict[str, Any] = {"n_pairs": len(rows), "n_valid": len(valid),
                           "n_invalid": sum(r["verdict"] == "invalid" for r in rows),
                           "n_errored": sum(r["verdict"] == "error" for r in rows),
                           "order_dependent": sum(r["order_dependent"] for r in valid)}
    for name in ("a", "b", "tie"):
        column = [float(r["verdict"] == name) for r in valid]
        out[f"{name}_rate" if name == "tie" else f"win_rate_{name}"] = entry(
            sum(column) / len(column), mean_ci(column, bootstrap)) if column else entry(None)
    lengths = [float(r["length_difference"]) for r in valid]
    out["length_difference_words"] = entry(sum(lengths) / len(lengths), mean_ci(
        lengths, bootstrap)) if lengths else entry(None)
    return out
