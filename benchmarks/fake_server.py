"""A test fake server in its own process (it must not share the benchmark's GIL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"


@contextmanager
def fake_server(*flags: str, script: str = "fake_openai_server.py") -> Iterator[str]:
    """Start `tests/<script> FLAGS...` and yield the base URL it prints; stop it after."""
    server = subprocess.Popen([sys.executable, str(TESTS / script), *flags],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait()
