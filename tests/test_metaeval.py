"""`harness meta-eval`: seeded corruptions recorded, and which metric notices each one."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fake_openai_server import FakeOpenAIServer, judge_answer
from helpers import TASKS

from harness.cli import main
from harness.metaeval.corrupt import Context, change_number, flip_stance, negate


def _ctx(article: str = "") -> Context:
    return Context(article, [], random.Random(0))


def test_corruptions_say_what_they_changed() -> None:
    assert negate("وقال الوزير إن الخطة جاهزة.", _ctx()) == (
        "ولم يقل الوزير إن الخطة جاهزة.", {"from": "وقال", "to": "ولم يقل"})
    assert flip_stance("أيّد النواب القرار", _ctx()) == (
        "عارض النواب القرار", {"from": "أيّد", "to": "عارض"})
    changed, change = change_number("بلغ العدد ٣٥ شخصاً", _ctx()) or ("", {})
    assert change["from"] == "٣٥" and change["to"] != "٣٥" and change["to"] in changed
    assert change["to"].isdigit() and not change["to"].isascii()  # the digit script is kept
    assert flip_stance("خبر بلا موقف", _ctx()) is None  # not applicable: left out


def judge_by_language(messages: Sequence[Mapping[str, Any]]) -> str:
    """A judge that notices English: fluency 1 for a summary with Latin letters, else 4."""
    summary = str(messages[1]["content"]).split("الملخص المطلوب تقييمه:\n")[1].split("\n\n")[0]
    english = any("a" <= c.lower() <= "z" for c in summary)
    return judge_answer(messages, score=1 if english else 4)


def test_meta_eval_seed_task_offline_and_with_a_judge(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    task = str(TASKS / "seed_summarization.yaml")
    assert main(["meta-eval", task, "--out", str(tmp_path / "a")]) == 0
    assert main(["meta-eval", task, "--out", str(tmp_path / "b")]) == 0
    first = (tmp_path / "a" / "metaeval.json").read_text("utf-8")
    assert first == (tmp_path / "b" / "metaeval.json").read_text("utf-8")  # deterministic
    report = json.loads(first)
    assert report["metaeval_version"] == "1"
    assert {c["type"] for c in report["corruptions"]} >= {"negation", "english", "number"}
    english = report["sensitivity"]["english"]
    assert english["wrong_language_rate"]["sensitivity"] == 1.0
    assert english["rouge1"]["sensitivity"] == 1.0
    assert "| rouge1 |" in (tmp_path / "a" / "metaeval.md").read_text("utf-8")
    assert "<table" in (tmp_path / "a" / "metaeval.html").read_text("utf-8")

    server = fake_openai(answer=judge_by_language)
    assert main(["meta-eval", task, "--out", str(tmp_path / "j"), "--judge",
                 f"openai:fake,base_url={server.base_url}",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    judged = json.loads((tmp_path / "j" / "metaeval.json").read_text("utf-8"))
    assert judged["sensitivity"]["english"]["judge_fluency"]["sensitivity"] == 1.0
    assert judged["sensitivity"]["negation"]["judge_fluency"]["sensitivity"] == 0.0
    assert judged["metric_settings"]["judge"]["judges"][0]["model"] == "fake"
    usage = judged["details"]["judge"]["usage"]["fake"]  # 8 summaries x 2 questions
    assert usage["calls"] == server.state.total_calls == 16 and usage["cached"] == 0


def test_meta_eval_reads_outside_data_only_when_allowed(tmp_path: Path, capsys) -> None:
    spec = (TASKS / "seed_summarization.yaml").read_text("utf-8")
    data = (TASKS / "seed_summarization.yaml").parent.parent / "references"
    (tmp_path / "tasks").mkdir()
    task = tmp_path / "tasks" / "copy.yaml"
    task.write_text(spec.replace("path: ../references/", f"path: {data}/"), "utf-8")
    assert main(["meta-eval", str(task), "--out", str(tmp_path / "no")]) == 2
    assert "--allow-outside-data" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    assert main(["meta-eval", str(task), "--allow-outside-data", "--out",
                 str(tmp_path / "yes")]) == 0
    assert json.loads((tmp_path / "yes" / "metaeval.json").read_text("utf-8"))["n_examples"] == 1
