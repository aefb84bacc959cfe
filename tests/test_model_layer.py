"""A backend that implements only the bare call gets the model layer for free: cache, retries,
rate and concurrency limits, fail-fast, tokens and cost; bugs propagate; generation settings
are the runner's."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan
from helpers import REPO, TASKS

from harness.adapters import registry
from harness.adapters.base import GenerationSettings, Request, Response
from harness.adapters.generation import effective_generation
from harness.adapters.models_config import resolve_model_specs
from harness.adapters.registry import available_adapters, create_adapter
from harness.cli import main
from harness.errors import AdapterError, InputError
from harness.models import Backend, BackendAdapter, Completion, TransientError
from harness.runner import generate_all

Server = Callable[..., FakeOpenAIServer]

# The README's "Adding a backend" example: one file, the bare call only.
BACKEND_SOURCE = '''
"""`--model urllib-chat:MODEL,base_url=URL`: an OpenAI-compatible server, standard library only."""

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from harness import register_adapter
from harness.models import (Backend, Completion, FatalError, ModelError, RateLimited,
                            TransientError, Unreachable, retry_after_s)


@register_adapter("urllib-chat")
class UrllibChat(Backend):
    """The bare call: post the body; say what a failure means by the class raised."""

    def __init__(self, model: str, *, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(model)
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    @property
    def endpoint(self) -> str:  # hashed into every cache key
        return self.base_url

    def _post(self, body: dict[str, Any]) -> tuple[int, Any, bytes]:
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()
        except urllib.error.URLError as exc:  # refused, unknown host (resets are retried)
            raise Unreachable(f"cannot reach {self.base_url}: {exc.reason}") from exc

    async def complete(self, body: dict[str, Any]) -> Completion:
        status, headers, content = await asyncio.to_thread(self._post, body)
        if status in (401, 403, 404):
            raise FatalError(f"HTTP {status} from {self.base_url}: {content.decode()}")
        if status == 429 or status >= 500:
            failure = RateLimited if status == 429 else TransientError
            raise failure(f"HTTP {status}", retry_after=retry_after_s(headers))
        if status >= 400:
            raise ModelError(f"HTTP {status}: {content.decode()}")
        try:
            data = json.loads(content)
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TransientError(f"malformed answer: {exc!r}") from exc
        usage = data.get("usage") or {}
        return Completion(text, usage.get("prompt_tokens"), usage.get("completion_tokens"),
                          {"finish_reason": choice.get("finish_reason")})
'''

FAULTS = ("429", "500", "503", "reset", "malformed", "empty")


@pytest.fixture
def backend_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The one-file backend, importable, and also published as entry point `urllib-ep`."""
    (tmp_path / "urllib_chat.py").write_text(BACKEND_SOURCE, "utf-8")
    dist = tmp_path / "urllib_chat-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: urllib-chat\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[harness.adapters]\nurllib-ep = urllib_chat:UrllibChat\n")
    available_adapters()  # the built-ins register once, into the lasting registry
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # forget it after
    yield importlib.import_module("urllib_chat")
    sys.modules.pop("urllib_chat", None)


def run(server: FakeOpenAIServer, tmp_path: Path, *extra: str, model: str = "urllib-chat:fake",
        results: str = "r") -> int:
    return main(["run", str(TASKS / "seed_stance.yaml"), str(TASKS / "seed_summarization.yaml"),
                 "--model", f"{model},backoff=0.01,max_backoff=0.05", "--base-url",
                 server.base_url, "--timeout", "2", "--cache-dir", str(tmp_path / "cache"),
                 "--results-dir", str(tmp_path / results), *extra])


def reports(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.rglob("*Z-*[0-9a-f].json"))]


def test_bare_backend_gets_cache_retries_tokens_and_cost(
    fake_openai: Server, backend_module: ModuleType, tmp_path: Path
) -> None:
    server = fake_openai(plan=FaultPlan(rate=0.4, kinds=FAULTS, seed=5, max_consecutive=3))
    prices = tmp_path / "prices.yaml"
    prices.write_text("fake: {input: 1000000, output: 2000000}\n", "utf-8")  # $1 and $2/token
    assert run(server, tmp_path, "--prices", str(prices)) == 0
    first = reports(tmp_path / "r")
    n = sum(r["summary"]["n_examples"] for r in first)
    assert all(r["summary"]["n_errors"] == 0 for r in first)
    assert server.state.retryable_faults > 0  # transient failures were retried...
    assert server.state.total_calls == n + server.state.retryable_faults  # ...exactly once each
    assert sum(r["usage"]["attempts"] for r in first) == server.state.total_calls
    for report in first:
        usage = report["usage"]
        assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
        assert usage["cost_usd"] == usage["prompt_tokens"] + 2 * usage["completion_tokens"]
        settings = report["model"]["settings"]  # the backend's and the layer's settings
        assert settings["model"] == "fake" and settings["endpoint"] == server.base_url
        assert settings["price_usd_per_1m"] == {"input": 1000000, "output": 2000000}

    calls = server.state.total_calls
    assert run(server, tmp_path, "--prices", str(prices), results="again") == 0
    assert server.state.total_calls == calls  # second run: every answer from the cache
    again = reports(tmp_path / "again")
    assert sum(r["usage"]["cached_responses"] for r in again) == n
    assert [r["metrics"] for r in again] == [r["metrics"] for r in first]


def test_backend_from_an_entry_point_is_on_the_layer(
    fake_openai: Server, backend_module: ModuleType, tmp_path: Path
) -> None:
    adapter_class = available_adapters()["urllib-ep"]
    assert issubclass(adapter_class, BackendAdapter)
    assert adapter_class.backend_class is backend_module.UrllibChat
    server = fake_openai()
    assert run(server, tmp_path, "--no-cache", model="urllib-ep:fake") == 0
    assert server.state.total_calls == 7 and not (tmp_path / "cache").exists()


def test_fatal_failure_stops_the_run(fake_openai: Server, backend_module: ModuleType,
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = fake_openai(models=("other",))  # 404: unknown model
    assert run(server, tmp_path) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # stopped before any report was written
    assert set(server.state.calls.values()) == {1}  # never retried
    assert server.state.total_calls <= 6  # only the calls already in flight; next task never ran


class Scripted(Backend):
    """In-process: fails as scripted per call, then answers "favor" with 10 + 1 tokens."""

    script: ClassVar[list[BaseException]] = []  # monkeypatched per test

    def __init__(self, model: str, *, delay: float = 0.0) -> None:
        super().__init__(model)
        self.delay, self.calls, self.in_flight, self.max_in_flight = delay, 0, 0, 0

    async def complete(self, body: dict[str, Any]) -> Completion:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.script:
                raise self.script.pop(0)
            return Completion("favor", 10, 1, {"finish_reason": "stop"})
        finally:
            self.in_flight -= 1


class ScriptedAdapter(BackendAdapter):
    backend_class = Scripted
    backend: Scripted


def request(i: int = 0) -> Request:
    return Request(task="t", kind="stance", example_id=f"x{i}", fields={},
                   messages=({"role": "user", "content": f"نص {i}"},))


def answer(adapter: BackendAdapter, *requests: Request) -> list[Response]:
    async def go() -> list[Response]:
        try:
            return await generate_all(adapter, requests, concurrency=10)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_transient_failures_are_retried_then_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Scripted, "script", [TransientError("busy"), TimeoutError("slow")])
    adapter = ScriptedAdapter("m", cache=False, backoff=0.01, price={"input": 1, "output": 2})
    [ok] = answer(adapter, request())
    assert (ok.text, ok.attempts, adapter.backend.calls) == ("favor", 3, 3)
    assert (ok.prompt_tokens, ok.completion_tokens) == (10, 1)
    assert ok.metadata["cost_usd"] == pytest.approx(12 / 1_000_000)

    monkeypatch.setattr(Scripted, "script", [TransientError("busy")] * 5)
    adapter = ScriptedAdapter("m", cache=False, backoff=0.01, max_attempts=2)
    [ok, failed] = answer(adapter, request(1), request(2))  # a success first: per-example
    assert failed.error == "gave up after 2 attempts: busy" and failed.text == ""


def test_a_bug_in_a_backend_propagates_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Scripted, "script", [TypeError("a bug, not a model failure")])
    adapter = ScriptedAdapter("m", cache=False, backoff=0.01)
    with pytest.raises(TypeError, match="a bug"):
        asyncio.run(adapter.generate(request()))
    assert adapter.backend.calls == 1  # never retried


def test_fatal_and_rejected_requests_abort(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.models import FatalError, ModelError

    monkeypatch.setattr(Scripted, "script", [FatalError("wrong key")])
    with pytest.raises(AdapterError, match="wrong key"):
        answer(ScriptedAdapter("m", cache=False), request())
    monkeypatch.setattr(Scripted, "script", [ModelError("bad request")] * 3)
    with pytest.raises(AdapterError, match="rejected the first 3 requests"):
        answer(ScriptedAdapter("m", cache=False, max_concurrency=1), *map(request, range(5)))


def test_max_concurrency_caps_calls_in_flight() -> None:
    adapter = ScriptedAdapter("m", cache=False, delay=0.02, max_concurrency=2)
    responses = answer(adapter, *map(request, range(8)))
    assert all(r.error is None for r in responses)
    assert adapter.backend.max_in_flight == 2 and adapter.describe()["settings"][
        "max_concurrency"] == 2


def test_options_errors_name_the_key_the_user_wrote() -> None:
    with pytest.raises(InputError, match="field 'colour'"):
        ScriptedAdapter("m", colour="red")
    with pytest.raises(InputError, match="field 'max_attempts'"):
        ScriptedAdapter("m", max_attempts=0)
    with pytest.raises(InputError, match="field 'api_key'"):
        ScriptedAdapter("m", api_key="sk-x")
    with pytest.raises(InputError, match="field 'top_p'") as info:
        create_adapter("openai:m,top_p=0,base_url=http://127.0.0.1:9/v1")
    assert "--" not in str(info.value)


# -- generation settings are the runner's ----------------------------------------------------


def test_generation_precedence_spec_flags_config_task(tmp_path: Path) -> None:
    config = {"big": {"model": "m", "temperature": 0.3, "max_tokens": 7, "top_p": 0.5}}
    [spec] = resolve_model_specs(["big,top_p=0.9"], config=config)
    assert "temperature" not in spec.options and spec.options["model"] == "m"
    task = GenerationSettings(temperature=0.0, max_tokens=512, top_p=1.0, seed=1)
    flags = {"temperature": 0.7, "top_p": 0.2}
    assert effective_generation(task, spec.config_generation, flags, spec.generation) == \
        GenerationSettings(temperature=0.7, max_tokens=7, top_p=0.9, seed=1)

    with pytest.raises(InputError, match=r"models\.yaml: field 'big\.temperature'") as info:
        resolve_model_specs(["big"], config={"big": {"temperature": 9}},
                            config_path=tmp_path / "models.yaml")
    assert "--" not in str(info.value)


def test_config_generation_loses_to_flags_and_reaches_the_report(
    fake_openai: Server, tmp_path: Path
) -> None:
    server = fake_openai()
    config = tmp_path / "models.yaml"
    config.write_text(f"fake:\n  base_url: {server.base_url}\n  temperature: 0.3\n"
                      "  max_tokens: 7\n", "utf-8")
    assert main(["run", str(TASKS / "seed_stance.yaml"), "--model", "fake", "--models-config",
                 str(config), "--temperature", "0.9", "--no-cache",
                 "--results-dir", str(tmp_path / "r")]) == 0
    body = server.state.bodies[0]
    assert (body["temperature"], body["max_tokens"]) == (0.9, 7)
    [report] = reports(tmp_path / "r")
    assert report["generation"]["temperature"] == 0.9 and report["generation"]["max_tokens"] == 7


def test_importing_harness_loads_no_model_client() -> None:
    code = ("import sys, harness, harness.models; "
            "print(sorted(m for m in ('openai', 'tenacity', 'httpx', 'sqlite3') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_readme_shows_the_tested_backend() -> None:
    """The README's one-file backend is the one these tests run."""
    readme = (REPO / "README.md").read_text("utf-8")
    assert textwrap.dedent(BACKEND_SOURCE).strip() in readme
