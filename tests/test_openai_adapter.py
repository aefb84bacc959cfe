"""The OpenAI-compatible adapter against a loopback fake server: retries, failing fast, usage."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import RETRYABLE_FAULTS, FakeOpenAIServer, FaultPlan, prompt_key
from helpers import TASKS, stance_spec, write_jsonl, write_task

from harness.adapters.base import GenerationSettings, Request, Response
from harness.adapters.openai_compat import OpenAIAdapter
from harness.cli import main
from harness.errors import AdapterError, InputError
from harness.models.pricing import BUILTIN_PRICES, Price, PriceTable, load_prices
from harness.runner import run_task
from harness.selection import Selection
from harness.tasks import load_task

Server = Callable[..., FakeOpenAIServer]
FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 0.5, "cache": False}
STANCE_MESSAGES = ({"role": "user", "content": "ما موقف الكاتب؟ نص"},)


def request(messages: tuple[dict[str, str], ...] = STANCE_MESSAGES, **gen: Any) -> Request:
    return Request(task="t", kind="stance", example_id="x", messages=messages, fields={},
                   generation=GenerationSettings(**gen))


def generate(adapter: OpenAIAdapter, req: Request) -> Response:
    async def go() -> Response:
        try:
            return await adapter.generate(req)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def adapter_for(server: FakeOpenAIServer, **options: Any) -> OpenAIAdapter:
    return OpenAIAdapter("fake", base_url=server.base_url, **{**FAST, **options})


def results(folder: Path, task: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    [report_path] = (folder / task).rglob("*Z-*[0-9a-f].json")
    examples = report_path.with_name(report_path.stem + ".examples.jsonl")
    rows = [json.loads(line) for line in examples.read_text("utf-8").splitlines()]
    return json.loads(report_path.read_text("utf-8")), rows


@pytest.mark.parametrize("fault", RETRYABLE_FAULTS)
def test_each_transient_fault_is_retried_once(fake_openai: Server, fault: str) -> None:
    server = fake_openai(hang_s=1.0, plan=FaultPlan(script={prompt_key(STANCE_MESSAGES): [fault]}))
    response = generate(adapter_for(server), request())
    assert response.error is None and response.text == "مؤيد"
    assert response.attempts == 2 and server.state.total_calls == 2
    assert server.state.faults == {fault: 1}
    assert response.prompt_tokens is not None and response.completion_tokens == 1


def test_missing_usage_means_unknown_tokens_and_cost(fake_openai: Server) -> None:
    server = fake_openai(plan=FaultPlan(script={prompt_key(STANCE_MESSAGES): ["no_usage"]}))
    adapter = adapter_for(server, price={"input": 1.0, "output": 2.0})
    response = generate(adapter, request())
    assert response.text == "مؤيد" and response.attempts == 1
    assert response.prompt_tokens is None and response.completion_tokens is None
    assert response.metadata["cost_usd"] is None


@pytest.mark.parametrize(("headers", "wait"), [({"retry_after_ms": "400"}, 0.4),
                                                ({"retry_after": "1"}, 1.0)])
def test_retry_after_is_honoured(fake_openai: Server, headers: dict[str, str],
                                 wait: float) -> None:
    key = prompt_key(STANCE_MESSAGES)
    server = fake_openai(plan=FaultPlan(script={key: ["429"]}), **headers)
    response = generate(adapter_for(server), request())
    first, second = server.state.call_times[key]
    assert response.attempts == 2 and second - first >= wait * 0.95


def test_gives_up_after_max_attempts_and_records_the_error(fake_openai: Server) -> None:
    key = prompt_key(STANCE_MESSAGES)
    other = ({"role": "user", "content": "ما موقف الكاتب؟ نص آخر"},)
    server = fake_openai(plan=FaultPlan(script={key: ["503"] * 10}))
    adapter = adapter_for(server, max_attempts=4)

    async def go() -> tuple[Response, Response]:
        ok = await adapter.generate(request(other))  # a success first: the server works
        failed = await adapter.generate(request())
        await adapter.aclose()
        return ok, failed

    ok, failed = asyncio.run(go())
    assert ok.error is None
    assert failed.text == "" and failed.attempts == 4 and server.state.calls[key] == 4
    assert failed.error is not None and "gave up after 4 attempts" in failed.error
    assert "503" in failed.error


def test_seed_tasks_with_30_percent_transient_failures(fake_openai: Server,
                                                       tmp_path: Path) -> None:
    """Every example accounted for; calls = examples + injected failures, nothing more."""
    plan = FaultPlan(rate=0.3, kinds=RETRYABLE_FAULTS, seed=7, max_consecutive=3)
    server = fake_openai(hang_s=1.0, plan=plan)
    code = main(["run", str(TASKS / "seed_summarization.yaml"), str(TASKS / "seed_stance.yaml"),
                 "--model", "openai:fake,backoff=0.01,max_backoff=0.05", "--timeout", "0.5",
                 "--base-url", server.base_url, "--results-dir", str(tmp_path / "results"),
                 "--cache-dir", str(tmp_path / "cache"), "--concurrency", "4"])
    assert code == 0
    n_examples = 0
    for task in ("seed_summarization", "seed_stance"):
        report, rows = results(tmp_path / "results", task)
        n = len(load_task(TASKS / f"{task}.yaml").examples)
        n_examples += n
        assert report["summary"]["n_examples"] == n == len(rows)
        assert report["summary"]["n_errors"] == 0 and report["summary"]["n_scored"] == n
        assert report["usage"]["attempts"] == sum(r["attempts"] for r in rows)
    assert server.state.retryable_faults > 0
    assert server.state.total_calls == n_examples + server.state.retryable_faults


def test_synthetic_task_with_30_percent_failures_counts_every_call(
    fake_openai: Server, tmp_path: Path
) -> None:
    rows = [{"id": f"r{i}", "text": f"نص رقم {i}", "target": "X", "label": "favor"}
            for i in range(60)]
    write_jsonl(tmp_path / "data.jsonl", rows)
    task = load_task(write_task(tmp_path, stance_spec()))
    server = fake_openai(plan=FaultPlan(rate=0.3, seed=3, max_consecutive=4))
    adapter = OpenAIAdapter("fake", base_url=server.base_url, **FAST)

    async def go() -> Any:
        try:
            return await run_task(task, adapter, results_dir=None, concurrency=8,
                                  selection=Selection())
        finally:
            await adapter.aclose()

    result = asyncio.run(go())
    assert result.report["summary"]["n_errors"] == 0
    assert result.report["summary"]["n_scored"] == 60
    assert result.report["metrics"]["accuracy"]["value"] == 1.0
    faults = server.state.retryable_faults
    assert 60 * 0.15 < faults < 60 * 0.6
    assert server.state.total_calls == 60 + faults == result.report["usage"]["attempts"]
    assert server.state.max_in_flight <= 8


def test_concurrency_limit_is_respected(fake_openai: Server, tmp_path: Path) -> None:
    server = fake_openai(latency_s=0.05)
    adapter = adapter_for(server)
    requests = [request(({"role": "user", "content": f"موقف {i}"},)) for i in range(20)]

    async def go() -> None:
        from harness.runner import generate_all

        await generate_all(adapter, requests, concurrency=3)
        await adapter.aclose()

    asyncio.run(go())
    assert server.state.max_in_flight == 3 and server.state.total_calls == 20


def test_rpm_limit_spaces_calls(fake_openai: Server) -> None:
    server = fake_openai()
    adapter = adapter_for(server, rpm=240)  # one call per 0.25 s
    requests = [request(({"role": "user", "content": f"موقف {i}"},)) for i in range(5)]

    async def go() -> None:
        await asyncio.gather(*(adapter.generate(r) for r in requests))
        await adapter.aclose()

    asyncio.run(go())
    times = sorted(t for ts in server.state.call_times.values() for t in ts)
    # 4 gaps of 0.25 s; arrival jitter on a loaded machine can shave off part of one gap
    assert times[-1] - times[0] >= 0.8


# -- failing fast ----------------------------------------------------------------------------


def test_wrong_key_fails_fast_naming_the_key(fake_openai: Server,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    server = fake_openai(api_key="sk-right")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123")
    with pytest.raises(AdapterError, match=r"API key in \$OPENAI_API_KEY") as info:
        generate(adapter_for(server), request())
    assert "sk-wrong-key-123" not in str(info.value)
    assert server.state.total_calls == 1  # no retry


def test_named_key_variable_is_used(fake_openai: Server,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server = fake_openai(api_key="sk-right")
    monkeypatch.setenv("MY_SERVER_KEY", "sk-right")
    response = generate(adapter_for(server, api_key_env="MY_SERVER_KEY"), request())
    assert response.error is None
    assert server.state.headers_seen[0]["authorization"] == "Bearer sk-right"


def test_unknown_model_fails_fast(fake_openai: Server) -> None:
    server = fake_openai(models=("other",))
    with pytest.raises(AdapterError, match="unknown model 'fake'"):
        generate(adapter_for(server), request())
    assert server.state.total_calls == 1


def test_wrong_path_in_base_url_fails_fast(fake_openai: Server) -> None:
    server = fake_openai()
    adapter = OpenAIAdapter("fake", base_url=f"http://127.0.0.1:{server.port}/nope", **FAST)
    with pytest.raises(AdapterError, match="wrong base URL"):
        generate(adapter, request())


def test_closed_port_fails_with_a_clear_error_after_retries() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = OpenAIAdapter("fake", base_url=f"http://127.0.0.1:{port}/v1", max_attempts=3,
                            **{**FAST, "timeout": 2.0})
    with pytest.raises(AdapterError, match=r"cannot connect to .* after 3 attempts"):
        generate(adapter, request())


def test_cli_exits_1_on_wrong_key(fake_openai: Server, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    server = fake_openai(api_key="sk-right")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    code = main(["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake",
                 "--base-url", server.base_url, "--results-dir", str(tmp_path / "r"),
                 "--no-cache"])
    assert code == 1
    assert "authentication failed" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_bad_requests_abort_only_when_nothing_ever_succeeded(fake_openai: Server) -> None:
    server = fake_openai(plan=FaultPlan(always="400"))
    adapter = adapter_for(server)
    requests = [request(({"role": "user", "content": f"موقف {i}"},)) for i in range(5)]

    async def go() -> list[Response]:
        out = []
        try:
            for r in requests:
                out.append(await adapter.generate(r))
        finally:
            await adapter.aclose()
        return out

    with pytest.raises(AdapterError, match="rejected the first 3 requests"):
        asyncio.run(go())
    assert server.state.total_calls == 3  # 400 is never retried


def test_no_key_for_openai_itself_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(AdapterError, match="OPENAI_API_KEY"):
        OpenAIAdapter("gpt-4o-mini")


def test_options_are_strict_and_keys_never_accepted() -> None:
    with pytest.raises(InputError, match="environment"):
        OpenAIAdapter("m", base_url="http://127.0.0.1:1/v1", api_key="sk-x")
    with pytest.raises(InputError, match="unknown option"):
        OpenAIAdapter("m", base_url="http://127.0.0.1:1/v1", colour="red")
    with pytest.raises(InputError, match="positive"):
        OpenAIAdapter("m", base_url="http://127.0.0.1:1/v1", timeout=0)


# -- settings, overrides, models config, prices ---------------------------------------------


def test_cli_generation_overrides_reach_the_server_and_the_report(
    fake_openai: Server, tmp_path: Path
) -> None:
    server = fake_openai()
    code = main(["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake,top_p=0.5",
                 "--base-url", server.base_url, "--results-dir", str(tmp_path / "r"),
                 "--no-cache", "--temperature", "0.7", "--max-tokens", "5", "--top-p", "0.9",
                 "--gen-seed", "7", "--stop", "###", "--stop", "\n\n"])
    assert code == 0
    body = server.state.bodies[0]
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.7, 5, 7)
    assert body["top_p"] == 0.5 and body["stop"] == ["###", "\n\n"]  # the spec option wins
    report, _ = results(tmp_path / "r", "seed_stance")
    assert report["generation"] == {"temperature": 0.7, "max_tokens": 5, "top_p": 0.5,
                                    "seed": 7, "stop": ["###", "\n\n"]}


def test_models_config_names_a_model_with_price(fake_openai: Server, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    server = fake_openai(api_key="sk-local", models=("qwen/Qwen2.5-7B:latest",))
    monkeypatch.setenv("LOCAL_KEY", "sk-local")
    config = tmp_path / "models.yaml"
    config.write_text(f"""
local-qwen:
  adapter: openai
  model: "qwen/Qwen2.5-7B:latest"
  base_url: {server.base_url}
  api_key_env: LOCAL_KEY
  price: {{input: 1000000, output: 2000000}}
  backoff: 0.01
""", "utf-8")
    code = main(["run", str(TASKS / "seed_stance.yaml"), "--model", "local-qwen",
                 "--models-config", str(config), "--results-dir", str(tmp_path / "r"),
                 "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    report, rows = results(tmp_path / "r", "seed_stance")
    assert report["model"]["name"] == "local-qwen"
    assert report["model"]["settings"]["model"] == "qwen/Qwen2.5-7B:latest"
    for row in rows:  # $1 per prompt token, $2 per completion token
        assert row["cost_usd"] == row["prompt_tokens"] + 2 * row["completion_tokens"]
    usage = report["usage"]
    assert usage["cost_usd"] == usage["prompt_tokens"] + 2 * usage["completion_tokens"]
    assert usage["cost_usd_uncached"] == usage["cost_usd"]


def test_unknown_price_is_unknown_not_zero(fake_openai: Server, tmp_path: Path) -> None:
    server = fake_openai()
    main(["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake",
          "--base-url", server.base_url, "--results-dir", str(tmp_path / "r"), "--no-cache"])
    report, rows = results(tmp_path / "r", "seed_stance")
    assert report["usage"]["cost_usd"] is None and all(r["cost_usd"] is None for r in rows)
    assert report["model"]["settings"]["price_usd_per_1m"] is None


def test_price_table() -> None:
    table = PriceTable()
    assert table.lookup("gpt-4o-mini") == BUILTIN_PRICES["gpt-4o-mini"]
    assert table.lookup("gpt-4o-mini-2024-07-18") == BUILTIN_PRICES["gpt-4o-mini"]
    assert table.lookup("gpt-4o-2024-08-06") == BUILTIN_PRICES["gpt-4o"]
    assert table.lookup("openai/gpt-4.1-nano") == BUILTIN_PRICES["gpt-4.1-nano"]
    assert table.lookup("llama-3-8b") is None and table.cost("llama-3-8b", 10, 10) is None
    assert Price(2.5, 10).cost(1_000_000, 100_000) == pytest.approx(3.5)
    assert Price(2.5, 10).cost(None, 5) is None
    assert PriceTable({"gpt-4o": Price(1, 1)}).lookup("gpt-4o") == Price(1, 1)


def test_prices_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("my-model: {input: 0.2, output: 0.4}\n", "utf-8")
    assert load_prices(path) == {"my-model": Price(0.2, 0.4)}
    path.write_text("my-model: {input: cheap}\n", "utf-8")
    with pytest.raises(InputError, match="price"):
        load_prices(path)


def test_describe_has_settings_but_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-show-me")
    adapter = OpenAIAdapter("m", base_url="http://user:pw@127.0.0.1:9/v1/", cache=False)
    text = json.dumps(adapter.describe())
    assert "sk-never-show-me" not in text and "pw" not in text
    assert adapter.describe()["settings"]["base_url"] == "http://127.0.0.1:9/v1"


def test_base_url_from_the_environment(fake_openai: Server,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server = fake_openai()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    adapter = OpenAIAdapter("fake", cache=False)
    assert adapter.describe()["settings"]["base_url"] == server.base_url
    assert generate(adapter, request()).error is None and server.state.total_calls == 1


# Raw stance answers from a real small model (SmolLM2-135M-Instruct, llama.cpp) to the seed
# stance prompts, plus well-formed answers in the shapes small models give.
REAL_OUTPUTS: list[tuple[str, str | None]] = [
    ("انتصار السوم في جلب وحق 103 رنفعي, دعم مكتب عالة بدأ. ا", None),  # "دعم" in noise
    ("إيلون ماسك معارض لمسعى جو بايدن لإعادة انتخابه.", "against"),
    ("جيد الموقف كل منبعة والاستشاري. دعم التعلاب الهزاني 202", None),
    ("موقف إيلون ماسك من دونالد ترامب: مؤيد", "favor"),
    ("In 2023, Tesla released the new Tesla Model 5 Max with a redesigned rear-facing "
     "headlamps, which has been widely criticized for its poor performance.", None),
    ("**مؤيد**\n\nالتفسير: يدعم ماسك ترامب", "favor"),
    ("صفت الموقف جلب قارة محالي وعدى 2023، استخابهتنا ماس", None),
    ('"Bab Al-Nuẏ\'a al-Akhum (The Promise of the Law) - وهناك آمدة الشعب على السير ا', None),
    ("مؤيد، معارض، محايد", None),  # the options echoed back
    ("The answer is: محايد (none)", "none"),
]


@pytest.mark.parametrize(("text", "label"), REAL_OUTPUTS)
def test_real_small_model_outputs_parse(text: str, label: str | None) -> None:
    from harness.scoring.labels import parse_label

    stance = load_task(TASKS / "seed_stance.yaml").spec.metric_settings("stance")
    aliases = {k: list(v) for k, v in stance.aliases.items()}
    assert parse_label(text, stance.labels, aliases) == label


def test_real_small_model_outputs_keep_raw_text_and_parsed_label(
    fake_openai: Server, tmp_path: Path
) -> None:
    task = load_task(TASKS / "seed_stance.yaml")
    outputs = iter(REAL_OUTPUTS * 2)
    answers: dict[str, tuple[str, str | None]] = {}

    def answer(messages: Any) -> str:
        key = prompt_key(messages)
        answers.setdefault(key, next(outputs))
        return answers[key][0]

    server = fake_openai(answer=answer)
    assert main(["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake",
                 "--base-url", server.base_url, "--results-dir", str(tmp_path / "r"),
                 "--no-cache", "--concurrency", "1"]) in (0, 1)
    _, rows = results(tmp_path / "r", "seed_stance")
    expected = dict(answers.values())
    assert len(rows) == len(task.examples)
    for row in rows:
        assert row["prediction"] in expected
        parsed = expected[row["prediction"]]
        assert row["parsed_label"] == (parsed if parsed is not None else "<invalid>")


def test_models_config_resolution_and_precedence() -> None:
    from harness.adapters.models_config import resolve_model_specs

    config = {"big": {"model": "gpt-4o", "timeout": 10, "rpm": 100},
              "mine": {"adapter": "replay", "path": "p.jsonl"}}
    [big, mine, plain, lead] = resolve_model_specs(
        ["big,rpm=5", "mine", "openai:org/model:7b", "lead,k=2"], config=config,
        run_options={"timeout": 30, "base_url": None, "cache": False})
    assert big.adapter == "openai" and big.name == "big"
    assert big.options == {"model": "gpt-4o", "timeout": 30, "rpm": 5, "cache": False}
    assert (mine.adapter, mine.options) == ("replay", {"path": "p.jsonl"})
    assert plain.options["model"] == "org/model:7b" and plain.label == "org_model_7b"
    assert lead.options == {"k": 2}
