"""Log-likelihood choice against a fake server with scripted log-probabilities: exact values by
both routes, prefix sharing, the echo check refusing a server whose echo is wrong, bounded
labels outside the top k, clear errors when log-probabilities are missing, cached reruns."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer
from helpers import label_scores, run_loglikelihood

from harness.errors import AdapterError
from harness.models.teacher_forcing import outside_bound
from harness.runner import RunResult

# A character-level "model": the next character's log-probability, whatever came before.
LP = {"م": -0.5, "ؤ": -1.25, "ي": -0.25, "د": -0.75, "ع": -2.0, "ا": -0.5, "ر": -1.0,
      "ض": -1.5, "ح": -1.75, "ة": -3.0}
CHOICES = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}
EXPECTED = {label: sum(LP[c] for c in text) for label, text in CHOICES.items()}
ALIASES = {label: [text] for label, text in CHOICES.items()}


def lm(text: str) -> dict[str, float]:
    return dict(LP)


def run(tmp_path: Path, server: FakeOpenAIServer, route: str = "auto", top_k: int | None = None,
        cache: bool = True, cue: str = "") -> RunResult:
    """A log-likelihood run; most tests score labels right after the prompt (no answer cue)."""
    return run_loglikelihood(tmp_path, server.base_url, CHOICES, route=route, top_k=top_k,
                             cache=cache, stance={"answer_cue": cue})


@pytest.mark.parametrize("route", ["echo", "generation", "auto"])
def test_exact_label_log_probabilities_by_both_routes(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer], route: str) -> None:
    server = fake_openai(lm=lm)
    result = run(tmp_path, server, route)
    used = "generation" if route == "generation" else "echo"
    assert result.report["model"]["loglikelihood"]["route"] == used
    for scores in label_scores(result).values():
        for label, text in CHOICES.items():
            assert scores[label]["logprob"] == pytest.approx(EXPECTED[label], abs=1e-12)
            assert scores[label]["bytes"] == len(text.encode())
            assert scores[label]["bounded"] is False
    report = result.report
    # favor has the highest log-likelihood (-2.75) and the highest per byte
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(1 / 3)
    assert report["metrics"]["accuracy_norm"]["value"] == pytest.approx(1 / 3)
    assert {"macro_f1", "macro_f1_norm", "f_avg", "f_avg_norm"} <= set(report["metrics"])
    assert report["metrics"]["invalid_rate"]["value"] == 0.0
    assert report["metric_settings"]["stance"]["answer_mode"] == "loglikelihood"
    # requests: echo = one per label (+ 2 for the check); generation shares prefixes:
    # "", "م", 3 x 2nd and 3rd letters, 2 x 4th = 10 per example whatever the label count
    per_example = 3 if used == "echo" else 10
    check = 2 if route in ("echo", "auto") else 0
    assert len(server.state.completions) == per_example * 3 + check


@pytest.mark.parametrize("route", ["echo", "generation"])
def test_labels_are_scored_after_the_answer_cue_and_a_space(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer], route: str) -> None:
    space = -0.125

    def cued(text: str) -> dict[str, float]:
        return {**LP, " ": space} if text.endswith("الإجابة:") else dict(LP)

    server = fake_openai(lm=cued)
    result = run(tmp_path, server, route, cue="الإجابة:")
    for scores in label_scores(result).values():
        for label, text in CHOICES.items():
            assert scores[label]["logprob"] == pytest.approx(space + EXPECTED[label], abs=1e-12)
            assert scores[label]["bytes"] == len((" " + text).encode())
            assert scores[label]["bounded"] is False
    prompts = [str(body["prompt"]) for body in server.state.completions]
    assert any(p.endswith("\nالإجابة:") for p in prompts)
    assert all("الإجابة:" in p for p in prompts if "مؤيد" in p[-8:])
    settings = result.report["metric_settings"]["stance"]
    assert settings["answer_cue"] == "الإجابة:" and settings["prompt_format"].startswith("2:")


def test_a_wrong_echo_is_refused_or_avoided(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=lm, wrong_echo=-11.5)
    with pytest.raises(AdapterError, match=r"echoed prompt log-probabilities disagree.*"
                                           r"logprobs_route=generation"):
        run(tmp_path / "a", server, "echo")
    result = run(tmp_path / "b", server, "auto")
    info = result.report["model"]["loglikelihood"]
    assert info["route"] == "generation" and info["echo_check"]["agree"] is False
    assert info["echo_check"]["echoed"] == -11.5
    for scores in label_scores(result).values():
        assert scores["against"]["logprob"] == pytest.approx(EXPECTED["against"], abs=1e-12)


def test_labels_outside_the_top_k_are_bounded_and_counted(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=lm)
    result = run(tmp_path, server, "generation", top_k=3)  # top 3: ي, م, ا
    top3 = {"ي": -0.25, "م": -0.5, "ا": -0.5}  # their mass exceeds 1 here: the least value
    bound = -0.5
    assert outside_bound(top3) == bound
    assert outside_bound({"a": math.log(0.5), "b": math.log(0.25)}) == pytest.approx(math.log(0.25))
    assert outside_bound({"a": math.log(0.5), "b": math.log(0.45)}) == pytest.approx(math.log(0.05))
    for scores in label_scores(result).values():
        # م is in the top 3, ؤ / ع / ح are not: one forced step, then the bound
        for label in CHOICES:
            assert scores[label]["bounded"] is True
            assert scores[label]["logprob"] == pytest.approx(LP["م"] + bound, abs=1e-12)
    assert result.report["details"]["loglikelihood"] == {
        "n_bounded_labels": 9, "n_examples_bounded": 3, "invalid": 0}


def test_a_server_without_log_probabilities_fails_at_the_first_request(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=lm, no_logprobs=True)
    with pytest.raises(AdapterError, match=r"/completions returned no log-probabilities"):
        run(tmp_path, server, "generation")
    assert len(server.state.completions) == 1


def test_a_chat_only_server_is_named(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai()  # no /v1/completions
    with pytest.raises(AdapterError, match=r"has no /completions endpoint"):
        run(tmp_path, server, "generation")


def test_a_cached_rerun_makes_no_call(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=lm)
    first = run(tmp_path, server, "auto")
    calls = len(server.state.completions)
    second = run(tmp_path, server, "auto")
    assert len(server.state.completions) == calls
    assert second.report["usage"]["cached_responses"] == 3
    assert label_scores(first) == label_scores(second)
