"""Hostile and malformed input, one table: each case must exit 2 with a message naming the file
(and line and field where there is one), print no traceback, write nothing, and keep memory
bounded. The CLI runs in-process (fast); the memory-heavy attacks also run in a subprocess under
an address-space cap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, STANCE_ROWS, SUMM_ROWS, stance_spec, summarization_spec, write_jsonl

from harness.cli import main

PEAK_BYTES = 150 << 20  # Python allocations while one case runs
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
CLOSED_URL = "http://127.0.0.1:9/v1"  # nothing listens there: no case may reach a model


@dataclass
class Case:
    id: str
    setup: Callable[[Path], list[str]]  # writes files under the folder, returns the argv
    expect: tuple[str, ...]  # substrings of stderr: the file, ":line", "field 'x'", the reason


def _stance(tmp: Path, rows: list[dict[str, Any]] | None = None,
            data: dict[str, Any] | None = None, **overrides: Any) -> Path:
    write_jsonl(tmp / "tasks" / "data.jsonl", STANCE_ROWS if rows is None else rows)
    spec = stance_spec(**overrides)
    spec["data"] = data or spec["data"]
    return _yaml(tmp, yaml.safe_dump(spec, allow_unicode=True))


def _summ(tmp: Path, **overrides: Any) -> Path:
    write_jsonl(tmp / "tasks" / "data.jsonl", SUMM_ROWS)
    return _yaml(tmp, yaml.safe_dump(summarization_spec(**overrides), allow_unicode=True))


def _yaml(tmp: Path, text: str | bytes, name: str = "t.yaml") -> Path:
    path = tmp / "tasks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _run(task: Path, *extra: str) -> list[str]:
    return ["run", str(task), "--results-dir", "results", *extra]


def _raw_data(lines: str | bytes) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        task = _stance(tmp)
        data = tmp / "tasks" / "data.jsonl"
        data.write_bytes(lines if isinstance(lines, bytes) else lines.encode())
        return _run(task)
    return setup


def _task(text: str | bytes) -> Callable[[Path], list[str]]:
    return lambda tmp: (_stance(tmp), _run(_yaml(tmp, text)))[1]


def _stance_with(**overrides: Any) -> Callable[[Path], list[str]]:
    return lambda tmp: _run(_stance(tmp, **overrides))


def _prompt(user: str, system: str = "") -> Callable[[Path], list[str]]:
    return _stance_with(prompt={"system": system, "user": user})


def _rows(rows: list[dict[str, Any]]) -> Callable[[Path], list[str]]:
    return lambda tmp: _run(_stance(tmp, rows=rows))


def _flags(*flags: str) -> Callable[[Path], list[str]]:
    return lambda tmp: _run(_stance(tmp), *flags)


def _replay(lines: str | None) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        preds = tmp / "preds.jsonl"
        if lines is None:
            preds.mkdir()
        else:
            preds.write_text(lines, "utf-8")
        return _run(_stance(tmp), "--model", f"replay,path={preds}")
    return setup


def _config(text: str, model: str = "m") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        (tmp / "models.yaml").write_text(text, "utf-8")
        return _run(_stance(tmp), "--models-config", str(tmp / "models.yaml"), "--model", model)
    return setup


def _gate(*flags: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        (tmp / "runs").mkdir()
        return ["check", str(tmp / "runs"), *flags]
    return setup


def _symlink_loop(tmp: Path) -> list[str]:
    task = _stance(tmp, data={"path": "loop.jsonl"})
    (tmp / "tasks" / "loop.jsonl").symlink_to(tmp / "tasks" / "loop.jsonl")
    return _run(task)


def _results_is_file(tmp: Path) -> list[str]:
    (tmp / "results").write_text("not a folder")
    return _run(_stance(tmp))


def _summary_is_folder(tmp: Path) -> list[str]:
    (tmp / "summary.md").mkdir()
    return [*_gate()(tmp), "--summary", str(tmp / "summary.md")]


def _compare_out_is_file(tmp: Path) -> list[str]:
    (tmp / "runs").mkdir()
    (tmp / "out").write_text("a file")
    return ["compare", str(tmp / "runs"), "--out", str(tmp / "out")]


def _second_task_bad(tmp: Path) -> list[str]:
    good = _stance(tmp)
    bad = _yaml(tmp, yaml.safe_dump(stance_spec(name="bad", prompt={"user": "{{ text.x }}"})),
                "bad.yaml")
    return ["run", str(good), str(bad), "--results-dir", "results"]


_deep = "[" * 100_000 + "]" * 100_000
TASK = "t.yaml"
DATA = "data.jsonl:"
CASES = [
    # task YAML
    Case("yaml-alias-bomb", _task(ALIAS_BOMB), (TASK + ":2", "aliases")),
    Case("yaml-deep-nesting", _task("name: " + "[" * 500 + "]" * 500), (TASK + ":1", "nested")),
    Case("yaml-python-tag", _task("name: !!python/object/apply:os.system [echo]\n"),
         (TASK + ":1", "tag refused")),
    Case("yaml-duplicate-key", _task("name: a\nname: b\n"), (TASK + ":2", "duplicate key")),
    Case("yaml-invalid-utf8", _task(b"name: \xff\xfe\n"), (TASK + ":1", "invalid UTF-8")),
    Case("yaml-lone-surrogate", _task('name: "\\ud800"\n'), (TASK + ":1", "surrogate")),
    Case("yaml-int-too-long", _task("version: " + "9" * 5000 + "\n"), (TASK + ":1", "too long")),
    Case("yaml-not-a-mapping", _task("- a\n- b\n"), (TASK + ":1", "YAML mapping")),
    Case("yaml-too-large", _task("# " + "x" * (5 << 20) + "\n"), (TASK, "larger than")),
    Case("task-file-is-a-folder", lambda tmp: (_stance(tmp), (tmp / "d.yaml").mkdir(),
                                               _run(tmp / "d.yaml"))[2], ("d.yaml", "not found")),
    Case("unknown-field", _stance_with(colour="red"), (TASK + ":", "field 'colour'")),
    Case("one-label", _stance_with(metrics={"stance": {"labels": ["favor"]}}),
         (TASK + ":", "field 'metrics.stance'", "at least two")),
    Case("yaml-booleans-as-labels", _task(
        "name: t\nversion: 1\nkind: stance\ndata: {path: data.jsonl}\nprompt: {user: '{{ text }}'}"
        "\nmetrics:\n  stance:\n    labels: [yes, no]\n"),
         (TASK + ":8", "field 'metrics.stance.labels.0'", "YAML boolean", "quote")),
    Case("resamples-too-many", _stance_with(metrics={"bootstrap": {"resamples": 10**12}}),
         (TASK + ":", "field 'metrics.bootstrap.resamples'", "100000")),
    Case("empty-rouge-types", lambda tmp: _run(_summ(tmp, metrics={"rouge": {"types": []}})),
         (TASK + ":", "field 'metrics.rouge.types'", "at least one")),
    Case("temperature-nan", _task(
        "name: t\nversion: 1\nkind: stance\ndata: {path: data.jsonl}\nprompt: {user: '{{ text }}'}"
        "\ngeneration: {temperature: .nan}\n"), (TASK + ":6", "field 'generation.temperature'")),
    # data files
    Case("data-outside-the-tree", _stance_with(data={"path": "/etc/passwd"}),
         (TASK, "field 'data.path'", "outside the task's tree", "--allow-outside-data")),
    Case("train-outside-the-tree", _stance_with(data={"path": "data.jsonl",
                                                      "train": "/etc/hostname"}),
         (TASK, "field 'data.train'", "outside")),
    Case("hub-folder-outside-the-tree", _stance_with(data={"hub": {"dataset": "/"}}),
         (TASK, "field 'data.hub.dataset'", "outside")),
    Case("data-is-a-folder", _stance_with(data={"path": "."}), (TASK, "is a folder")),
    Case("data-symlink-loop", _symlink_loop, (TASK, "field 'data.path'", "cannot resolve")),
    Case("jsonl-invalid-json", _raw_data(json.dumps(STANCE_ROWS[0]) + '\n{"id": \n'),
         (DATA + "2", "invalid JSON")),
    Case("jsonl-not-an-object", _raw_data("[1, 2]\n"), (DATA + "1", "JSON object")),
    Case("jsonl-invalid-utf8", _raw_data(b'{"id": "\xff"}\n'), (DATA + "1", "UTF-8")),
    Case("jsonl-lone-surrogate", _raw_data('{"id": "a", "text": "\\ud800"}\n'),
         (DATA + "1", "surrogate")),
    Case("jsonl-int-too-long", _raw_data('{"id": ' + "9" * 5000 + "}\n"), (DATA + "1", "too long")),
    Case("jsonl-deep-nesting", _raw_data('{"id": ' + _deep + "}\n"), (DATA + "1", "nested")),
    Case("jsonl-row-without-id", _rows([{k: v for k, v in STANCE_ROWS[0].items() if k != "id"}]),
         (DATA + "1", "field 'id'", "data.ids: row_number")),
    Case("jsonl-duplicate-id", _rows([STANCE_ROWS[0], STANCE_ROWS[0]]),
         (DATA + "2", "field 'id'", "duplicate id")),
    Case("jsonl-label-not-in-set", _rows([{**STANCE_ROWS[0], "label": "maybe"}]),
         (DATA + "1", "field 'label'", "label set")),
    Case("jsonl-empty-text", _rows([{**STANCE_ROWS[0], "text": "  "}]),
         (DATA + "1", "field 'text'", "empty")),
    Case("jsonl-no-rows", _raw_data("\n\n"), (TASK, "field 'data'", "no examples")),
    # templates: found while validating, naming the task file and the template
    Case("template-undefined-attribute", _prompt("{{ text.nope }}"),
         (TASK, "field 'prompt.user'", "no attribute 'nope'")),
    Case("template-sandbox", _prompt("{{ text.__class__.__mro__ }}"),
         (TASK, "field 'prompt.user'", "SecurityError")),
    Case("template-include", _prompt("{% include 'secret.txt' %}"), (TASK, "'include'")),
    Case("template-import", _prompt("{% import 'm.j2' as m %}{{ text }}"), (TASK, "'import'")),
    Case("template-extends", _prompt("{% extends 'base.j2' %}"), (TASK, "'extends'")),
    Case("template-overflow-repeat", _prompt("{{ text * 10**9 }}"), (TASK, "too large")),
    Case("template-overflow-filter", _prompt("{{ text|center(10**9) }}"), (TASK, "too large")),
    Case("template-overflow-format", _prompt("{{ '%900000000s' % text }}"), (TASK, "too large")),
    Case("template-syntax", _prompt("{{ text "), (TASK, "field 'prompt.user'", "syntax")),
    Case("template-unknown-variable", _prompt("{{ nothing }}"), (TASK, "template names")),
    Case("template-system-undefined", _prompt("{{ text }}", system="{{ labels.x }}"),
         (TASK, "field 'prompt.system'")),
    Case("multi-task-validates-all-first", _second_task_bad,
         ("bad.yaml", "field 'prompt.user'")),
    # CLI arguments: refused before any model call
    Case("sample-larger-than-data", _flags("--sample", "3"), (TASK, "field '--sample'", "not a")),
    Case("limit-and-sample", _flags("--limit", "1", "--sample", "1"), ("--limit/--sample",)),
    Case("concurrency-zero", _flags("--concurrency", "0"), ("field '--concurrency'",)),
    Case("timeout-nan", _flags("--model", "openai:fake", "--base-url", CLOSED_URL,
                               "--timeout", "nan"), ("field '--timeout'",)),
    Case("results-dir-is-a-file", _results_is_file, ("results", "field '--results-dir'")),
    Case("openai-without-model", _flags("--model", "openai", "--base-url", CLOSED_URL),
         ("field '--model'", "model name")),
    Case("base-url-not-a-url", _flags("--model", "openai:fake", "--base-url", "notaurl"),
         ("field 'base_url'", "not an http(s) URL")),
    Case("api-key-env-unset", _flags("--model", "openai:fake,api_key_env=HARNESS_NO_SUCH_VAR",
                                     "--base-url", CLOSED_URL),
         ("field 'api_key_env'", "HARNESS_NO_SUCH_VAR is not set")),
    Case("max-attempts-fractional", _flags("--model", "openai:fake,max_attempts=1.5",
                                           "--base-url", CLOSED_URL),
         ("field 'max_attempts'", "whole number")),
    Case("max-attempts-zero", _flags("--model", "openai:fake,max_attempts=0",
                                     "--base-url", CLOSED_URL), ("field 'max_attempts'",)),
    Case("max-attempts-nan", _flags("--model", "openai:fake,max_attempts=nan",
                                    "--base-url", CLOSED_URL), ("field 'max_attempts'",)),
    Case("rpm-infinite-in-spec", _flags("--model", "openai:fake,rpm=inf",
                                        "--base-url", CLOSED_URL), ("field 'rpm'", "finite")),
    Case("check-negative-tolerance", _gate("--tolerance", "accuracy=-0.1"),
         ("field '--tolerance accuracy'",)),
    Case("check-default-tolerance-nan", _gate("--default-tolerance", "nan"),
         ("field '--default-tolerance'",)),
    Case("check-min-nan", _gate("--min", "accuracy=nan"), ("--min", "finite")),
    Case("check-alpha-nan", _gate("--alpha", "nan"), ("field '--alpha'",)),
    Case("check-resamples-huge", _gate("--resamples", str(10**12)), ("field '--resamples'",)),
    Case("check-summary-is-a-folder", _summary_is_folder, ("summary.md", "field '--summary'")),
    Case("compare-out-is-a-file", _compare_out_is_file, ("out", "field '--out'")),
    # replay files
    Case("replay-row-without-id", _replay('{"prediction": "x"}\n'),
         ("preds.jsonl:1", "field 'id'")),
    Case("replay-prediction-not-text", _replay('{"id": "s1", "prediction": 3}\n'),
         ("preds.jsonl:1", "field 'prediction'")),
    Case("replay-duplicate-id", _replay('{"id": "s1", "prediction": "a"}\n' * 2),
         ("preds.jsonl:2", "duplicate id")),
    Case("replay-invalid-json", _replay('{"id": "s1", "prediction": \n'),
         ("preds.jsonl:1", "invalid JSON")),
    Case("replay-is-a-folder", _replay(None), ("preds.jsonl", "folder")),
    # models configs
    Case("models-config-alias-bomb", _config(ALIAS_BOMB), ("models.yaml:2", "aliases")),
    Case("models-config-api-key", _config("m: {model: x, api_key: sk-123}\n"),
         ("models.yaml", "field 'm.api_key'")),
    Case("models-config-not-a-mapping", _config("- m\n"), ("models.yaml", "mapping")),
    Case("prices-nan", lambda tmp: ((tmp / "p.yaml").write_text("fake: {input: .nan, output: 1}"),
                                    _flags("--model", "openai:fake", "--base-url", CLOSED_URL,
                                           "--prices", str(tmp / "p.yaml"))(tmp))[1],
         ("p.yaml", "field 'fake.price'", "finite")),
    Case("models-config-bad-base-url", _config("m: {model: x, base_url: 'ftp:/x'}\n"),
         ("field 'base_url'",)),
]


def _tree(folder: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(folder)), p.stat().st_size if p.is_file() else -1)
            for p in folder.rglob("*") if not p.is_symlink()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_exits_2_naming_where(case: Case, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    argv = case.setup(tmp_path)
    before = _tree(tmp_path)
    tracemalloc.start()
    try:
        try:
            code = main(argv)  # anything but an InputError or a usage error propagates: a bug
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code  # type: ignore[assignment]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for part in case.expect:
        assert part in err, f"{part!r} not in {err!r}"
    assert _tree(tmp_path) == before  # nothing written: no results, no cache
    assert peak < PEAK_BYTES, peak


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)


MEMORY_CASES = ["yaml-alias-bomb", "models-config-alias-bomb", "template-overflow-repeat",
                "template-overflow-filter", "template-overflow-format", "jsonl-deep-nesting",
                "resamples-too-many"]
_CAPPED = """
import contextlib, io, json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from harness.cli import main
out = []
for folder, argv in json.loads(sys.argv[1]):
    os.chdir(folder)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except BaseException as exc:  # MemoryError would land here
            code = repr(exc)
    out.append([code, err.getvalue()])
print(json.dumps(out))
"""


def test_memory_attacks_fail_under_an_address_space_cap(tmp_path: Path) -> None:
    """The memory attacks again, in one fresh process capped at 2 GiB of address space: a bomb
    that expanded would end in MemoryError instead of exit 2."""
    runs = []
    for name in MEMORY_CASES:
        folder = tmp_path / name
        folder.mkdir()
        runs.append([str(folder), next(c for c in CASES if c.id == name).setup(folder)])
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
           "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _CAPPED, json.dumps(runs)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, (code, err) in zip(MEMORY_CASES, json.loads(done.stdout), strict=True):
        assert code == 2 and "MemoryError" not in err, (name, code, err)
    assert not any((tmp_path / name / "results").exists() for name in MEMORY_CASES)


def test_ids_from_row_numbers_when_the_task_says_so(tmp_path: Path) -> None:
    from harness.tasks import load_task

    rows = [{k: v for k, v in r.items() if k != "id"} for r in STANCE_ROWS]
    task = _stance(tmp_path, rows=rows, data={"path": "data.jsonl", "ids": "row_number"})
    assert [e.id for e in load_task(task).examples] == ["row-0", "row-1", "row-2"]


def test_quoted_yaml_booleans_are_labels(tmp_path: Path) -> None:
    from harness.tasks import load_task

    rows = [{**r, "label": ["yes", "no"][i % 2]} for i, r in enumerate(STANCE_ROWS)]
    task = _stance(tmp_path, rows=rows, metrics={"stance": {"labels": ["yes", "no"]}})
    assert json.loads(json.dumps(load_task(task).spec.metric_settings("stance").labels)) == [
        "yes", "no"]


def test_outside_data_is_read_when_allowed(tmp_path: Path) -> None:
    from harness.tasks import load_task

    outside = write_jsonl(tmp_path / "elsewhere" / "d.jsonl", STANCE_ROWS)
    task = _stance(tmp_path / "proj", data={"path": str(outside)})
    assert len(load_task(task, allow_outside_data=True).examples) == 3
