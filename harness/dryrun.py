"""`harness run --dry-run`: what a run would send and roughly what it would cost, sending
nothing and writing nothing (no report, no cache), and needing no API key.

Cost is an upper-bound estimate for priced models: prompt tokens are taken as
ceil(characters / CHARS_PER_TOKEN) of the request's messages (a deliberately generous rate
for Arabic, which tokenizers split finely), completion tokens as the full `max_tokens`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from harness.adapters.answer_modes import LOGLIKELIHOOD
from harness.adapters.base import Adapter, Request
from harness.adapters.registry import ModelSpec

CHARS_PER_TOKEN = 2.0
SHOWN = 2  # examples whose prompts and request bodies are printed
PLACEHOLDER = "dry-run-placeholder-not-a-key"  # lets a backend be built; nothing is sent


@contextmanager
def no_key_needed(specs: Sequence[ModelSpec]) -> Iterator[None]:
    """Backends refuse to start without their key variable: set a placeholder in this process
    only while adapters are built (never sent: the dry run makes no call)."""
    names = {str(s.options.get("api_key_env") or "OPENAI_API_KEY") for s in specs}
    added = [n for n in sorted(names) if not os.environ.get(n)]
    for name in added:
        os.environ[name] = PLACEHOLDER
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _prompt_chars(request: Request) -> int:
    return sum(len(str(m.get("content", ""))) for m in request.messages)


def estimate(adapter: Adapter, requests: Sequence[Request]) -> tuple[float | None, str]:
    """Upper-bound USD for these requests, or None and why not."""
    price = getattr(getattr(adapter, "client", None), "price", None)
    if price is None:
        return None, "no price known for this model (offline adapters cost nothing)"
    prompt = sum(math.ceil(_prompt_chars(r) / CHARS_PER_TOKEN) for r in requests)
    completion = sum(r.generation.max_tokens for r in requests)
    cost = (prompt * price.input + completion * price.output) / 1_000_000
    return cost, (f"at most ≈ {prompt} prompt tokens (characters / {CHARS_PER_TOKEN:g}) and "
                  f"{completion} completion tokens (max_tokens per call) at ${price.input}/"
                  f"${price.output} per 1M")


def _elided(body: dict[str, Any]) -> dict[str, Any]:
    """The body with each message's content replaced by a pointer to the prompt shown."""
    if isinstance(body.get("prompt"), str):
        prompt = body["prompt"]
        return {**body, "prompt": f"<the messages above joined by blank lines, {len(prompt)} "
                                  f"characters, ending {prompt[-20:]!r}>"}
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    return {**body, "messages": [
        {**m, "content": f"<the {m.get('role')} message above, {len(str(m.get('content')))} "
                         "characters>"} if isinstance(m, dict) else m for m in messages]}


def _scored(request: Request) -> bool:
    return request.answer_mode == LOGLIKELIHOOD


def _show(out: Console, adapter: Adapter, requests: Sequence[Request]) -> None:
    body_of: Callable[[Request], dict[str, Any]] | None = getattr(adapter, "request_body", None)
    scorer = getattr(adapter, "scorer", None)
    for request in requests[:SHOWN]:
        out.print(f"[bold]example {request.example_id}[/]")
        for message in request.messages:
            out.print(f"  [dim]{message.get('role')}:[/]")
            out.print("    " + str(message.get("content", "")).replace("\n", "\n    "),
                      markup=False)
        if _scored(request) and scorer is not None:
            body = json.dumps(_elided(scorer.first_body(request)), ensure_ascii=False, indent=2)
            out.print("  [dim]first request body (log-likelihood: the step all labels share, "
                      "then one request per distinct label prefix):[/]")
            out.print("    " + body.replace("\n", "\n    "), markup=False)
        elif body_of is not None:
            body = json.dumps(_elided(body_of(request)), ensure_ascii=False, indent=2)
            out.print("  [dim]request body:[/]")
            out.print("    " + body.replace("\n", "\n    "), markup=False)
        else:
            out.print(f"  [dim]({adapter.adapter_name()} answers offline: no request is sent)[/]")


def dry_run(tasks: Sequence[Any], specs: Sequence[ModelSpec], args: argparse.Namespace,
            out: Console, plan_of: Callable[..., list[tuple[Any, Adapter, ModelSpec]]]) -> int:
    """Print each (task, model)'s first prompts, request bodies, call count and cost."""
    import asyncio

    from harness.cli_models import generation_from_args
    from harness.runner import build_requests, task_context
    from harness.selection import Selection

    selection = Selection(limit=args.limit, sample=args.sample, seed=args.seed)
    with no_key_needed(specs):
        plan = plan_of(list(tasks), list(specs))
    calls, total, unknown, at_least = 0, 0.0, [], ""
    for task, adapter, spec in plan:
        examples = selection.apply(task.examples)
        requests = build_requests(task, examples, generation_from_args(task, args, spec))
        adapter.prepare(requests, task_context(task, examples))
        least = "at least " if any(_scored(r) for r in requests) else ""
        at_least = at_least or least
        out.rule(f"{task.name} × {adapter.label}: {least}{len(requests)} call(s)")
        _show(out, adapter, requests)
        cost, how = estimate(adapter, requests)
        out.print(f"calls: {least}{len(requests)}; cost: "
                  + (f"≤ ${cost:.4f} ({how})" if cost is not None else how), markup=False)
        calls += len(requests)
        if cost is None:
            unknown.append(adapter.label)
        else:
            total += cost
        asyncio.run(adapter.aclose())
    out.rule("dry run: nothing was sent and nothing was written")
    priced = f"estimated cost ≤ ${total:.4f}"
    if unknown:
        priced += f" (plus {', '.join(sorted(set(unknown)))}: no price)"
    out.print(f"{at_least}{calls} call(s) in {len(plan)} run(s); {priced}", markup=False)
    return 0
