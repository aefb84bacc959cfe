"""`run --batch` killed (kill -9) while the provider creates its batch, before the batch id is
recorded: the next run finds the batch on the provider (its metadata marker, paging through the
batch list) and adopts it, or, when the provider has none, submits once with the input file
already uploaded; a failed look-up submits nothing. The loopback batch fake stalls the create
call so the test kills the client in that window."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_batch_server import FakeBatchServer
from test_batch import N, args, kill_9_when, latest, submitted_ids, write_batch_task

from harness.batch.state import BatchState, Intent
from harness.cli import main
from harness.models.cache import ResponseCache


@pytest.fixture
def task(tmp_path: Path) -> Path:
    return write_batch_task(tmp_path)


def kill_while_creating(task: Path, server: FakeBatchServer, tmp: Path) -> Intent:
    """Start a batch run, kill -9 it while its create call stalls; its recorded intent."""
    kill_9_when(args(task, server, tmp), server.state.create_stalled.is_set,
                "the run to create its batch")
    server.state.stall_create = None
    server.state.release.set()
    state = BatchState(ResponseCache.path_in(tmp / "cache"))
    try:
        assert state.pending() == []  # no batch id was recorded
        (intent,) = state.intents()
    finally:
        state.close()
    assert len(intent.keys) == N and intent.file_id == "file-1"
    return intent


def listed(capsys: pytest.CaptureFixture[str], tmp: Path) -> str:
    capsys.readouterr()
    assert main(["batches", "--cache-dir", str(tmp / "cache")]) == 0
    return capsys.readouterr().out


def test_kill_9_after_the_provider_created_the_batch_then_resume_adopts_it(
        tmp_path: Path, task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(stall_create="after", page_size=1) as server:
        intent = kill_while_creating(task, server, tmp_path)
        (batch,) = server.state.created
        assert batch["metadata"] == {"harness_submission": intent.marker}
        out = listed(capsys, tmp_path)
        assert intent.marker in out and "submitting" in out
        for n in (2, 3):  # someone else's batches, newer: ours is on the third page
            server.state.batches[f"batch_{n}"] = {**batch, "id": f"batch_{n}", "metadata": None,
                                                  "input_file_id": "file-other"}
        assert main(args(task, server, tmp_path)) == 0
        assert len(server.state.created) == 3 and server.state.uploads == 1  # paid once
        assert server.state.listings == 3
        assert ("batch_1", "completed") in server.state.history
        assert server.state.total_calls == 0
        report = latest(tmp_path)[0]
        assert report["summary"]["n_scored"] == N and report["summary"]["n_errors"] == 0
        assert intent.marker not in listed(capsys, tmp_path)  # adopted, then settled
        assert main(args(task, server, tmp_path)) == 0  # all cached: nothing looked up
        assert server.state.listings == 3


def test_kill_9_before_the_provider_created_a_batch_then_resume_submits_once(
        tmp_path: Path, task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(stall_create="before") as server:
        intent = kill_while_creating(task, server, tmp_path)
        assert server.state.created == []
        server.state.list_fails = True  # no answer from the provider: nothing submitted
        assert main(args(task, server, tmp_path)) != 0
        assert server.state.created == [] and intent.marker in listed(capsys, tmp_path)
        server.state.list_fails = False
        assert main(args(task, server, tmp_path)) == 0
        (batch,) = server.state.created
        assert batch["metadata"] == {"harness_submission": intent.marker}
        assert batch["input_file_id"] == intent.file_id and server.state.uploads == 1
        assert len(submitted_ids(server, batch)) == N
        assert latest(tmp_path)[0]["summary"]["n_scored"] == N
        assert intent.marker not in listed(capsys, tmp_path)


def test_cancel_an_interrupted_submission(tmp_path: Path, task: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(stall_create="after", partial=4) as server:
        intent = kill_while_creating(task, server, tmp_path)
        cancel = ["batches", "--cache-dir", str(tmp_path / "cache"), "--cancel", intent.marker]
        assert main(cancel) == 0  # its batch, found on the provider, adopted and cancelled
        assert "batch_1: cancelling" in capsys.readouterr().out
        assert main(args(task, server, tmp_path)) == 1  # collects 4 answers, 8 cancelled
        assert len(server.state.created) == 1
        assert latest(tmp_path)[0]["summary"]["n_errors"] == N - 4
    with FakeBatchServer(stall_create="before") as server:
        intent = kill_while_creating(task, server, tmp_path / "other")
        assert main(["batches", "--cache-dir", str(tmp_path / "other" / "cache"),
                     "--cancel", intent.marker]) == 0
        assert "forgotten (nothing was paid)" in capsys.readouterr().out
        assert intent.marker not in listed(capsys, tmp_path / "other")
        assert server.state.created == []
