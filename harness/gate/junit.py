"""JUnit XML for CI systems: one test case per task × model × check, failures with messages.

Built with ElementTree so names and messages are always escaped; characters XML 1.0 cannot
hold (control characters) are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.gate.check import GateResult

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _counts(element: ET.Element, statuses: list[str]) -> None:
    element.set("tests", str(len(statuses)))
    element.set("failures", str(statuses.count("fail")))
    element.set("errors", str(statuses.count("error")))
    element.set("skipped", str(statuses.count("skip")))


def render_junit(result: GateResult, name: str = "harness check") -> str:
    root = ET.Element("testsuites", name=name)
    tasks: dict[str, ET.Element] = {}
    statuses: dict[str, list[str]] = {}
    for o in result.outcomes:
        if o.task not in tasks:
            tasks[o.task] = ET.SubElement(root, "testsuite", name=_clean(o.task))
            statuses[o.task] = []
        case = ET.SubElement(tasks[o.task], "testcase", classname=_clean(f"{o.task}.{o.model}"),
                             name=_clean(o.check), time="0")
        statuses[o.task].append(o.status)
        if o.status == "fail":
            ET.SubElement(case, "failure", message=_clean(o.message),
                          type="regression").text = _clean(o.message)
        elif o.status == "error":
            ET.SubElement(case, "error", message=_clean(o.message),
                          type="input").text = _clean(o.message)
        elif o.status == "skip":
            ET.SubElement(case, "skipped", message=_clean(o.message))
        else:
            ET.SubElement(case, "system-out").text = _clean(o.message)
    for task, suite in tasks.items():
        _counts(suite, statuses[task])
    _counts(root, [s for values in statuses.values() for s in values])
    for suite in list(tasks.values())[:1] if result.notes else []:
        props = ET.Element("properties")  # before the test cases, as the JUnit schema wants
        for i, note in enumerate(result.notes, start=1):
            ET.SubElement(props, "property", name=f"note{i}", value=_clean(note))
        suite.insert(0, props)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: GateResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(result), encoding="utf-8")
