"""The API key never reaches results/, the response cache or the output, even in errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from fake_openai_server import FakeOpenAIServer
from helpers import REPO, TASKS

SECRET = "sk-harness-FAKE-SECRET-5f1e9c0b7d2a"


def run_cli(server: FakeOpenAIServer, tmp_path: Path, key: str,
            *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(PYTHONPATH=str(REPO), OPENAI_API_KEY=key, OPENAI_LOG="debug")
    cmd = [sys.executable, "-m", "harness", "run", str(TASKS / "seed_stance.yaml"),
           str(TASKS / "seed_summarization.yaml"), "--model", "openai:fake,backoff=0.01",
           "--base-url", server.base_url, "--results-dir", str(tmp_path / "results"),
           "--cache-dir", str(tmp_path / "cache"), *extra]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_key_is_nowhere_after_a_run(fake_openai: Callable[..., FakeOpenAIServer],
                                    tmp_path: Path) -> None:
    server = fake_openai(api_key=SECRET)
    done = run_cli(server, tmp_path, SECRET)
    assert done.returncode == 0, done.stderr
    assert server.state.headers_seen[0]["authorization"] == f"Bearer {SECRET}"  # it was used
    written = files_under(tmp_path / "results") + files_under(tmp_path / "cache")
    assert any(p.suffix == ".sqlite" for p in written) and any(p.suffix == ".json"
                                                                for p in written)
    for path in written:  # raw bytes: the SQLite file, its WAL, the reports
        assert SECRET.encode() not in path.read_bytes(), path
        assert SECRET[-12:].encode() not in path.read_bytes(), path
    assert SECRET not in done.stdout and SECRET not in done.stderr
    assert SECRET[-12:] not in done.stdout + done.stderr


def test_key_echoed_by_a_server_error_is_redacted(fake_openai: Callable[..., FakeOpenAIServer],
                                                  tmp_path: Path) -> None:
    server = fake_openai(api_key="sk-the-right-one")  # its 401 message repeats the key sent
    done = run_cli(server, tmp_path, SECRET)
    assert done.returncode == 1
    assert "authentication failed" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    for path in files_under(tmp_path):
        assert SECRET.encode() not in path.read_bytes(), path
