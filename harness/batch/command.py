"""`harness batches`: the submitted batches whose answers no run has collected yet (the
evaluated model's, and judges'); `--cancel ID` asks the provider to cancel one (the next run
collects what it finished)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.batch.state import BatchState


def register(sub: argparse._SubParsersAction) -> None:
    batches = sub.add_parser("batches", help="list pending provider batches (run --batch: "
                             "the model's and the judges'), or cancel one")
    batches.add_argument("--cache-dir", type=Path, help="response cache folder "
                         "(default .harness-cache)")
    batches.add_argument("--cancel", metavar="BATCH_ID", help="cancel this batch")
    batches.set_defaults(func=cmd_batches)


def cmd_batches(args: argparse.Namespace) -> int:
    from rich.table import Table

    from harness.batch.state import BatchState
    from harness.cli import stdout_console
    from harness.models.cache import ResponseCache

    state = BatchState(ResponseCache.path_in(args.cache_dir))
    try:
        if args.cancel:
            return _cancel(state, args.cancel)
        table = Table("batch", "for", "model", "endpoint", "requests", "last status",
                      "submitted")
        for batch in state.pending():
            submitted = datetime.fromtimestamp(batch.submitted_at, UTC).isoformat(
                timespec="seconds")
            table.add_row(batch.id, batch.purpose, batch.model, batch.endpoint,
                          str(len(batch.keys)), batch.status, submitted)
        stdout_console().print(table)
    finally:
        state.close()
    return 0


def _cancel(state: BatchState, batch_id: str) -> int:
    import asyncio

    import openai

    from harness.adapters.openai_compat import DEFAULT_KEY_ENV, OpenAIBackend
    from harness.errors import AdapterError, InputError

    record = state.get(batch_id)
    if record is None or record.settled_at is not None:
        raise InputError(f"no pending batch {batch_id!r} in {state.path}", field="--cancel")
    # The default variable may be unset (a local server needs no key); only a variable the
    # run named on purpose must be set.
    key_env = None if record.api_key_env == DEFAULT_KEY_ENV else record.api_key_env
    backend = OpenAIBackend(record.model, base_url=record.endpoint, api_key_env=key_env)

    async def cancel() -> str:
        try:
            return (await backend.client().batches.cancel(batch_id)).status
        except openai.APIError as exc:
            raise AdapterError(f"cannot cancel {batch_id}: {backend.failure(exc)}") from None
        finally:
            await backend.aclose()

    status = asyncio.run(cancel())
    state.set_status(batch_id, status)
    print(f"{batch_id}: {status} (the next run collects what it finished)")
    return 0
