"""A judge asked through the provider batch API (`run --batch`, the loopback batch fake):
rounds (every question, then the retries of unparseable answers), kill -9 then resume without
resubmitting, a failed line becoming an errored judge question asked again by the next run,
batch prices, and a cached re-run with zero calls."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_batch_server import FakeBatchServer
from fake_openai_server import judge_answer, prompt_key
from helpers import TASKS, summarization_spec, write_jsonl, write_task
from test_batch import kill_9_when, latest, submitted_ids

from harness.cli import main
from harness.judging.rubrics import DIMENSIONS, dimensions_messages

ARTICLES = [f"مقال رقم {i} عن خطة النقل. وقال الوزير إنها تبدأ العام المقبل." for i in range(4)]
CASES = ["case-plain", "case-retry", "case-twice", "case-plain"]
JUDGE = "gpt-4o-mini"  # a built-in price with a batch price (half the list price)


def answer(messages: Sequence[Mapping[str, Any]]) -> str:
    """A valid answer to a rubric question, or to a pairwise one (the first summary wins)."""
    if "الملخص 1:" in str(messages[1]["content"]):
        return '{"better": "1", "justification": "x"}'
    return judge_answer(messages)


def scripted(messages: Sequence[Mapping[str, Any]]) -> str:
    """Valid JSON, except: case-retry parses only on its retry, case-twice never does."""
    user = str(messages[1]["content"])
    if "case-retry" in user and len(messages) == 2:
        return '{"faithfulness": {"score": 4,'
    return "not json at all" if "case-twice" in user else judge_answer(messages)


def without_usage(found: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in verdict.items() if k != "usage"} for verdict in found]


@pytest.fixture
def task(tmp_path: Path) -> tuple[Path, Path]:
    """A four-example summarization task and replayed summaries (no model call)."""
    rows = [{"id": f"e{i}", "article": a, "summary": "ملخص."} for i, a in enumerate(ARTICLES)]
    write_jsonl(tmp_path / "data.jsonl", rows)
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": f"e{i}", "prediction": f"{c} ملخص {i}"}
                                                   for i, c in enumerate(CASES)])
    return write_task(tmp_path, summarization_spec()), preds


def args(task: tuple[Path, Path], server: FakeBatchServer, tmp: Path) -> list[str]:
    results = tmp / f"results{len(list(tmp.glob('results*')))}"
    return ["run", str(task[0]), "--model", f"replay:summaries,path={task[1]}",
            "--judge", f"openai:{JUDGE},base_url={server.base_url}", "--batch",
            "--poll-interval", "0.02", "--cache-dir", str(tmp / "cache"),
            "--results-dir", str(results)]


def verdicts(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [r["scores"]["judge"][JUDGE] for r in records]


def test_judge_questions_go_in_batch_rounds_priced_as_batch_then_rerun_from_cache(
        tmp_path: Path, task: tuple[Path, Path]) -> None:
    with FakeBatchServer(answer=scripted, models=(JUDGE,)) as server:
        assert main(args(task, server, tmp_path)) == 0
        first, retries = server.state.created
        assert len(submitted_ids(server, first)) == 8  # 4 summaries x (dimensions, claims)
        assert len(submitted_ids(server, retries)) == 4  # case-retry's and case-twice's two
        assert set(submitted_ids(server, retries)).isdisjoint(submitted_ids(server, first))
        assert server.state.total_calls == 0  # no live judge call
        report, records = latest(tmp_path)
        found = verdicts(records)
        assert found[1]["dimensions"]["faithfulness"]["score"] == 4  # parsed on its retry
        assert found[2]["dimensions"] is None and "not valid JSON" in found[2][
            "dimensions_invalid"]
        assert all(v["dimensions_error"] is None and v["claims_error"] is None for v in found)
        assert report["metrics"]["judge_faithfulness"]["value"] == 4.0  # 3 valid, none as 0
        assert report["metrics"]["judge_invalid_rate"]["value"] == 0.25
        assert report["metrics"]["judge_error_rate"]["value"] == 0.0
        usage = report["details"]["judge"]["usage"][JUDGE]
        assert usage["calls"] == usage["batch"] == 12 and usage["cached"] == 0
        expected = (usage["prompt_tokens"] * 0.075 + usage["completion_tokens"] * 0.30) / 1e6
        assert usage["cost_usd"] == pytest.approx(expected, rel=1e-9)  # the batch price
        assert report["usage"]["prompt_tokens"] is None  # the replayed model's, apart
        assert main(args(task, server, tmp_path)) == 0  # every question cached
        assert len(server.state.created) == 2 and server.state.total_calls == 0
        again, again_records = latest(tmp_path)
        cached = again["details"]["judge"]["usage"][JUDGE]
        assert cached["cached"] == cached["calls"] == 12
        assert cached["cost_usd"] == usage["cost_usd"]  # still priced as batch answers
        assert without_usage(verdicts(again_records)) == without_usage(found)


def test_a_failed_judge_line_is_an_errored_question_resubmitted_alone(
        tmp_path: Path, task: tuple[Path, Path]) -> None:
    refs = ["ملخص."]
    failing = prompt_key(dimensions_messages("ar", DIMENSIONS, ARTICLES[0], refs,
                                             f"{CASES[0]} ملخص 0"))
    with FakeBatchServer(answer=judge_answer, fail_prompts={failing}) as server:
        assert main(args(task, server, tmp_path)) == 0  # the model answered every example
        report, records = latest(tmp_path)
        errored = verdicts(records)[0]
        assert errored["dimensions"] is None and errored["dimensions_invalid"] is None
        assert "injected: invalid prompt" in errored["dimensions_error"]
        assert errored["claims_supported"] == 0.5  # its other question stands
        assert report["metrics"]["judge_error_rate"]["value"] == pytest.approx(0.5 / 4)
        assert report["metrics"]["judge_invalid_rate"]["value"] == 0.0
        assert report["metrics"]["judge_faithfulness"]["value"] == 4.0  # never scored 0
        assert report["details"]["judge"]["errored_questions"] == {JUDGE: 1}
        assert len(server.state.created) == 1  # an errored line is not retried as unparsed
        server.state.fail_prompts.clear()
        assert main(args(task, server, tmp_path)) == 0
        assert len(submitted_ids(server, server.state.created[-1])) == 1  # only that one
        again = latest(tmp_path)[0]
        assert again["metrics"]["judge_error_rate"]["value"] == 0.0
        assert again["details"]["judge"]["errored_questions"] == {JUDGE: 0}


def test_kill_9_while_polling_a_judge_batch_then_resume_without_resubmitting(
        tmp_path: Path, task: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(hold=True, answer=judge_answer, models=(JUDGE,)) as server:
        kill_9_when(args(task, server, tmp_path), lambda: server.state.retrievals >= 3, "polling")
        (batch,) = server.state.created
        assert main(["batches", "--cache-dir", str(tmp_path / "cache")]) == 0
        listed = capsys.readouterr().out
        assert batch["id"] in listed and "judge" in listed and "in_progress" in listed
        server.state.hold = False
        assert main(args(task, server, tmp_path)) == 0
        assert len(server.state.created) == 1 and server.state.total_calls == 0  # paid once
        report = latest(tmp_path)[0]
        assert report["metrics"]["judge_faithfulness"]["value"] == 4.0
        assert report["details"]["judge"]["usage"][JUDGE]["batch"] == 8
        capsys.readouterr()
        assert main(["batches", "--cache-dir", str(tmp_path / "cache")]) == 0
        assert batch["id"] not in capsys.readouterr().out  # settled


def test_kill_9_while_polling_the_retry_round_then_resume_it(
        tmp_path: Path, task: tuple[Path, Path]) -> None:
    with FakeBatchServer(hold=True, hold_after=1, answer=scripted, models=(JUDGE,)) as server:
        kill_9_when(args(task, server, tmp_path),
                    lambda: ("batch_2", "in_progress") in server.state.history, "the retry round")
        server.state.hold = False
        assert main(args(task, server, tmp_path)) == 0  # round 1 cached, round 2 resumed
        assert len(server.state.created) == 2 and server.state.total_calls == 0
        report, records = latest(tmp_path)
        assert verdicts(records)[1]["dimensions"]["faithfulness"]["score"] == 4
        usage = report["details"]["judge"]["usage"][JUDGE]
        assert (usage["calls"], usage["cached"], usage["batch"]) == (12, 8, 12)


def test_meta_eval_and_pairwise_judge_through_batches(tmp_path: Path,
                                                      task: tuple[Path, Path]) -> None:
    with FakeBatchServer(answer=answer) as server:
        judge = ["--judge", f"openai:fake,base_url={server.base_url}", "--batch",
                 "--poll-interval", "0.02", "--cache-dir", str(tmp_path / "cache")]
        assert main(["meta-eval", str(TASKS / "seed_summarization.yaml"),
                     "--out", str(tmp_path / "m"), *judge]) == 0
        (batch,) = server.state.created
        usage = json.loads((tmp_path / "m" / "metaeval.json").read_text("utf-8"))[
            "details"]["judge"]["usage"]["fake"]
        assert usage["batch"] == usage["calls"] == len(submitted_ids(server, batch)) == 16
        for name, text in (("a", "ملخص دقيق"), ("b", "ملخص")):
            preds = write_jsonl(tmp_path / f"{name}.jsonl",
                                [{"id": f"e{i}", "prediction": f"{text} {i}"} for i in range(4)])
            assert main(["run", str(task[0]), "--model", f"replay:{name},path={preds}",
                         "--results-dir", str(tmp_path / name)]) == 0
        out = tmp_path / "pairwise.json"
        assert main(["pairwise", str(tmp_path / "a"), str(tmp_path / "b"), *judge,
                     "--out", str(out)]) == 0
        assert len(server.state.created) == 2  # no retry round: every answer parsed
        assert len(submitted_ids(server, server.state.created[-1])) == 8  # 4 pairs x 2 orders
        assert server.state.total_calls == 0
        assert json.loads(out.read_text("utf-8"))["usage"]["batch"] == 8


def test_a_judge_spec_with_batch_false_stays_live_under_run_batch(
        tmp_path: Path, task: tuple[Path, Path]) -> None:
    with FakeBatchServer(answer=judge_answer) as server:
        argv = args(task, server, tmp_path)
        argv[argv.index("--judge") + 1] = f"openai:fake,base_url={server.base_url},batch=false"
        assert main(argv) == 0
        assert server.state.created == [] and server.state.total_calls == 8


def test_a_cache_from_before_judge_batches_still_lists_its_batches(tmp_path: Path) -> None:
    import sqlite3

    from harness.batch.state import BatchState

    path = tmp_path / "responses.sqlite"
    with sqlite3.connect(path) as db:  # the table as written before the purpose column
        db.execute("CREATE TABLE batches (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, model "
                   "TEXT NOT NULL, api_key_env TEXT NOT NULL, keys TEXT NOT NULL, status TEXT "
                   "NOT NULL, submitted_at REAL NOT NULL, settled_at REAL)")
        db.execute("INSERT INTO batches VALUES ('b1', 'e', 'm', 'K', '[\"k\"]', 'in_progress', "
                   "1.0, NULL)")
    state = BatchState(path)
    try:
        state.add("b2", endpoint="e", model="m", api_key_env="K", keys=["j"],
                  status="validating", purpose="judge")
        assert [(b.id, b.purpose, b.keys) for b in state.pending()] == [
            ("b1", "model", ("k",)), ("b2", "judge", ("j",))]
    finally:
        state.close()
