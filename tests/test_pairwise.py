"""`harness pairwise`: both orders asked; an order-dependent verdict is a tie."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan, prompt_key
from helpers import summarization_spec, write_jsonl, write_task

from harness.cli import main
from harness.judging.pairwise import order_dependent, verdict


def test_verdicts() -> None:
    assert verdict("1", "2") == "a" and verdict("2", "1") == "b"
    assert verdict("1", "1") == "tie" and order_dependent("1", "1")  # position bias
    assert verdict("tie", "2") == "tie" and not order_dependent("tie", "2")
    assert verdict(None, "2") == "invalid"


def prefers_marked(messages: Sequence[Mapping[str, Any]]) -> str:
    """Picks the summary holding «دقيق», in whichever position it is shown."""
    user = str(messages[1]["content"])
    first = user.split("الملخص 1:\n")[1].split("\n\n")[0]
    return json.dumps({"better": "1" if "دقيق" in first else "2", "justification": "x"})


def always_first(messages: Sequence[Mapping[str, Any]]) -> str:
    return '```json\n{"better": 1, "justification": "x"}\n```'


def two_runs(tmp_path: Path) -> None:
    """Runs a and b (replayed summaries) of a four-article task; a's summaries hold «دقيق»."""
    ids = [f"e{i}" for i in range(4)]
    write_jsonl(tmp_path / "data.jsonl", [{"id": i, "article": f"مقال {i} عن خطة النقل.",
                                           "summary": "ملخص."} for i in ids])
    task = write_task(tmp_path, summarization_spec())
    for name, text in (("a", "ملخص دقيق وطويل قليلاً"), ("b", "ملخص")):
        preds = write_jsonl(tmp_path / f"{name}.jsonl",
                            [{"id": i, "prediction": f"{text} {i}"} for i in ids])
        assert main(["run", str(task), "--model", f"replay:{name},path={preds}",
                     "--results-dir", str(tmp_path / name)]) == 0


@pytest.mark.parametrize(("answer", "win_a", "ties", "biased"),
                         [(prefers_marked, 1.0, 0.0, 0), (always_first, 0.0, 1.0, 4)])
def test_pairwise_both_orders(fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path,
                              answer: Any, win_a: float, ties: float, biased: int) -> None:
    server = fake_openai(answer=answer)
    two_runs(tmp_path)
    out = tmp_path / "pairwise.json"
    assert main(["pairwise", str(tmp_path / "a"), str(tmp_path / "b"), "--judge",
                 f"openai:fake,base_url={server.base_url}", "--cache-dir", str(tmp_path / "c"),
                 "--out", str(out)]) == 0
    result = json.loads(out.read_text("utf-8"))
    summary = result["summary"]
    assert summary["n_valid"] == 4 and server.state.total_calls == 8  # both orders
    assert summary["win_rate_a"]["value"] == win_a
    assert summary["tie_rate"]["value"] == ties
    assert summary["order_dependent"] == biased
    assert summary["length_difference_words"]["value"] == 3.0


def test_a_failed_pairwise_call_is_errored_then_asked_again(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    from harness.judging.rubrics import pairwise_messages

    failing = prompt_key(pairwise_messages("ar", "مقال e0 عن خطة النقل.",
                                           "ملخص دقيق وطويل قليلاً e0", "ملخص e0"))
    server = fake_openai(answer=prefers_marked, plan=FaultPlan(script={failing: ["503"]}))
    two_runs(tmp_path)
    out = tmp_path / "pairwise.json"
    argv = ["pairwise", str(tmp_path / "a"), str(tmp_path / "b"), "--judge",
            f"openai:fake,base_url={server.base_url},max_attempts=1",
            "--cache-dir", str(tmp_path / "c"), "--out", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text("utf-8"))
    assert result["pairwise_version"] == "2"
    assert (result["summary"]["n_valid"], result["summary"]["n_invalid"],
            result["summary"]["n_errored"]) == (3, 0, 1)
    [row] = [r for r in result["pairs"] if r["id"] == "e0"]
    assert row["verdict"] == "error" and "503" in row["error"]
    assert result["summary"]["win_rate_a"]["value"] == 1.0  # over the 3 answered pairs
    assert main(argv) == 0  # not cached: asked again, the 7 others from the cache
    assert json.loads(out.read_text("utf-8"))["summary"]["n_valid"] == 4
    assert server.state.calls[failing] == 2 and server.state.total_calls == 9
