"""JUnit XML from `harness check`: parses, one case per task × model × check, right counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from compare_fixtures import drop_examples, edit_report, fake_summary_run, harness, run_models

from harness.gate.check import GateResult, Outcome
from harness.gate.junit import render_junit


def _counts(element: ET.Element) -> tuple[int, int, int, int]:
    return tuple(int(element.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))


def test_junit_from_a_regression(tmp_path: Path) -> None:
    run_models("seed_summarization", tmp_path / "base", "lead")
    run_models("seed_summarization", tmp_path / "cur", "lead:lead,k=1")
    run_models("seed_stance", tmp_path / "cur", "majority")
    junit = tmp_path / "out" / "junit.xml"
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base",
                   "--tolerance", "rouge1_precision=1", "--junit", junit) == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"seed_summarization", "seed_stance"}

    summ = suites["seed_summarization"]
    cases = summ.findall("testcase")
    # error_rate + 12 ROUGE metrics (4 types × F/P/R) + 3 checks, one case each
    assert len(cases) == 16
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == 16
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    # lead-1 is shorter than lead-3: recall and F1 drop, precision is allowed to drop by 1
    assert {"rouge1", "rougeL", "rouge1_recall"} <= failed
    assert "rouge1_precision" not in failed and "error_rate" not in failed
    failure = next(c for c in cases if c.get("name") == "rougeL").find("failure")
    assert failure is not None and "rougeL" in failure.get("message", "")
    assert _counts(summ) == (16, len(failed), 0, 0)

    stance = suites["seed_stance"]  # no baseline for majority here: error rate only + a skip
    assert _counts(stance) == (2, 0, 0, 1)
    assert _counts(root) == (18, len(failed), 0, 1)


def test_junit_escapes_and_counts_errors() -> None:
    result = GateResult([
        Outcome("t<1>", "m&\"x\"", "rougeL", "fail", "dropped \x07 <b>&"),
        Outcome("t<1>", "m", "comparability", "error", "task hash differs"),
        Outcome("t<1>", "m", "accuracy", "pass", "ok"),
    ], notes=["a note"])
    root = ET.fromstring(render_junit(result))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "t<1>"
    assert _counts(root) == (3, 1, 1, 0) == _counts(suite)
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message") == "dropped  <b>&"
    assert suite.find("properties/property").get("value") == "a note"  # type: ignore[union-attr]


def test_junit_on_input_mismatch(tmp_path: Path) -> None:
    fake_summary_run(tmp_path / "base", "m", [0.5] * 12)
    current = drop_examples(fake_summary_run(tmp_path / "cur", "m", [0.5] * 12))
    edit_report(current, lambda r: r["metric_settings"]["bootstrap"].update(resamples=10))
    junit = tmp_path / "j.xml"
    assert harness("check", current, "--baseline", tmp_path / "base", "--junit", junit) == 2
    root = ET.parse(junit).getroot()
    errors = root.findall(".//testcase/error")
    assert len(errors) == 1 and "bootstrap.resamples" in (errors[0].get("message") or "")
