"""One task's requests (or one round of a judge's questions) through a provider's batch API,
answered back per request.

The runner asks for answers one request at a time; the first ask starts the whole batch step
(cache look-up, resume or submit, poll, download, store) and every ask then takes its answer
from the result. Answers go into the response cache before anything is scored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from harness.adapters.base import Request, Response
from harness.batch import orphans
from harness.batch.state import BatchState, Intent
from harness.errors import AdapterError, InputError
from harness.handoff.batchfile import CHAT_URL, input_line, read_output
from harness.models.cache import CachedAnswer, ResponseCache

if TYPE_CHECKING:
    from harness.adapters.openai_compat import OpenAIAdapter

COMPLETION_WINDOW: Final = "24h"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
MAX_POLL_FAILURES = 10  # consecutive failed status checks before the run gives up


def _lines(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=where, line=number) from None
        if not isinstance(value, dict):
            raise InputError("expected a JSON object", path=where, line=number)
        rows.append((number, value))
    return rows


def _say_to_stderr(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(message, highlight=False)


class BatchRun:
    """The batch step of one task for an OpenAI-compatible adapter."""

    def __init__(self, adapter: OpenAIAdapter, poll_interval: float,
                 say: Callable[[str], None] = _say_to_stderr) -> None:
        self.adapter = adapter
        self.poll_interval = poll_interval
        self.say = say
        self._bodies: dict[str, dict[str, Any]] = {}
        self._purpose = "model"  # what the requests are for ("judge": a judge's questions)
        self._job: asyncio.Future[dict[str, Response]] | None = None

    def plan(self, requests: Sequence[Request]) -> None:
        self._plan([self.adapter.request_body(r) for r in requests], "model")

    def _plan(self, bodies: Sequence[dict[str, Any]], purpose: str) -> None:
        client = self.adapter.client
        self._bodies = {}
        for body in bodies:
            self._bodies.setdefault(client.cache_key(body), body)
        self._purpose = purpose
        self._job = None

    async def answer(self, request: Request) -> Response:
        return await self._answer(self.adapter.request_body(request))

    async def answer_all(self, bodies: Sequence[dict[str, Any]], purpose: str
                         ) -> list[Response]:
        """One whole batch step for these request bodies (e.g. a round of judge questions):
        the answers in order, from the cache or from one batch (`purpose` labels it)."""
        self._plan(bodies, purpose)
        return list(await asyncio.gather(*(self._answer(b) for b in bodies)))

    async def _answer(self, body: dict[str, Any]) -> Response:
        key = self.adapter.client.cache_key(body)
        if self._job is None:
            self._job = asyncio.ensure_future(self._collect())
        response = (await self._job)[key]
        return dataclasses.replace(response, metadata=dict(response.metadata))

    async def _collect(self) -> dict[str, Response]:
        client = self.adapter.client
        cache = client.response_cache()
        if cache is None:
            raise InputError("--batch stores answers in the response cache: drop --no-cache",
                             field="--no-cache")
        keys = list(self._bodies)
        present = set() if client.refresh else cache.cached_keys(keys)
        results: dict[str, Response] = {}
        for key in present:
            hit = cache.get(key)
            assert hit is not None
            results[key] = client.response(hit, cached=True, attempts=0)
        todo = [k for k in keys if k not in present]
        if not todo:
            return results
        state = BatchState(cache.path)
        answers: dict[str, CachedAnswer] = {}
        failures: dict[str, str] = {}
        try:
            ids, covered, absent = await self._resume(state, set(todo))
            fresh = [k for k in todo if k not in covered]
            submitted = await self._submit(fresh, cache, state, absent)
            ids += [submitted] if submitted else []
            for batch_id in ids:
                await self._settle(batch_id, cache, state, answers, failures)
        finally:
            state.close()
        for key in todo:
            if key in answers:
                results[key] = client.response(answers[key], cached=False, attempts=1)
            else:
                results[key] = Response(text="", attempts=1, error=failures.get(
                    key, "the batch returned no answer for this request"))
        return results

    def _label(self) -> str:
        return "" if self._purpose == "model" else f"{self._purpose} "

    async def _resume(self, state: BatchState, wanted: set[str]
                      ) -> tuple[list[str], set[str], list[Intent]]:
        """The batches already paid for that hold some of these requests (recorded, or found
        on the provider for an interrupted submission), the requests they cover, and the
        interrupted submissions the provider confirmed it has no batch of."""
        backend = self.adapter.backend
        resumed = [b for b in state.pending(backend.endpoint, backend.model)
                   if wanted & set(b.keys)]
        for batch in resumed:
            self.say(f"resuming {self._label()}batch {batch.id} ({len(batch.keys)} "
                     f"requests, last seen {batch.status}): not submitting these again")
        intents = [i for i in state.intents(backend.endpoint, backend.model)
                   if wanted & set(i.keys)]
        adopted, absent = await orphans.resolve(backend, state, intents, self.say)
        covered = {k for b in resumed for k in b.keys}
        covered |= {k for i in intents if i not in absent for k in i.keys}
        return [b.id for b in resumed] + adopted, covered, absent

    async def _submit(self, keys: list[str], cache: ResponseCache, state: BatchState,
                      absent: list[Intent]) -> str | None:
        """Upload and create one batch for these requests (none: None), an intent committed
        first. An interrupted submission of the same input that the provider has no batch of
        is submitted again under its marker, with its uploaded file; other such intents go."""
        import openai

        data = "".join(json.dumps(input_line(k, self._bodies[k]), ensure_ascii=False) + "\n"
                       for k in keys).encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        retry = next((i for i in absent if keys and i.input_sha256 == digest), None)
        for intent in absent:  # the provider has no batch of these: nothing was paid
            if intent is not retry:
                state.drop_intent(intent.marker)
        if not keys:
            return None
        backend = self.adapter.backend
        cache.remember_requests((k, backend.model, self._bodies[k]) for k in keys)
        intent = retry or Intent(orphans.new_marker(), backend.endpoint, backend.model,
                                 backend.api_key_env, tuple(keys), self._purpose, digest,
                                 None, time.time())
        marker = intent.marker
        if retry is None:  # committed before anything reaches the provider
            state.intend(intent)
        api = backend.client()
        try:
            file_id = await orphans.reusable_file(backend, retry)
            if file_id is None:
                upload = await api.files.create(file=("harness-batch.jsonl", data),
                                                purpose="batch")
                file_id = upload.id
                state.set_file(marker, file_id)
            else:
                self.say(f"submitting again the interrupted {self._label()}batch submission "
                         f"{marker} (the provider has no batch of it), with its uploaded file "
                         f"{file_id}")
            batch = await api.batches.create(input_file_id=file_id, endpoint=CHAT_URL,
                                             completion_window=COMPLETION_WINDOW,
                                             metadata={orphans.MARKER_KEY: marker})
        except openai.APIError as exc:
            raise AdapterError(f"batch submission failed: {backend.failure(exc)}") from None
        # recorded before the first poll: a killed run resumes this batch, never pays twice
        state.adopt(intent, batch.id, batch.status)
        self.say(f"submitted {self._label()}batch {batch.id}: {len(keys)} requests "
                 f"(completion window {COMPLETION_WINDOW})")
        return batch.id

    async def _poll(self, batch_id: str, state: BatchState) -> Any:
        """The batch once it reached a terminal status, with progress lines on the way."""
        import openai

        from harness.models.backend import TransientError

        backend = self.adapter.backend
        api = backend.client()
        started = time.monotonic()
        last, misses = "", 0
        while True:
            try:
                batch = await api.batches.retrieve(batch_id)
                misses = 0
            except openai.APIError as exc:
                failure = backend.failure(exc)
                misses += 1
                if not isinstance(failure, TransientError) or misses >= MAX_POLL_FAILURES:
                    raise AdapterError(f"cannot check batch {batch_id} (it stays recorded; "
                                       f"run again to resume): {failure}") from None
                await asyncio.sleep(self.poll_interval)
                continue
            counts = batch.request_counts
            done, failed, total = ((counts.completed, counts.failed, counts.total)
                                   if counts else (0, 0, 0))
            line = (f"{self._label()}batch {batch_id}: {batch.status}, {done} done / {failed} "
                    f"failed / {total}")
            if line != last:
                elapsed = time.monotonic() - started
                self.say(f"{line} (elapsed {elapsed:.0f} s)")
                last = line
            if batch.status in TERMINAL:
                return batch
            state.set_status(batch_id, batch.status)
            await asyncio.sleep(self.poll_interval)

    async def _settle(self, batch_id: str, cache: ResponseCache, state: BatchState,
                      answers: dict[str, CachedAnswer], failures: dict[str, str]) -> None:
        """Poll to the end, store every answer, note every failure's reason, then settle."""
        record = state.get(batch_id)
        assert record is not None
        batch = await self._poll(batch_id, state)
        api = self.adapter.backend.client()
        stored: list[tuple[str, str, CachedAnswer]] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await api.files.content(file_id)
            where = f"batch {batch_id} file {file_id}"
            parsed = read_output(Path(where), cache, source="batch",
                                 lines=_lines(content.text, where))
            for key, model, answer in parsed.answers:
                answer.metadata.update(price_tier="batch", batch_id=batch_id)
                stored.append((key, model, answer))
            failures.update(parsed.failures)
        cache.put_many(stored)
        answers.update({key: answer for key, _, answer in stored})
        if batch.status != "completed":
            errors = getattr(batch.errors, "data", None) or []
            reason = "; ".join(f"{e.code}: {e.message}" for e in errors) or "no reason given"
            for key in record.keys:
                if key not in answers and key not in failures:
                    failures[key] = f"batch {batch_id} {batch.status} ({reason})"
        state.set_status(batch_id, batch.status, settled=True)
