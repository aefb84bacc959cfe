"""`run --shard I/N` then `merge` gives the report an unsharded run writes (ids, times aside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import STANCE_ROWS, TASKS, stance_spec, write_jsonl, write_task

from harness import read_report, validate_report
from harness.cli import main
from harness.errors import InputError
from harness.reports.store import read_examples
from harness.shards.split import Shard

# What differs between two runs of the same thing: when they ran and what they are called.
RUN_LOCAL = ("run_id", "started_at", "finished_at", "examples_file", "merged_from", "selection")
TIMES = ("latency_s_total", "latency_s_median")


def run(results: Path, task: str, *extra: str, tasks_dir: Path = TASKS) -> Path:
    args = ["run", task, "--tasks-dir", str(tasks_dir), "--results-dir", str(results), *extra]
    assert main(args) == 0
    (path,) = list(results.rglob("*Z-*[0-9a-f].json"))
    return path


def merge(results: Path, *shards: Path) -> int:
    return main(["merge", *map(str, shards), "--results-dir", str(results)])


def comparable(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    report = read_report(path)
    validate_report(report)
    records = read_examples(path, report)
    report = {k: v for k, v in report.items() if k not in RUN_LOCAL}
    report["usage"] = {k: v for k, v in report["usage"].items() if k not in TIMES}
    return report, [{k: v for k, v in r.items() if k != "latency_s"} for r in records]


def shard_and_merge(tmp_path: Path, task: str, n: int, *extra: str) -> tuple[Path, list[Path]]:
    shards = [run(tmp_path / f"shard{i}", task, "--shard", f"{i}/{n}", *extra)
              for i in range(1, n + 1)]
    assert merge(tmp_path / "merged", *reversed(shards)) == 0
    (merged,) = list((tmp_path / "merged").rglob("*Z-*[0-9a-f].json"))
    return merged, shards


def test_arabicstancex_in_three_shards_merges_to_the_unsharded_report(tmp_path: Path) -> None:
    whole = run(tmp_path / "whole", "arabicstancex")
    merged, shards = shard_and_merge(tmp_path, "arabicstancex", 3)
    sizes = [read_report(s)["summary"]["n_examples"] for s in shards]
    assert all(sizes) and sum(sizes) == read_report(whole)["summary"]["n_examples"]
    expected, expected_records = comparable(whole)
    got, got_records = comparable(merged)
    assert got["metrics"] == expected["metrics"]  # values and CIs, exactly
    assert got == expected
    assert got_records == expected_records  # same records, in task order
    assert read_report(merged)["selection"] == read_report(whole)["selection"]
    assert [m["shard"] for m in read_report(merged)["merged_from"]] == [1, 2, 3]


def test_summarization_shards_with_a_sample_merge_exactly(tmp_path: Path) -> None:
    whole = run(tmp_path / "whole", "marsum_headlines", "--sample", "30", "--seed", "5")
    merged, _ = shard_and_merge(tmp_path, "marsum_headlines", 2, "--sample", "30",
                                "--seed", "5")
    assert comparable(merged) == comparable(whole)
    assert read_report(merged)["selection"] == read_report(whole)["selection"]


def test_shards_do_not_move_when_the_data_file_is_reordered(tmp_path: Path) -> None:
    ids = [f"x{i}" for i in range(200)]
    split = {i: next(k for k in range(1, 5) if Shard(k, 4).holds(i)) for i in ids}
    assert Shard(2, 4).select(ids[::-1], ids[::-1]) == [i for i in ids[::-1] if split[i] == 2]
    assert set(split.values()) == {1, 2, 3, 4}
    assert Shard.parse(" 2/4 ") == Shard(2, 4)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(InputError, match=r"shard|expected"):
            Shard.parse(bad)


@pytest.fixture
def stance_shards(tmp_path: Path) -> tuple[Path, list[Path]]:
    folder = tmp_path / "task"
    write_jsonl(folder / "data.jsonl", STANCE_ROWS * 1 + [
        {**row, "id": f"{row['id']}-{n}"} for n in range(5) for row in STANCE_ROWS])
    write_task(folder, stance_spec())
    shards = [run(tmp_path / f"s{i}", "tiny_stance", "--shard", f"{i}/2",
                  tasks_dir=folder) for i in (1, 2)]
    return folder, shards


def test_merge_refuses_what_is_not_one_whole_run(
        tmp_path: Path, stance_shards: tuple[Path, list[Path]],
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, (one, two) = stance_shards
    out = tmp_path / "out"
    assert merge(out, one) == 2
    assert "incomplete: shard(s) 2/2 missing" in capsys.readouterr().err
    assert merge(out, one, one) == 2
    assert "given twice" in capsys.readouterr().err
    other = run(tmp_path / "other", "tiny_stance", "--shard", "2/2", "--model",
                "majority:other", tasks_dir=folder)
    assert merge(out, one, other) == 2
    assert "model differs" in capsys.readouterr().err
    whole = run(tmp_path / "whole", "tiny_stance", tasks_dir=folder)
    assert merge(out, one, whole) == 2
    assert "not a shard report" in capsys.readouterr().err
    # a shard whose examples file lost a record: the run is not complete
    report = read_report(two)
    examples = two.parent / report["examples_file"]["path"]
    lines = examples.read_text("utf-8").splitlines(keepends=True)[1:]
    examples.write_text("".join(lines), "utf-8")
    from harness.jsonio import file_hash

    report["examples_file"]["sha256"] = file_hash(examples)
    two.write_text(json.dumps(report), "utf-8")
    assert merge(out, one, two) == 2
    assert "in no shard" in capsys.readouterr().err
    assert not out.exists()
