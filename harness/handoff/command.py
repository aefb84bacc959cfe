"""`harness export-requests` and `harness import-responses`: the engine hand-off.

Export writes the requests a `harness run` with the same arguments would send (those not
already answered in the cache) as OpenAI batch input, and remembers them in the cache; import
stores an engine's output file in the cache in one transaction, so the same `harness run`
then scores from the cache with zero calls.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli_models import add_api_arguments

    export = sub.add_parser("export-requests", help="write a run's model requests as OpenAI "
                            "batch input (for vllm run-batch, Ray Data, a batch API)")
    export.add_argument("tasks", nargs="+", help="task names or files")
    export.add_argument("--model", "-m", action="append", default=[], metavar="SPEC",
                        required=True, help="as for harness run (an API model)")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    export.add_argument("--limit", type=int, help="only the first N examples")
    export.add_argument("--sample", type=int, help="a seeded random sample of N examples")
    export.add_argument("--seed", type=int, default=0, help="seed for --sample")
    export.add_argument("--shard", metavar="I/N", help="only shard I of N")
    add_api_arguments(export)
    export.set_defaults(func=cmd_export)
    imp = sub.add_parser("import-responses", help="load an OpenAI batch output file into the "
                         "response cache (then harness run scores with zero calls)")
    imp.add_argument("files", nargs="+", type=Path, metavar="RESPONSES")
    imp.add_argument("--cache-dir", type=Path, help="response cache folder "
                     "(default .harness-cache; the one the requests were exported with)")
    imp.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    from harness.adapters.registry import create_adapter
    from harness.cli import console
    from harness.cli_models import generation_from_args, specs_from_args
    from harness.errors import InputError
    from harness.handoff.batchfile import api_client, input_line, planned_bodies
    from harness.jsonio import atomic_write_jsonl
    from harness.models.cache import ResponseCache
    from harness.runner import build_requests
    from harness.selection import Selection
    from harness.shards.split import Shard
    from harness.tasks import find_task, load_task

    selection = Selection(limit=args.limit, sample=args.sample, seed=args.seed,
                          shard=Shard.parse(args.shard) if args.shard else None)
    tasks = [load_task(find_task(t, args.tasks_dir)) for t in args.tasks]
    specs = specs_from_args(args)
    lines: dict[str, dict] = {}
    cached = 0
    for spec in specs:
        adapter = create_adapter(spec)
        client = api_client(adapter)
        if client.cache_path is None:
            raise InputError("export needs the response cache: imported answers go there",
                             field="--no-cache")
        for task in tasks:
            if not adapter.answers(task.spec.task_kind):
                continue
            examples = selection.sharded(selection.apply(task.examples))
            planned = planned_bodies(adapter, build_requests(
                task, examples, generation_from_args(task, args, spec)))
            cache = ResponseCache(client.cache_path)
            try:
                present = set() if client.refresh else cache.cached_keys(k for k, _ in planned)
                cache.remember_requests((k, client.backend.model, b) for k, b in planned)
            finally:
                cache.close()
            cached += len(present)
            for key, body in planned:
                if key not in present:
                    lines.setdefault(key, input_line(key, body))
    atomic_write_jsonl(args.out, lines.values())
    console.print(f"wrote {len(lines)} requests to {args.out} ({cached} already answered in "
                  "the cache)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from harness.cli import console
    from harness.handoff.batchfile import read_output
    from harness.models.cache import ResponseCache

    cache = ResponseCache(ResponseCache.path_in(args.cache_dir))
    try:
        parsed = [read_output(path, cache, source="import") for path in args.files]
        stored = cache.put_many(row for p in parsed for row in p.answers)  # one transaction
    finally:
        cache.close()
    failed = sum(len(p.failures) for p in parsed)
    console.print(f"imported {stored} answers into {cache.path}"
                  + (f"; {failed} requests failed (not stored; a run retries them)"
                     if failed else ""))
    for p in parsed:
        for key, reason in list(p.failures.items())[:5]:
            console.print(f"  [yellow]failed[/] {key[:12]}…: {reason}", highlight=False)
    return 0
