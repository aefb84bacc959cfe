"""Log-likelihood's chat route against a fake server with scripted log-probabilities: exact
values for one- and multi-token labels, shared prefixes asked once, a label outside the top k
bounded, a server without log-probabilities named, prefill not continued refused (or bounded
with logprobs_prefill=never), and a cached rerun with no call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer
from helpers import STANCE_ROWS, label_scores, run_loglikelihood

from harness.adapters.openai_compat import OpenAIAdapter
from harness.errors import AdapterError, InputError
from harness.models.loglikelihood_chat import top_of
from harness.models.teacher_forcing import outside_bound
from harness.runner import RunResult

CHOICES = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}
# A piece-level "model" keyed on the answer so far (the text after the prompt's last newline):
# "مؤيد" is one token; "معارض" reads "مع" + "ار" + "ض"; "محايد" reads "م" + "حا" + "يد".
PIECES: dict[str, dict[str, float]] = {
    "": {"مؤيد": -0.5, "مع": -1.0, "م": -2.0, "x": -4.0},
    "مع": {"ار": -0.25, "ا": -1.5},
    "معار": {"ض": -0.125, "ط": -3.0},
    "م": {"حا": -0.75, "ح": -1.0},
    "محا": {"يد": -0.5, "ي": -2.5},
}
EXPECTED = {"favor": -0.5, "against": -1.0 - 0.25 - 0.125, "none": -2.0 - 0.75 - 0.5}


def piece_lm(text: str) -> dict[str, float]:
    return dict(PIECES.get(text.rsplit("\n", 1)[-1], {"?": -0.1}))


def run(tmp_path: Path, server: FakeOpenAIServer, top_k: int | None = None,
        **options: Any) -> RunResult:
    return run_loglikelihood(tmp_path, server.base_url, CHOICES, route="chat", top_k=top_k,
                             concurrency=2, **options)


def chat_calls(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [b for b in server.state.bodies if b.get("logprobs")]


@pytest.mark.parametrize("style", ["continue_final_message", "assistant"])
def test_exact_values_with_prefill_and_shared_prefixes(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer], style: str) -> None:
    server = fake_openai(lm=piece_lm, prefill=style)
    result = run(tmp_path, server, logprobs_prefill=style)
    for scores in label_scores(result).values():
        for label, text in CHOICES.items():
            assert scores[label]["logprob"] == pytest.approx(EXPECTED[label], abs=1e-12)
            assert scores[label]["bounded"] is False
            assert scores[label]["bytes"] == len(text.encode())
        assert [scores[k]["tokens"] for k in CHOICES] == [1, 3, 3]
    info = result.report["model"]["loglikelihood"]
    assert info["route"] == "chat" and info["prefill"] == style
    assert info["prefill_check"]["continued"] is True
    # 7 label tokens, but the first step is shared: "", then "مع" and "م", then "معار" and
    # "محا" = 5 requests per example
    calls = chat_calls(server)
    assert len(calls) == 5 * len(STANCE_ROWS)
    assert result.report["metrics"]["invalid_rate"]["value"] == 0.0
    prefilled = [b for b in calls if b["messages"][-1]["role"] == "assistant"]
    assert {b["messages"][-1]["content"] for b in prefilled} == {"مع", "م", "معار", "محا"}
    assert all(b["max_tokens"] == 1 and b["top_logprobs"] == 20 for b in calls)
    flags = {"continue_final_message": True, "add_generation_prompt": False}
    for body in prefilled:
        assert all((body.get(k) == v) == (style == "continue_final_message")
                   for k, v in flags.items())


def test_character_labels_share_prefixes_like_the_generation_route(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    """One token per letter: "" and "م" shared, then 3 x 2nd and 3rd letters, 2 x 4th = 10
    requests per example for 14 label tokens."""
    lp = {"م": -0.5, "ؤ": -1.25, "ي": -0.25, "د": -0.75, "ع": -2.0, "ا": -0.5, "ر": -1.0,
          "ض": -1.5, "ح": -1.75}
    server = fake_openai(lm=lambda text: dict(lp))
    result = run(tmp_path, server)
    for scores in label_scores(result).values():
        for label, text in CHOICES.items():
            assert scores[label]["logprob"] == pytest.approx(sum(lp[c] for c in text))
    assert len(chat_calls(server)) == 10 * len(STANCE_ROWS)


def test_a_piece_outside_the_top_k_is_bounded(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=piece_lm)
    result = run(tmp_path, server, top_k=2)  # top 2 first tokens: "مؤيد", "مع" (not "م")
    bound = outside_bound({"مؤيد": -0.5, "مع": -1.0})
    for scores in label_scores(result).values():
        assert scores["favor"] == {"logprob": -0.5, "bytes": 8, "tokens": 1, "bounded": False}
        assert scores["against"]["logprob"] == pytest.approx(EXPECTED["against"])
        assert scores["none"]["bounded"] is True
        assert scores["none"]["logprob"] == pytest.approx(bound) and bound < EXPECTED["none"]
    assert result.report["details"]["loglikelihood"]["n_bounded_labels"] == len(STANCE_ROWS)


@pytest.mark.parametrize("behaviour", ["new_turn", "continue_final_message"])
def test_prefill_not_continued_is_refused(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer], behaviour: str) -> None:
    """A server that opens a new turn (llama-cpp-python), or vLLM without its flags (style
    "assistant"), would answer as if the label were a whole message: refused."""
    server = fake_openai(lm=piece_lm, prefill=behaviour)
    style = "assistant" if behaviour == "continue_final_message" else "continue_final_message"
    with pytest.raises(AdapterError, match=rf"/chat/completions did not continue the final "
                       rf"assistant message \(logprobs_prefill={style}\).*grew the prompt.*"
                       r"logprobs_prefill=never"):
        run(tmp_path, server, logprobs_prefill=style)


def test_without_prefill_the_first_token_is_exact_and_the_rest_bounded(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=piece_lm, prefill="reject")  # OpenAI: no prefill at all
    with pytest.raises(AdapterError, match=r"rejected the request's continue_final_message.*"
                                           r"logprobs_prefill=never"):
        run(tmp_path / "a", server)
    server.state.reset_counters()
    result = run(tmp_path / "b", server, logprobs_prefill="never")
    for scores in label_scores(result).values():
        assert scores["favor"] == {"logprob": -0.5, "bytes": 8, "tokens": 1, "bounded": False}
        assert scores["against"] == {"logprob": -1.0, "bytes": 10, "tokens": 1, "bounded": True}
        assert scores["none"] == {"logprob": -2.0, "bytes": 10, "tokens": 1, "bounded": True}
    info = result.report["model"]["loglikelihood"]
    assert info["prefill"] == "never" and info["prefill_check"] is None
    assert len(chat_calls(server)) == len(STANCE_ROWS)  # one request per example


def test_a_server_without_log_probabilities_is_named(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=piece_lm, no_logprobs=True)
    with pytest.raises(AdapterError, match=r"/v1/chat/completions returned no top "
                                           r"log-probabilities"):
        run(tmp_path, server)


def test_a_cached_rerun_makes_no_call(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(lm=piece_lm)
    first = run(tmp_path, server)
    calls = len(server.state.bodies)
    second = run(tmp_path, server)
    assert len(server.state.bodies) == calls
    assert second.report["usage"]["cached_responses"] == len(STANCE_ROWS)
    assert label_scores(first) == label_scores(second)
    assert second.report["model"]["loglikelihood"]["prefill_check"]["continued"] is True


def test_options_and_answer_shapes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="logprobs_route=chat only"):
        OpenAIAdapter("m", base_url="http://127.0.0.1:9/v1", logprobs_prefill="never")
    with pytest.raises(InputError, match="must be one of"):
        OpenAIAdapter("m", base_url="http://127.0.0.1:9/v1", logprobs_route="chat",
                      logprobs_prefill="maybe")
    # OpenAI's shape (text from bytes; a byte fragment kept under a key no label matches) and
    # the legacy shape some servers answer chats with
    fragment = {"token": "bytes:\\xd8", "logprob": -3.0, "bytes": [0xD8]}
    whole = {"token": "x", "logprob": -1.0, "bytes": list("مؤ".encode())}
    assert top_of({"content": [{"top_logprobs": [whole, fragment]}]}) == {"مؤ": -1.0,
                                                                         "\x001": -3.0}
    assert top_of({"top_logprobs": [{"a": -0.5}], "tokens": ["a"]}) == {"a": -0.5}
    assert top_of(None) is None and top_of({"content": []}) is None
    assert top_of({"content": [{"top_logprobs": []}]}) is None
