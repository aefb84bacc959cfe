"""The leaderboard site in headless Chromium, built from real offline runs (lead, majority,
replays of the references) and hand-made runs with known differences: 10 models × 6 tasks.

It renders, hostile model output never runs (on the drill-down pages), Arabic is right to
left, the matrix sorts, and at 1280 px the matrix needs no horizontal scrolling.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from compare_fixtures import edit_report, fake_stance_run, fake_summary_run, harness, seed_runs
from test_report_browser import CSP_META, PAYLOADS, SHORT, _Dom, assert_right_to_left, browse

pytestmark = pytest.mark.browser

SEED_MODELS = ["lead-k1", "lead-k3", "refs", "majority"]
OTHERS = [f"model-{i}" for i in range(6)]
LABELS = ["favor", "against", "none"]
PROBE = """<script>
var matrix = document.getElementById("matrix");
function order() { return Array.prototype.map.call(matrix.tBodies[0].rows,
  function (r) { return r.getAttribute("data-model"); }); }
var before = order();
var button = matrix.querySelector('button[data-key="task-1"]');
button.click();
var first = order();
button.click();
var second = order();
var out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify({before: before, first: first, second: second,
  hidden: button.hidden, scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  matrixRight: matrix.getBoundingClientRect().right});
document.body.appendChild(out);
</script>"""


def _fewer_resamples(report: dict) -> None:
    """Quicker drill-downs: fewer resamples, and `metric_info` as current reports carry it."""
    from harness.metrics.registry import value_info

    report["metric_settings"]["bootstrap"]["resamples"] = 200
    report["metric_info"] = value_info(report)


def _fake_runs(folder: Path) -> None:
    """Four tasks where model-i is i steps worse than the best, hostile text in model-5."""
    n = 24
    for i, model in enumerate(SEED_MODELS + OTHERS):
        outputs = (PAYLOADS * 4)[:n] if model == "model-5" else None
        if model == "model-4":
            outputs = [SHORT] + ["ملخص عربي أطول قليلاً من غيره"] * (n - 1)
        for task in ("news_sum_a", "news_sum_b"):
            scores = [max(0.0, 0.9 - 0.08 * i + (0.02 if k % 2 else 0.0)) for k in range(n)]
            edit_report(fake_summary_run(folder, model, scores, task=task, predictions=outputs),
                        _fewer_resamples)
        gold = [LABELS[k % 3] for k in range(n)]
        for task in ("stance_a", "stance_b"):
            predicted = [g if k >= 2 * i else LABELS[(k + 1) % 3] for k, g in enumerate(gold)]
            edit_report(fake_stance_run(folder, model, gold, predicted, task=task),
                        _fewer_resamples)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("leaderboard")
    results = seed_runs(tmp)  # seed_summarization: lead-k1, lead-k3, refs; seed_stance: ...
    _fake_runs(tmp / "fake")
    assert harness("leaderboard", results, tmp / "fake", "--out", tmp / "site") == 0
    return tmp / "site"


def test_built_from_ten_models_and_six_tasks(site: Path) -> None:
    data = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    assert len(data["tasks"]) == 6 and len(data["models"]) == 10
    assert sum(len(t["ranking"]) for t in data["tasks"]) >= 10
    assert {m["model"] for m in data["models"]} == set(SEED_MODELS + OTHERS)


def test_renders_and_hostile_output_does_not_execute(site: Path, tmp_path: Path) -> None:
    hostile = [p for p in sorted(site.glob("task-*.html"))
               if "&lt;script&gt;document.title" in p.read_text(encoding="utf-8")]
    assert hostile, "no drill-down page shows the hostile outputs"
    for page in [site / "index.html", hostile[0]]:
        for with_csp in (True, False):
            html = page.read_text(encoding="utf-8")
            copy = tmp_path / page.name
            copy.write_text(html if with_csp else CSP_META.sub("", html), encoding="utf-8")
            dom = _Dom()
            dom.feed(browse(copy, tmp_path, "--dump-dom", "--virtual-time-budget=2000"))
            assert dom.title.startswith("Leaderboard"), page
            tags = [tag for tag, _ in dom.elements]
            assert tags.count("script") == 1 and "img" not in tags and "iframe" not in tags
            for tag, attrs in dom.elements:
                assert "data-pwned" not in attrs
                assert not any(k.startswith("on") for k in attrs), (page, tag, attrs)
                assert not str(attrs.get("href") or "").startswith("javascript:")


def _probe(site: Path, tmp_path: Path) -> dict[str, list[str]]:
    html = CSP_META.sub("", (site / "index.html").read_text(encoding="utf-8"))
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dumped = browse(page, tmp_path, "--dump-dom", "--window-size=1280,1600")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dumped, re.S)
    assert found, "the probe script did not run"
    return dict(json.loads(found.group(1).replace("&quot;", '"')))


def test_sorting_and_no_horizontal_scroll_at_1280(site: Path, tmp_path: Path) -> None:
    probe = _probe(site, tmp_path)
    data = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    task = data["tasks"][0]  # task-1
    by_value = [r["model"] for r in sorted(task["ranking"], key=lambda r: -r["value"])]
    assert probe["before"] == [m["model"] for m in data["models"]]  # mean rank order
    assert probe["first"][: len(by_value)] == by_value  # best first, unranked models last
    assert probe["second"][: len(by_value)] != by_value  # pressed again: reversed
    assert probe["hidden"] is False  # the page's script unhid its buttons
    assert probe["clientWidth"] == 1280 and probe["scrollWidth"] <= 1280, probe
    assert probe["matrixRight"] <= 1280, probe

    from PIL import Image

    shot = tmp_path / "index.png"
    browse(site / "index.html", tmp_path, f"--screenshot={shot}", "--window-size=1280,1200")
    image = Image.open(shot)
    assert image.size == (1280, 1200)


def test_drill_down_arabic_is_right_to_left(site: Path, tmp_path: Path) -> None:
    page = next(p for p in sorted(site.glob("task-*.html"))
                if SHORT in p.read_text(encoding="utf-8"))
    assert f'href="{page.name}"' in (site / "index.html").read_text(encoding="utf-8")
    assert_right_to_left(page, tmp_path / "measure.html", tmp_path)
