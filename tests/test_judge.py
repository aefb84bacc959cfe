"""The judge metric against the fault-injecting server: answers parsed, retried once, or
counted invalid (never scored), agreement of several judges, and a cached re-run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan, judge_answer, prompt_key
from helpers import TASKS

from harness.cli import main
from harness.errors import InputError
from harness.judging.agreement import ordinal_alpha
from harness.judging.parse import JudgeAnswerError, json_object, parse_dimensions
from harness.metrics.base import Item
from harness.metrics.judge import Judge, JudgeSettings
from harness.reports.build import validate_report
from harness.scoring.bootstrap import BootstrapConfig

ARTICLE = "أعلن الوزير خطة جديدة للنقل. وقال إنها تبدأ العام المقبل. جملة من المقال."
REFUSAL = "I'm sorry, but I can't help with that."


def scripted(messages: Sequence[Mapping[str, Any]]) -> str:
    """Answers chosen by the case named in the summary; a retry is a conversation of 4 turns."""
    user = str(messages[1]["content"])
    retry = len(messages) > 2
    valid = judge_answer(messages, score=5 if "case-five" in user else 4)
    if "case-fence" in user:
        return f"إليك التقييم:\n```json\n{valid}\n```"
    if "case-retry" in user:
        return valid if retry else '{"faithfulness": {"score": 4,'
    if "case-twice" in user:
        return "not json at all"
    if "case-refusal" in user:
        return REFUSAL
    if "case-range" in user:
        return valid.replace('"score": 4', '"score": 9')
    return valid


def judge_for(server: FakeOpenAIServer, tmp_path: Path, **settings: Any) -> Judge:
    spec = f"openai:fake,base_url={server.base_url},cache_dir={tmp_path / 'cache'},max_attempts=1"
    return Judge(JudgeSettings(judges=(spec,), **settings))


def records(judge: Judge, summaries: Sequence[str]) -> list[dict[str, Any]]:
    items = [Item(str(i), {"article": ARTICLE, "references": ["ملخص."]}, s)
             for i, s in enumerate(summaries)]
    scores = asyncio.run(judge.score(items))
    return [{"id": i.id, "error": None, "scores": s} for i, s in zip(items, scores, strict=True)]


def test_answers_valid_fenced_retried_invalid_and_refused(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    server = fake_openai(answer=scripted)
    judge = judge_for(server, tmp_path)
    cases = ["case-plain", "case-fence", "case-retry", "case-twice", "case-refusal",
             "case-range"]
    rows = records(judge, cases)
    verdicts = {c: r["scores"]["judge"]["fake"] for c, r in zip(cases, rows, strict=True)}
    for case in ("case-plain", "case-fence", "case-retry"):
        assert verdicts[case]["dimensions_invalid"] is None, case
        assert verdicts[case]["dimensions"]["faithfulness"]["score"] == 4
        assert verdicts[case]["claims_supported"] == 0.5
    assert verdicts["case-plain"]["usage"]["calls"] == 2  # dimensions + claims, no retry
    # the quoted evidence is checked against the article, the label left as the judge gave it
    assert [c["evidence_in_article"] for c in verdicts["case-plain"]["claims"]] == [True, False]
    assert verdicts["case-retry"]["usage"]["calls"] == 4  # both questions retried once
    for case in ("case-twice", "case-refusal"):
        assert verdicts[case]["dimensions"] is None and verdicts[case]["claims"] is None
        assert verdicts[case]["usage"]["calls"] == 4  # each question asked twice, no more
    assert "not valid JSON" in verdicts["case-refusal"]["claims_invalid"]
    assert verdicts["case-range"]["dimensions"] is None  # a score of 9 is not clipped to 5
    assert verdicts["case-range"]["claims_supported"] == 0.5
    assert "not valid JSON" in verdicts["case-twice"]["dimensions_invalid"]
    assert "from 1 to 5" in verdicts["case-range"]["dimensions_invalid"]
    config = BootstrapConfig(200, 1, 0.95)
    result = judge.aggregate(rows, config)
    # invalid answers are left out of the means, never scored: 3 valid examples of 4
    assert result.values["judge_faithfulness"]["value"] == 4.0
    assert result.values["judge_claims_supported"]["value"] == 0.5
    assert result.values["judge_invalid_rate"]["value"] == pytest.approx(2.5 / 6)
    assert result.details["judge"]["invalid_answers"] == {"fake": 5}
    assert result.details["judge"]["usage"]["fake"]["calls"] == 2 + 2 + 4 + 4 + 4 + 3
    retry = next(b for b in server.state.bodies if len(b["messages"]) == 4)
    assert "not valid JSON" in retry["messages"][-1]["content"]
    assert retry["response_format"]["type"] == "json_schema"
    # the same questions again come from the cache: zero calls
    before = server.state.total_calls
    again = records(judge_for(server, tmp_path), cases)
    assert server.state.total_calls == before
    assert again[0]["scores"]["judge"]["fake"]["usage"]["cached"] == 2


def test_a_failed_judge_call_is_errored_not_invalid_and_asked_again(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    from harness.judging.rubrics import DIMENSIONS, claims_messages, dimensions_messages

    cases = ["case-plain", "case-five", "case-twice"]
    dims_503 = prompt_key(dimensions_messages("ar", DIMENSIONS, ARTICLE, ["ملخص."], cases[0]))
    claims_429 = prompt_key(claims_messages("ar", ARTICLE, cases[1]))
    # each fails once: with max_attempts=1 the layer gives up (server error, rate limit)
    server = fake_openai(answer=scripted, plan=FaultPlan(script={dims_503: ["503"],
                                                                 claims_429: ["429"]}))
    judge = judge_for(server, tmp_path)
    rows = records(judge, cases)
    plain, five, twice = (r["scores"]["judge"]["fake"] for r in rows)
    assert plain["dimensions"] is None and plain["dimensions_invalid"] is None
    assert "judge call failed" in plain["dimensions_error"] and "503" in plain[
        "dimensions_error"]
    assert five["claims"] is None and five["claims_invalid"] is None
    assert "429" in five["claims_error"]
    assert twice["dimensions_error"] is None and twice["dimensions_invalid"]  # unparseable
    result = judge.aggregate(rows, BootstrapConfig(200, 1, 0.95))
    # errored questions are neither scored (never 0) nor counted invalid
    assert result.values["judge_faithfulness"]["value"] == 5.0  # case-five's, alone
    assert result.values["judge_claims_supported"]["value"] == 0.5
    assert result.values["judge_error_rate"]["value"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert result.values["judge_invalid_rate"]["value"] == pytest.approx((0 + 0 + 1) / 3)
    assert result.details["judge"]["errored_questions"] == {"fake": 2}
    assert result.details["judge"]["invalid_answers"] == {"fake": 2}
    assert "judge call failed" in judge.example_detail(rows[0])[0][1]
    # not cached: the next run asks exactly those two again, and gets answers
    again = records(judge_for(server, tmp_path), cases)
    assert server.state.calls[dims_503] == server.state.calls[claims_429] == 2
    usage = again[0]["scores"]["judge"]["fake"]["usage"]
    assert (usage["calls"], usage["cached"]) == (2, 1)  # claims from the cache
    values = judge.aggregate(again, BootstrapConfig(200, 1, 0.95)).values
    assert values["judge_error_rate"]["value"] == 0.0
    assert values["judge_faithfulness"]["value"] == 4.5


def test_parse_rules() -> None:
    from harness.judging.rubrics import DIMENSIONS, dimensions_messages, rubric_hash

    assert rubric_hash("ar", DIMENSIONS, True) != rubric_hash("en", DIMENSIONS, True)
    assert rubric_hash("ar", DIMENSIONS, True) != rubric_hash("ar", DIMENSIONS, False)
    assert "Faithfulness" in dimensions_messages("en", DIMENSIONS, "a", [], "s")[1]["content"]
    assert json_object('```\n{"a": 1}\n```') == {"a": 1}
    with pytest.raises(JudgeAnswerError, match="integer"):
        parse_dimensions('{"fluency": {"score": "4", "justification": "x"}}', ["fluency"])
    with pytest.raises(JudgeAnswerError, match="justification"):
        parse_dimensions('{"fluency": {"score": 4}}', ["fluency"])
    with pytest.raises(JudgeAnswerError, match="missing"):
        parse_dimensions('{"coverage": {"score": 4, "justification": "x"}}', ["fluency"])


def test_several_judges_mean_per_judge_and_alpha(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    server = fake_openai(answer=scripted, models=("fake", "other"))
    specs = tuple(f"openai:{m},base_url={server.base_url},cache_dir={tmp_path}"
                  for m in ("fake", "other"))
    judge = Judge(JudgeSettings(judges=specs, claims=False, dimensions=("fluency",)))
    rows = records(judge, ["case-plain", "case-five"])
    values = judge.aggregate(rows, BootstrapConfig(200, 1, 0.95)).values
    assert values["judge_fluency"]["value"] == 4.5
    assert values["judge_fluency@fake"]["value"] == values["judge_fluency@other"]["value"] == 4.5
    assert values["judge_alpha_fluency"]["value"] == 1.0  # both judges agree exactly
    recorded = Judge.from_recorded(json.loads(json.dumps(judge.record_settings())))
    assert list(recorded.values()) == list(judge.values())
    # a report written before version 2 keeps its values: no judge_error_rate to recompute
    before = {k: v for k, v in judge.record_settings().items() if k != "version"}
    assert set(judge.values()) - set(Judge.from_recorded(before).values()) == {
        "judge_error_rate"}
    with pytest.raises(InputError, match="share a label"):
        Judge(JudgeSettings(judges=(specs[0], specs[0])))
    with pytest.raises(InputError, match="needs a judge"):
        Judge(JudgeSettings())


def test_ordinal_alpha_matches_krippendorffs_worked_example() -> None:
    # Krippendorff (2011), reliability data with missing values; 0.8153875 is what the
    # `krippendorff` package (level_of_measurement="ordinal") gives for the same matrix.
    raters = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
              [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
              [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
              [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    assert ordinal_alpha(list(zip(*raters, strict=True))) == pytest.approx(0.8153875037548814)
    assert ordinal_alpha([[3, 3], [3, 3]]) is None  # no variation: undefined, not 1


def test_run_with_judge_flag_reports_judge_usage_apart_and_reruns_from_cache(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    server = fake_openai(answer=judge_answer)
    argv = ["run", str(TASKS / "seed_summarization.yaml"), "--model", "lead",
            "--judge", f"openai:fake,base_url={server.base_url}",
            "--cache-dir", str(tmp_path / "cache"), "--results-dir", str(tmp_path / "r1")]
    assert main(argv) == 0
    [path] = (tmp_path / "r1").rglob("*Z-*[0-9a-f].json")
    report = json.loads(path.read_text("utf-8"))
    assert report["metrics"]["judge_faithfulness"]["value"] == 4.0
    assert report["metric_settings"]["judge"]["judges"][0]["model"] == "fake"
    assert report["details"]["judge"]["usage"]["fake"]["calls"] == 2
    assert report["usage"]["prompt_tokens"] is None  # lead's usage: the judge's is apart
    validate_report(report)
    calls = server.state.total_calls
    assert main([*argv[:-1], str(tmp_path / "r2")]) == 0
    assert server.state.total_calls == calls  # the re-run asks the judge nothing


def test_runs_judged_by_different_judges_are_not_comparable(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = fake_openai(answer=judge_answer, models=("fake", "other"))
    for model, judge in (("lead", "fake"), ("lead,k=1", "other")):
        assert main(["run", str(TASKS / "seed_summarization.yaml"), "--model", model,
                     "--judge", f"openai:{judge},base_url={server.base_url}",
                     "--cache-dir", str(tmp_path / "cache"),
                     "--results-dir", str(tmp_path / "runs")]) == 0
    assert main(["compare", str(tmp_path / "runs")]) == 2
    assert "metric_settings.judge.judges" in capsys.readouterr().err
