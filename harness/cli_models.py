"""`harness run`'s model flags: argparse in, plain values out to `models_config`/`generation`.

The only module that knows the flags' names, so only its errors name a flag (one the user
typed).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.adapters.base import GenerationSettings
from harness.adapters.generation import check_generation, effective_generation
from harness.adapters.models_config import load_models_config, resolve_model_specs
from harness.adapters.registry import ModelSpec
from harness.errors import InputError

if TYPE_CHECKING:
    from harness.tasks import Task

# Generation setting -> the flag that overrides it for the whole run.
GENERATION_FLAGS = {"temperature": "--temperature", "max_tokens": "--max-tokens",
                    "top_p": "--top-p", "seed": "--gen-seed", "stop": "--stop"}


def add_api_arguments(run: argparse.ArgumentParser) -> None:
    """`harness run` flags for API models (endpoint, limits, cache) and generation overrides."""
    api = run.add_argument_group("API models (--model openai:NAME, or any model-layer backend)")
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
    api.add_argument("--batch", action="store_true", help="send uncached requests through the "
                     "provider's batch API (half price, up to 24 h); a killed run resumes it")
    api.add_argument("--poll-interval", type=float, metavar="S",
                     help="seconds between batch status checks (default 30)")
    api.add_argument("--prices", type=Path, metavar="FILE",
                     help="YAML {model: {input, output}} in USD per 1M tokens")
    gen = run.add_argument_group("generation overrides (default: each task's settings)")
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--max-tokens", type=int)
    gen.add_argument("--top-p", type=float)
    gen.add_argument("--gen-seed", type=int, help="sampling seed sent to the model")
    gen.add_argument("--stop", action="append", help="stop sequence, repeatable")


def generation_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The generation overrides given as flags, checked (errors name the flag)."""
    given = {key: getattr(args, flag.removeprefix("--").replace("-", "_"))
             for key, flag in GENERATION_FLAGS.items()}
    return check_generation(given, names=GENERATION_FLAGS)


def specs_from_args(args: argparse.Namespace) -> list[ModelSpec]:
    """The run's `--model` specs with config names expanded and run-wide options filled in."""
    for flag in ("rpm", "timeout"):
        value = getattr(args, flag, None)
        if value is not None and not 0 < value < float("inf"):  # NaN fails too
            raise InputError(f"must be positive, got {value}", field=f"--{flag}")
    generation_flags(args)  # check early, before any model is built
    config = load_models_config(args.models_config) if args.models_config else None
    run_options = {
        "base_url": args.base_url, "timeout": args.timeout, "rpm": args.rpm,
        "cache": False if args.no_cache else None,
        "cache_dir": str(args.cache_dir) if args.cache_dir else None,
        "refresh": True if args.refresh else None,
        "prices": str(args.prices) if args.prices else None,
        "batch": True if args.batch else None, "poll_interval": args.poll_interval,
    }
    return resolve_model_specs(args.model, config=config, config_path=args.models_config,
                               run_options=run_options)


def generation_from_args(task: Task, args: argparse.Namespace,
                         spec: ModelSpec) -> GenerationSettings:
    """What is sent to `spec`'s model for `task`: the task's settings, then the models-config
    entry's, the flags', and the spec's own overrides (the report records the result)."""
    return effective_generation(task.spec.generation.model_dump(), spec.config_generation,
                                generation_flags(args), spec.generation)
