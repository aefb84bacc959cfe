"""`harness batches`: the submitted batches whose answers no run has collected yet (the
evaluated model's, and judges'), and submissions interrupted before their batch id was
recorded; `--cancel ID` asks the provider to cancel one (the next run collects what it
finished)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.batch.state import BatchState


_INTENT_NOTE = ("hs-...: a submission interrupted (or under way) before its batch id was "
                "recorded. The next run of its requests looks for its batch on the provider "
                "(batch metadata harness_submission) and adopts it, submitting only if there is "
                "none; --cancel hs-... cancels that batch (or forgets the submission).")


def register(sub: argparse._SubParsersAction) -> None:
    batches = sub.add_parser("batches", help="list pending provider batches (run --batch: "
                             "the model's and the judges'), or cancel one")
    batches.add_argument("--cache-dir", type=Path, help="response cache folder "
                         "(default .harness-cache)")
    batches.add_argument("--cancel", metavar="BATCH_ID", help="cancel this batch (or the "
                         "batch of an interrupted submission; if it has none, forget it)")
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
        intents = state.intents()
        for intent in intents:
            begun = datetime.fromtimestamp(intent.created_at, UTC).isoformat(timespec="seconds")
            table.add_row(intent.marker, intent.purpose, intent.model, intent.endpoint,
                          str(len(intent.keys)), "submitting: no batch id", begun)
        console = stdout_console()
        console.print(table)
        if intents:
            console.print(_INTENT_NOTE, highlight=False)
    finally:
        state.close()
    return 0


def _cancel(state: BatchState, ident: str) -> int:
    """Cancel a pending batch; a submission intent's marker: the batch the provider has of it
    (adopted first), or, when it has none, drop the intent (nothing was paid)."""
    import asyncio

    import openai

    from harness.adapters.openai_compat import DEFAULT_KEY_ENV, OpenAIBackend
    from harness.batch import orphans
    from harness.errors import AdapterError, InputError

    record = state.get(ident)
    pending = record if record is not None and record.settled_at is None else None
    intent = next((i for i in state.intents() if i.marker == ident), None)
    source = pending or intent
    if source is None:
        raise InputError(f"no pending batch or submission {ident!r} in {state.path}",
                         field="--cancel")
    # The default variable may be unset (a local server needs no key); only a variable the
    # run named on purpose must be set.
    key_env = None if source.api_key_env == DEFAULT_KEY_ENV else source.api_key_env
    backend = OpenAIBackend(source.model, base_url=source.endpoint, api_key_env=key_env)

    async def cancel() -> tuple[str, str | None]:
        batch_id = ident
        try:
            if pending is None and intent is not None:
                adopted, _ = await orphans.resolve(backend, state, [intent], print)
                if not adopted:
                    return ident, None
                batch_id = adopted[0]
            return batch_id, (await backend.client().batches.cancel(batch_id)).status
        except openai.APIError as exc:
            raise AdapterError(f"cannot cancel {batch_id}: {backend.failure(exc)}") from None
        finally:
            await backend.aclose()

    batch_id, status = asyncio.run(cancel())
    if status is None:
        state.drop_intent(ident)
        print(f"{ident}: the provider has no batch of this submission; forgotten (nothing was "
              "paid)")
        return 0
    state.set_status(batch_id, status)
    print(f"{batch_id}: {status} (the next run collects what it finished)")
    return 0
