"""Submissions cut short: a process killed after the provider created a batch but before the
batch's id was written leaves a submission intent (harness/batch/state.py). Before submitting
those requests again, the next run pages through the provider's batches for the intent's marker
(sent as the batch's metadata) or its uploaded input file, and adopts the batch it finds. Only
when the provider lists no such batch is the intent dropped and the input submitted again,
reusing the uploaded input file when the input is byte for byte the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from harness.errors import AdapterError

if TYPE_CHECKING:
    from harness.adapters.openai_compat import OpenAIBackend
    from harness.batch.state import BatchState, Intent

MARKER_KEY: Final = "harness_submission"  # the batch metadata field holding the marker
PAGE_SIZE: Final = 100  # the most batches OpenAI's list endpoint returns per page


def new_marker() -> str:
    return f"hs-{uuid.uuid4().hex}"


def _matches(batch: Any, intent: Intent) -> bool:
    marker = (getattr(batch, "metadata", None) or {}).get(MARKER_KEY)
    return marker == intent.marker or (intent.file_id is not None
                                       and batch.input_file_id == intent.file_id)


async def find_batches(backend: OpenAIBackend, intents: Sequence[Intent]) -> dict[str, Any]:
    """The provider's batch of each intent found (by marker), from every page of its batch list
    (or until all are found). A failed look-up raises: without an answer nothing is resubmitted."""
    import openai

    api = backend.client()
    found: dict[str, Any] = {}
    after: str | None = None
    while len(found) < len(intents):
        try:
            page = await (api.batches.list(limit=PAGE_SIZE) if after is None
                          else api.batches.list(limit=PAGE_SIZE, after=after))
        except openai.APIError as exc:
            raise AdapterError(
                "cannot list the provider's batches to tell whether an interrupted submission "
                f"created one (its intent stays recorded; run again): {backend.failure(exc)}"
            ) from None
        for batch in page.data:
            for intent in intents:
                if intent.marker not in found and _matches(batch, intent):
                    found[intent.marker] = batch
        # a provider that does not say whether there is more: a full page may have a next
        more = page.has_more if page.has_more is not None else len(page.data) >= PAGE_SIZE
        if not page.data or not more or page.data[-1].id == after:
            break
        after = page.data[-1].id
    return found


async def resolve(backend: OpenAIBackend, state: BatchState, intents: Sequence[Intent],
                  say: Callable[[str], None]) -> tuple[list[str], list[Intent]]:
    """Adopt the batch of every intent the provider has (their ids, now pending batches); the
    intents it confirmed it has no batch for are returned (still recorded)."""
    if not intents:
        return [], []
    found = await find_batches(backend, intents)
    adopted, absent = [], []
    for intent in intents:
        batch = found.get(intent.marker)
        if batch is None:
            absent.append(intent)
            continue
        state.adopt(intent, batch.id, batch.status)
        adopted.append(batch.id)
        say(f"found batch {batch.id} ({len(intent.keys)} requests, {batch.status}) of an "
            f"interrupted submission ({intent.marker}) on the provider: adopting it, not "
            "submitting these again")
    return adopted, absent


async def reusable_file(backend: OpenAIBackend, intent: Intent | None) -> str | None:
    """The intent's uploaded input file if the provider still has it, else None."""
    import openai

    if intent is None or intent.file_id is None:
        return None
    try:
        await backend.client().files.retrieve(intent.file_id)
    except openai.APIError:  # gone or unreadable: upload again (an upload costs nothing)
        return None
    return intent.file_id
