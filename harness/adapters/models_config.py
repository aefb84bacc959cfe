"""Named models from a config file, and the run-wide options the CLI hands to API adapters.

A models config (`--models-config models.yaml`) names endpoints once so `--model NAME` is enough:

    gpt4o-mini:
      adapter: openai            # default
      model: gpt-4o-mini         # default: the entry's name
      api_key_env: OPENAI_API_KEY
      price: {input: 0.15, output: 0.60}   # USD per 1M tokens
    local-qwen:
      model: qwen2.5-7b-instruct
      base_url: http://127.0.0.1:8000/v1
      price: {input: 0, output: 0}

Precedence, highest first: options in the `--model` spec, run-wide CLI flags, the config entry.
Secrets never go in the file: `api_key_env` names the environment variable holding the key.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Adapter, GenerationSettings
from harness.adapters.registry import ModelSpec, parse_model_spec
from harness.errors import InputError

if TYPE_CHECKING:
    from harness.tasks import Task

# Adapters that call a model API and accept the run-wide options below.
API_ADAPTERS = frozenset({"openai"})
RUN_OPTIONS = ("base_url", "timeout", "rpm", "cache", "cache_dir", "refresh", "prices")


def load_models_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """Entries `{name: {adapter, model, base_url, api_key_env, price, ...options}}`."""
    from harness.tasks.yamlsafe import load_yaml

    data, _ = load_yaml(Path(path))
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping of model names to settings", path=path)
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in data.items():
        if not isinstance(entry, Mapping):
            raise InputError("expected a mapping of settings", path=path, field=str(name))
        if "api_key" in entry:
            raise InputError("never store a key here; name its environment variable with "
                             "api_key_env", path=path, field=f"{name}.api_key")
        entries[str(name)] = dict(entry)
    return entries


def resolve_model_specs(
    models: Sequence[str], *, config: Mapping[str, Mapping[str, Any]] | None = None,
    run_options: Mapping[str, Any] | None = None,
) -> list[ModelSpec]:
    """Parse `--model` values, expand config names, and fill API adapters' run-wide options."""
    config = config or {}
    run = {k: v for k, v in (run_options or {}).items() if v is not None}
    specs = []
    for text in models:
        spec = parse_model_spec(text)
        base: dict[str, Any] = {}
        if spec.name is None and spec.adapter in config:
            base = dict(config[spec.adapter])
            adapter = str(base.pop("adapter", "openai"))
            if adapter in API_ADAPTERS:
                base.setdefault("model", spec.adapter)
            spec = ModelSpec(adapter=adapter, name=spec.adapter, options=spec.options)
        if spec.adapter in API_ADAPTERS:
            if spec.name and "model" not in base:
                base["model"] = spec.name  # the raw name: the label is made folder-safe
            options = {**base, **run, **spec.options}
        else:
            options = {**base, **spec.options}
        specs.append(ModelSpec(adapter=spec.adapter, name=spec.name, options=options))
    return specs


def generation_overrides(
    *, temperature: float | None = None, max_tokens: int | None = None,
    top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The per-run generation flags that were given, checked like a task's settings."""
    if temperature is not None and not 0.0 <= temperature <= 2.0:
        raise InputError(f"must be between 0 and 2, got {temperature}", field="--temperature")
    if max_tokens is not None and max_tokens < 1:
        raise InputError(f"must be a positive integer, got {max_tokens}", field="--max-tokens")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise InputError(f"must be in (0, 1], got {top_p}", field="--top-p")
    given = {"temperature": temperature, "max_tokens": max_tokens, "top_p": top_p,
             "seed": seed, "stop": tuple(stop) if stop else None}
    return {k: v for k, v in given.items() if v is not None}


def apply_generation(task_generation: Mapping[str, Any],
                     overrides: Mapping[str, Any]) -> GenerationSettings | None:
    """The task's settings with the run's overrides; None (use the task's) when none given."""
    if not overrides:
        return None
    return replace(GenerationSettings(**task_generation), **overrides)


def add_api_arguments(run: argparse.ArgumentParser) -> None:
    """`harness run` flags for API models (endpoint, limits, cache) and generation overrides."""
    api = run.add_argument_group("API models (--model openai:NAME)")
    api.add_argument("--base-url", help="OpenAI-compatible base URL, e.g. "
                     "http://127.0.0.1:8000/v1 (default: $OPENAI_BASE_URL, else OpenAI)")
    api.add_argument("--models-config", type=Path, metavar="FILE",
                     help="YAML of named models, so --model NAME resolves from it")
    api.add_argument("--rpm", type=float, help="at most this many requests per minute")
    api.add_argument("--timeout", type=float, help="seconds per request (default 60)")
    api.add_argument("--cache-dir", type=Path, help="response cache folder "
                     "(default .harness-cache)")
    api.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    api.add_argument("--refresh", action="store_true",
                     help="call the model again even when cached (and update the cache)")
    api.add_argument("--prices", type=Path, metavar="FILE",
                     help="YAML {model: {input, output}} in USD per 1M tokens")
    gen = run.add_argument_group("generation overrides (default: each task's settings)")
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--max-tokens", type=int)
    gen.add_argument("--top-p", type=float)
    gen.add_argument("--gen-seed", type=int, help="sampling seed sent to the model")
    gen.add_argument("--stop", action="append", help="stop sequence, repeatable")


def specs_from_args(args: argparse.Namespace) -> list[ModelSpec]:
    """The run's `--model` specs with config names expanded and run-wide options filled in."""
    for flag in ("rpm", "timeout"):
        value = getattr(args, flag, None)
        if value is not None and value <= 0:
            raise InputError(f"must be positive, got {value}", field=f"--{flag}")
    generation_overrides(temperature=args.temperature, max_tokens=args.max_tokens,
                         top_p=args.top_p, seed=args.gen_seed, stop=args.stop)  # check early
    config = load_models_config(args.models_config) if args.models_config else None
    run_options = {
        "base_url": args.base_url, "timeout": args.timeout, "rpm": args.rpm,
        "cache": False if args.no_cache else None,
        "cache_dir": str(args.cache_dir) if args.cache_dir else None,
        "refresh": True if args.refresh else None,
        "prices": str(args.prices) if args.prices else None,
    }
    return resolve_model_specs(args.model, config=config, run_options=run_options)


def generation_from_args(task: Task, args: argparse.Namespace,
                         adapter: Adapter | None = None) -> GenerationSettings | None:
    """The task's generation settings with this run's flags, then the model's own overrides
    (`openai:m,temperature=0.7`) applied, so the report states what was sent (None: no change)."""
    overrides = generation_overrides(
        temperature=args.temperature, max_tokens=args.max_tokens, top_p=args.top_p,
        seed=args.gen_seed, stop=args.stop)
    overrides.update(getattr(adapter, "generation_overrides", None) or {})
    return apply_generation(task.spec.generation.model_dump(), overrides)
