"""Bad task and reference files fail fast: file, line and field named, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import STANCE_ROWS, SUMM_ROWS, stance_spec, summarization_spec, write_jsonl, write_task

from harness.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def assert_refused(task: Path, results: Path, capsys, *needles: str, model: str = "lead") -> str:
    code, err = run_cli(["run", str(task), "--model", model, "--results-dir", str(results)], capsys)
    assert code == 2, err
    flat = " ".join(err.split())
    for needle in needles:
        assert needle in flat, (needle, flat)
    assert not results.exists() or not any(results.rglob("*")), "nothing may be written"
    return flat


@pytest.fixture
def summ(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data.jsonl", SUMM_ROWS)
    return write_task(tmp_path, summarization_spec())


def test_valid_task_runs(summ: Path, tmp_path: Path, capsys) -> None:
    code, err = run_cli(["run", str(summ), "--results-dir", str(tmp_path / "r")], capsys)
    assert code == 0, err
    assert list((tmp_path / "r").rglob("*.json"))


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (lambda s: s.pop("kind"), ["task.yaml:1", "field 'kind'", "missing required field"]),
        (lambda s: s.update(promt="x"), ["task.yaml", "field 'promt'", "unknown field"]),
        (lambda s: s.update(version=[1]), ["task.yaml:2", "field 'version'"]),
        (lambda s: s.update(generation={"max_tokens": "many"}), ["field 'generation.max_tokens'"]),
        (
            lambda s: s.update(metrics={"bleu": {}}),
            ["unknown metric 'bleu'", "field 'metrics.bleu'"],
        ),
        (
            lambda s: s.update(metrics={"rouge": {"types": ["rouge9"]}}),
            ["unknown ROUGE type 'rouge9'"],
        ),
        (lambda s: s.update(kind="translation"), ["field 'kind'"]),
        (
            lambda s: s["data"].update(path="missing.jsonl"),
            ["data file not found", "field 'data.path'"],
        ),
        (lambda s: s["prompt"].update(user="{{ headline }}"), ["field 'prompt.user'", "headline"]),
        (lambda s: s["prompt"].update(user="{{ article"), ["template syntax error", "prompt.user"]),
        (lambda s: s.update(metrics={"stance": {}}), ["metrics.stance does not apply"]),
    ],
    ids=[
        "missing",
        "unknown",
        "type",
        "nested-type",
        "metric",
        "rouge-type",
        "kind",
        "data-file",
        "template-field",
        "template-syntax",
        "kind-metric",
    ],
)
def test_bad_task_file(tmp_path: Path, capsys, mutate, needles: list[str]) -> None:
    write_jsonl(tmp_path / "data.jsonl", SUMM_ROWS)
    spec = summarization_spec()
    mutate(spec)
    task = write_task(tmp_path, spec)
    assert_refused(task, tmp_path / "results", capsys, *needles)


def test_yaml_python_tag_is_refused_never_executed(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    write_jsonl(tmp_path / "data.jsonl", SUMM_ROWS)
    task = tmp_path / "task.yaml"
    task.write_text(
        "name: evil\nversion: 1\nkind: summarization\n"
        f"description: !!python/object/apply:os.system ['touch {marker}']\n"
        "data: {path: data.jsonl}\nprompt: {user: '{{ article }}'}\n",
        "utf-8",
    )
    assert_refused(task, tmp_path / "results", capsys, "task.yaml:4", "tag refused")
    assert not marker.exists()


def test_duplicate_yaml_key(tmp_path: Path, capsys) -> None:
    task = tmp_path / "task.yaml"
    task.write_text("name: a\nname: b\n", "utf-8")
    assert_refused(task, tmp_path / "results", capsys, "task.yaml:2", "duplicate key 'name'")


def _bad_rows(rows: list[dict], index: int, **change) -> list[dict]:
    rows = [dict(r) for r in rows]
    rows[index].update(change)
    return rows


@pytest.mark.parametrize(
    ("rows", "needles"),
    [
        (_bad_rows(SUMM_ROWS, 1, id="a1"), ["data.jsonl:2", "duplicate id 'a1'", "data.jsonl:1"]),
        (_bad_rows(SUMM_ROWS, 1, article="   "), ["data.jsonl:2", "field 'article'", "empty text"]),
        (_bad_rows(SUMM_ROWS, 0, summary=""), ["data.jsonl:1", "field 'summary[0]'", "empty text"]),
        (_bad_rows(SUMM_ROWS, 1, article=42), ["data.jsonl:2", "expected a string, got int"]),
        ([{"id": "x", "article": "نص"}], ["data.jsonl:1", "field 'summary'", "missing required"]),
        (_bad_rows(SUMM_ROWS, 0, summary=[]), ["data.jsonl:1", "non-empty list"]),
    ],
    ids=[
        "duplicate-id",
        "empty-article",
        "empty-summary",
        "wrong-type",
        "missing-field",
        "empty-list",
    ],
)
def test_bad_summarization_rows(tmp_path: Path, capsys, rows, needles) -> None:
    write_jsonl(tmp_path / "data.jsonl", rows)
    task = write_task(tmp_path, summarization_spec())
    assert_refused(task, tmp_path / "results", capsys, *needles)


def test_label_outside_label_set(tmp_path: Path, capsys) -> None:
    write_jsonl(tmp_path / "data.jsonl", _bad_rows(STANCE_ROWS, 2, label="neutral"))
    task = write_task(tmp_path, stance_spec())
    flat = assert_refused(
        task,
        tmp_path / "results",
        capsys,
        "data.jsonl:3",
        "field 'label'",
        "'neutral' is not in the label set",
        model="majority",
    )
    assert "favor" in flat


def test_label_alias_is_accepted(tmp_path: Path, capsys) -> None:
    write_jsonl(tmp_path / "data.jsonl", _bad_rows(STANCE_ROWS, 2, label="Neutral"))
    spec = stance_spec()
    spec["metrics"]["stance"]["aliases"] = {"none": ["neutral"]}
    task = write_task(tmp_path, spec)
    code, err = run_cli(["run", str(task), "--model", "majority", "--no-write"], capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    ("payload", "needles"),
    [
        (
            b'{"id": "a", "article": "\xd9\x86\xd8", "summary": "x"}\n',
            ["data.jsonl:1", "invalid UTF-8"],
        ),
        (
            '{"id": "a1", "article": "نص", "summary": "ن"}\n{"id": "a2", "article": \n'.encode(),
            ["data.jsonl:2", "invalid JSON"],
        ),
        (b'["not", "an", "object"]\n', ["data.jsonl:1", "expected a JSON object"]),
    ],
    ids=["utf8", "json", "not-object"],
)
def test_bad_jsonl_bytes(tmp_path: Path, capsys, payload: bytes, needles) -> None:
    (tmp_path / "data.jsonl").write_bytes(payload)
    task = write_task(tmp_path, summarization_spec())
    assert_refused(task, tmp_path / "results", capsys, *needles)


def test_unknown_adapter(summ: Path, tmp_path: Path, capsys) -> None:
    assert_refused(
        summ, tmp_path / "results", capsys, "unknown adapter 'gpt9'", "lead", model="gpt9"
    )


@pytest.mark.parametrize("spec", ["lead,k=0", "lead,k", "lead,colour=red", "replay"])
def test_bad_adapter_options(summ: Path, tmp_path: Path, capsys, spec: str) -> None:
    assert_refused(summ, tmp_path / "results", capsys, "--model", model=spec)


def test_validate_command(summ: Path, tmp_path: Path, capsys) -> None:
    code, _ = run_cli(["validate", str(summ)], capsys)
    assert code == 0
    (tmp_path / "data.jsonl").write_text('{"id": 1}\n', "utf-8")
    code, err = run_cli(["validate", str(summ)], capsys)
    assert code == 2 and "data.jsonl:1" in err


def test_validate_reference_file_through_its_task(tmp_path: Path, capsys) -> None:
    from helpers import REPO

    code, err = run_cli(
        [
            "validate",
            str(REPO / "references/seed/musk_stance.jsonl"),
            "--tasks-dir",
            str(REPO / "tasks"),
        ],
        capsys,
    )
    assert code == 0, err
    stray = write_jsonl(tmp_path / "stray.jsonl", SUMM_ROWS)
    code, err = run_cli(["validate", str(stray), "--tasks-dir", str(REPO / "tasks")], capsys)
    assert code == 2 and "no task" in err
