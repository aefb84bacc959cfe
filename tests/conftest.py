"""Shared fixtures: a loopback fake OpenAI server, and an environment without real endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeOpenAIServer]]:
    """Factory: `server = fake_openai(latency_s=0.1, plan=FaultPlan(...))`, stopped afterwards.

    Clears OPENAI_* variables so a developer's real endpoint or key is never used by a test.
    """
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    servers: list[FakeOpenAIServer] = []

    def start(**state: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(**state).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
