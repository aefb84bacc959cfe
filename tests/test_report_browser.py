"""The HTML comparison in headless Chromium: hostile model output never runs, Arabic is RTL.

Two copies of the page are loaded. The report as written (escaping + CSP) and a copy without
its CSP, so that escaping alone is shown to hold; a test-only copy adds a measuring script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from compare_fixtures import fake_summary_run, harness

pytestmark = pytest.mark.browser

SHORT = "نص قصير"
PAYLOADS = [
    '<script>document.title="PWNED"</script>',
    "<img src=x onerror=\"document.title='PWNED'\">",
    "<a href=\"javascript:document.title='PWNED'\">اضغط هنا</a>",
    "<svg onload=\"document.title='PWNED'\"></svg>",
    "</div></div></li><script>document.body.setAttribute('data-pwned','1')</script>",
    "<iframe src=\"javascript:parent.document.title='PWNED'\"></iframe>",
]
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
MEASURE = """<script>
var cell = Array.prototype.find.call(document.querySelectorAll(".model-output"),
  function (e) { return e.textContent.trim() === "SHORT"; });
var box = cell.getBoundingClientRect(), range = document.createRange();
range.selectNodeContents(cell);
var text = range.getBoundingClientRect(), style = getComputedStyle(cell);
var out = document.createElement("pre");
out.id = "layout";
out.textContent = JSON.stringify({cell: [box.left, box.top, box.right, box.bottom],
  text: [text.left, text.top, text.right, text.bottom], direction: style.direction,
  lang: cell.lang, padding: [parseFloat(style.paddingLeft), parseFloat(style.paddingRight)],
  dpr: window.devicePixelRatio, scrollY: window.scrollY});
document.body.appendChild(out);
</script>""".replace("SHORT", SHORT)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    message = ("headless Chromium is needed for the report browser test: "
               "apt-get install -y chromium")
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this test may not be skipped)")
    pytest.skip(message)


def browse(page: Path, tmp: Path, *extra: str) -> str:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={tmp / 'profile'}", "--window-size=1200,2000",
               "--force-device-scale-factor=1", *extra, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    outputs = [*PAYLOADS, SHORT] + ["ملخص عربي أطول قليلاً من غيره"] * 6
    scores = [0.3] * len(outputs)
    scores[len(PAYLOADS)] = 0.9  # the short output has the largest difference: shown first
    fake_summary_run(tmp / "runs", "baseline", [0.2] * len(outputs))
    fake_summary_run(tmp / "runs", "evil-model", scores, predictions=outputs)
    assert harness("compare", tmp / "runs", "--out", tmp / "out", "--title", "Safe title") == 0
    return tmp / "out" / "comparison.html"


@pytest.mark.parametrize("with_csp", [True, False], ids=["as-written", "csp-removed"])
def test_hostile_output_does_not_execute(report: Path, tmp_path: Path, with_csp: bool) -> None:
    html = report.read_text(encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(html if with_csp else CSP_META.sub("", html), encoding="utf-8")
    dom = _Dom()
    dom.feed(browse(page, tmp_path, "--dump-dom", "--virtual-time-budget=3000"))
    assert dom.title == "Safe title"
    tags = [tag for tag, _ in dom.elements]
    assert tags.count("script") == 1  # our sorting script, nothing injected
    assert "img" not in tags and "iframe" not in tags
    for tag, attrs in dom.elements:
        assert "data-pwned" not in attrs
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert not str(attrs.get("href") or "").startswith("javascript:")
    # the payloads are there, as text
    visible = browse(page, tmp_path, "--dump-dom")
    assert "&lt;script&gt;document.title=\"PWNED\"&lt;/script&gt;" in visible
    # the sorting script ran (it unhides the order selector) only where allowed
    sorter = next(attrs for tag, attrs in dom.elements if tag == "select")
    assert "hidden" not in sorter


def assert_right_to_left(report: Path, page: Path, tmp: Path) -> dict:
    """Measure the first short Arabic cell of `report` in the browser (CSP lifted so the
    measuring script runs, the copy written to `page`) and check it is laid out right to left:
    a short line hugs the right edge of its cell and leaves the left side empty."""
    html = CSP_META.sub("", report.read_text(encoding="utf-8"))
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    found = re.search(r'<pre id="layout">(.*?)</pre>', browse(page, tmp, "--dump-dom"), re.S)
    assert found, "the measuring script did not run"
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["direction"] == "rtl" and layout["lang"] == "ar"
    left, _, right, _ = layout["cell"]
    text_left, _, text_right, _ = layout["text"]
    pad_left, pad_right = layout["padding"]
    assert abs(text_right - (right - pad_right)) <= 2, layout
    assert text_left > left + pad_left + (right - left) / 3, layout
    return dict(layout)


def test_arabic_is_laid_out_right_to_left(report: Path, tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "measure.html"
    layout = assert_right_to_left(report, page, tmp_path)
    left, top, right, bottom = layout["cell"]
    _, pad_right = layout["padding"]

    shot = tmp_path / "shot.png"
    browse(page, tmp_path, f"--screenshot={shot}")
    image = Image.open(shot).convert("L")
    assert image.size == (1200, 2000)
    assert layout["scrollY"] == 0 and top >= 0 and bottom <= 2000, "cell outside the viewport"
    box = (int(left) + 3, int(top) + 3, int(right) - 3, int(bottom) - 3)
    crop = image.crop(box)
    width, height = crop.size
    dark = [x for x in range(width) for y in range(height) if crop.getpixel((x, y)) < 128]
    assert dark, "no text pixels found in the cell"
    assert width - 1 - max(dark) <= pad_right + 4, (max(dark), width, layout)
    assert min(dark) > width / 3, (min(dark), width, layout)


# Per-group paired tests: group names are data (an Arabic one, a Latin one, a hostile one).
GROUPS = ["الدار البيضاء", "Rabat", PAYLOADS[1]]
MEASURE_GROUPS = """<script>
var out = document.createElement("pre");
out.id = "groups";
out.textContent = JSON.stringify(Array.prototype.map.call(
  document.querySelectorAll("table.group-tests td.group"), function (cell) {
    var box = cell.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(cell);
    var text = range.getBoundingClientRect(), style = getComputedStyle(cell);
    return {group: cell.textContent, direction: style.direction,
            cell: [box.left, box.right], text: [text.left, text.right],
            padding: [parseFloat(style.paddingLeft), parseFloat(style.paddingRight)]};
  }));
document.body.appendChild(out);
</script>"""


@pytest.fixture(scope="module")
def grouped_report(tmp_path_factory) -> Path:
    from helpers import summarization_spec, write_jsonl, write_task

    tmp = tmp_path_factory.mktemp("groups")
    rows = [{"id": f"a{i}", "article": f"جملة أولى رقم {i}. جملة ثانية {i}.",
             "summary": f"جملة ثانية {i}", "source": GROUPS[i % 3]} for i in range(12)]
    write_jsonl(tmp / "data.jsonl", rows)
    task = write_task(tmp, summarization_spec(metrics={"group_by": ["source"],
                                                       "bootstrap": {"resamples": 200}}))
    for model in ("lead", "lead:k=2"):
        assert harness("run", task, "--model", model, "--results-dir", tmp / "runs") == 0
    assert harness("compare", tmp / "runs", "--out", tmp / "out", "--title", "Safe title") == 0
    return tmp / "out" / "comparison.html"


@pytest.mark.parametrize("with_csp", [True, False], ids=["as-written", "csp-removed"])
def test_group_tests_shown_with_caveat_and_inert(grouped_report: Path, tmp_path: Path,
                                                 with_csp: bool) -> None:
    html = grouped_report.read_text(encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(html if with_csp else CSP_META.sub("", html), encoding="utf-8")
    visible = browse(page, tmp_path, "--dump-dom", "--virtual-time-budget=3000")
    dom = _Dom()
    dom.feed(visible)
    assert dom.title == "Safe title"
    tags = [tag for tag, _ in dom.elements]
    assert "img" not in tags and tags.count("script") == 1
    assert not any(k.startswith("on") for _, attrs in dom.elements for k in attrs)
    # (4 ROUGE values + 3 checks) x 3 groups, one row each, and the caveat saying what that
    # many tests mean
    assert visible.count('<td class="group" dir="auto">') == 21
    assert "21 tests, <strong>not corrected for multiple comparisons</strong>" in visible
    assert "Bonferroni would ask p &lt; 0.0024" in visible
    assert '<td class="group" dir="auto">&lt;img src=x onerror=' in visible


def test_group_names_keep_their_direction(grouped_report: Path, tmp_path: Path) -> None:
    html = CSP_META.sub("", grouped_report.read_text(encoding="utf-8"))
    page = tmp_path / "measure.html"
    page.write_text(html.replace("</body>", MEASURE_GROUPS + "</body>"), encoding="utf-8")
    found = re.search(r'<pre id="groups">(.*?)</pre>', browse(page, tmp_path, "--dump-dom"), re.S)
    assert found, "the measuring script did not run"
    cells = json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<")
                       .replace("&gt;", ">").replace("&amp;", "&"))
    assert {c["group"] for c in cells} == set(GROUPS)
    for cell in cells:
        left, right = cell["cell"]
        text_left, text_right = cell["text"]
        pad_left, pad_right = cell["padding"]
        if cell["group"] == GROUPS[0]:  # Arabic: right to left, against the right edge
            assert cell["direction"] == "rtl", cell
            assert abs(text_right - (right - pad_right)) <= 2, cell
            assert text_left > left + pad_left + 10, cell
        else:  # Latin (and the hostile text, shown as text): left to right
            assert cell["direction"] == "ltr", cell
            assert abs(text_left - (left + pad_left)) <= 2, cell
