"""A killed write leaves nothing a later command takes for a run; outputs get the usual mode.

Readers start from `*.json` reports outside hidden names, so the hidden `.*.tmp` files of an
unfinished write and an examples file whose report never appeared are ignored; `write_run`
deletes such leftovers once they are stale.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from compare_fixtures import harness, only_report, run_models

from harness.compare.loading import discover_runs
from harness.jsonio import atomic_write_json
from harness.reports.store import STALE_AFTER_S, read_examples, read_report, write_run

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stance_run(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("stance") / "runs"
    run_models("seed_stance", results, "majority")
    return only_report(results)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_get_the_umask_mode(tmp_path: Path, stance_run: Path, umask: int,
                                    mode: int) -> None:
    report = read_report(stance_run)
    records = read_examples(stance_run, report)
    old = os.umask(umask)
    try:
        path = write_run(tmp_path, {**report, "run_id": "20990101T000000Z-00000001"}, records)
        atomic_write_json(tmp_path / "plain.json", {})
    finally:
        os.umask(old)
    for file in (path, path.with_name(report["examples_file"]["path"].replace(
            report["run_id"], "20990101T000000Z-00000001")), tmp_path / "plain.json"):
        assert file.stat().st_mode & 0o777 == mode, file


def _leftovers(folder: Path, run_id: str) -> tuple[Path, Path]:
    tmp = folder / f".{run_id}.json.k3j2h1.tmp"
    tmp.write_text('{"schema_version": "1.1", "ru', encoding="utf-8")
    orphan = folder / f"{run_id}.examples.jsonl"
    orphan.write_text('{"id": "x"}\n', encoding="utf-8")
    return tmp, orphan


def test_leftovers_are_ignored_then_cleaned(tmp_path: Path, stance_run: Path) -> None:
    report = read_report(stance_run)
    records = read_examples(stance_run, report)
    results = tmp_path / "runs"
    first = write_run(results, {**report, "run_id": "20990101T000000Z-00000001"}, records)
    folder = first.parent
    stale = _leftovers(folder, "20990101T000000Z-0000000a")
    old = time.time() - STALE_AFTER_S - 10
    for path in stale:
        os.utime(path, (old, old))
    fresh = _leftovers(folder, "20990101T000000Z-0000000b")  # perhaps a live writer's

    [run] = discover_runs([results])  # ignored by readers
    assert run.path == first and run.examples is not None
    assert harness("check", results, "--require-examples") == 0
    assert harness("baseline", results, "--out", tmp_path / "base") == 0

    second = write_run(results, {**report, "run_id": "20990101T000000Z-00000002"}, records)
    assert not any(p.exists() for p in stale)  # stale leftovers removed by the next write
    assert all(p.exists() for p in fresh)  # a live writer's files are left alone
    assert {r.path for r in discover_runs([results])} == {second}  # newest run of the pair


WRITER = """
import json, sys
from pathlib import Path
from harness.reports.store import read_examples, read_report, write_run

source, results, second = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
report = read_report(source)
records = read_examples(source, report) * 100  # ~2 MB per run: kills land mid-write
print("ready", flush=True)
for i in range(100000):
    write_run(results, {**report, "run_id": f"20990101T0000{second:02d}Z-{i:08x}"}, records)
"""


def test_writer_killed_mid_write_leaves_nothing_mistaken_for_a_run(tmp_path: Path,
                                                                     stance_run: Path) -> None:
    results = tmp_path / "runs"
    for second, delay in enumerate((0.1, 0.25, 0.4)):  # run ids unique across writers
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(stance_run), str(results),
                                  str(second)],
                                 cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    folder = results / "seed_stance" / "majority"
    reports = sorted(folder.glob("*.json"))
    for path in reports:  # every visible report is complete and its examples match its hash
        report = json.loads(path.read_text(encoding="utf-8"))
        assert read_examples(path, report)
    visible = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    expected = {p.name for p in reports} | {p.stem + ".examples.jsonl" for p in reports}
    strays = visible - expected
    assert all(name.endswith(".examples.jsonl") for name in strays)  # orphans: never read
    assert len(strays) <= 3  # at most one per kill, left between two renames
    hidden = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert all(name.endswith(".tmp") for name in hidden)
    if reports:
        runs = discover_runs([results], examples=False)
        assert [r.path for r in runs] == [reports[-1]]
