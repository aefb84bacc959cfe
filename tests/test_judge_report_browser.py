"""Judge scores, justifications and unsupported claims in the comparison page, escaped,
checked in headless Chromium like the main report test."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from compare_fixtures import harness, seed_reference_predictions
from fake_openai_server import FakeOpenAIServer, judge_answer
from helpers import TASKS
from test_report_browser import _Dom, browse

pytestmark = pytest.mark.browser
PAYLOAD = '<img src=x onerror="document.title=\'PWNED\'">'


def hostile_judge(messages: Sequence[Mapping[str, Any]]) -> str:
    """Valid answers whose justification and unsupported claim carry markup."""
    answer = json.loads(judge_answer(messages, score=2))
    if "claims" in answer:
        answer["claims"][1]["claim"] = f"ادعاء مختلق {PAYLOAD}"
    else:
        answer["faithfulness"]["justification"] = f"تبرير {PAYLOAD}"
    return json.dumps(answer, ensure_ascii=False)


def test_judge_details_shown_escaped(fake_openai: Callable[..., FakeOpenAIServer],
                                     tmp_path: Path) -> None:
    server = fake_openai(answer=hostile_judge)
    summaries, _ = seed_reference_predictions(tmp_path)
    assert harness("run", TASKS / "seed_summarization.yaml", "--model", "lead",
                   "--model", f"replay:refs,path={summaries}", "--judge",
                   f"openai:fake,base_url={server.base_url}", "--cache-dir", tmp_path / "cache",
                   "--results-dir", tmp_path / "runs") == 0
    assert harness("compare", tmp_path / "runs", "--out", tmp_path / "out") == 0
    page = tmp_path / "out" / "comparison.html"
    dom = _Dom()
    dumped = browse(page, tmp_path, "--dump-dom", "--virtual-time-budget=3000")
    dom.feed(dumped)
    assert dom.title != "PWNED"
    assert "img" not in [tag for tag, _ in dom.elements]
    assert "judge_faithfulness" in dumped  # the scores in the metrics table
    assert "judge fake" in dumped  # each output's judge detail
    assert "faithfulness: 2: تبرير &lt;img src=x" in dumped  # score and justification, as text
    assert "[not_in_article] ادعاء مختلق &lt;img" in dumped  # the unsupported claim
