"""The fake OpenAI server plus the files and batches endpoints, for batch-API tests.

A batch moves one status per retrieve through `statuses` (validating, in_progress,
finalizing, then its `final` status); `hold` keeps it in_progress until released (all
batches but the first `hold_after`). Requests
whose prompt key is in `fail_prompts` land in the error file (HTTP 400 lines); an expired or
cancelled batch answers its first `partial` requests and lists the rest in the error file with
the provider's code; a failed batch has no files, only `errors`.

Interrupted submissions: `stall_create` "after" records a created batch (with the metadata
sent) and then never answers, "before" never answers and records nothing (a request lost);
`create_stalled` is set once a create is stalled, so a test can kill the client in that window.
The batch list pages newest first (`after`, `limit`, at most `page_size` a page); `list_fails`
answers it with a 500.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_openai_server import (
    FakeOpenAIServer,
    ServerState,
    _Handler,
    _Server,
    chat_completion,
    prompt_key,
)

TERMINAL = ("completed", "failed", "expired", "cancelled")
CODES = {"expired": ("batch_expired", "This request could not be executed before the "
                                      "completion window expired."),
         "cancelled": ("batch_cancelled", "This request was cancelled.")}


@dataclass
class BatchServerState(ServerState):
    statuses: tuple[str, ...] = ("validating", "in_progress", "finalizing")
    final: str = "completed"
    hold: bool = False
    hold_after: int = 0  # the first this many batches are not held
    fail_prompts: set[str] = field(default_factory=set)
    partial: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    retrievals: int = 0
    history: list[tuple[str, str]] = field(default_factory=list)  # (batch id, status) seen
    stall_create: str | None = None  # "after" (recorded) or "before" (lost): never answered
    create_stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)  # ends a stall
    page_size: int = 100
    list_fails: bool = False
    uploads: int = 0  # input files uploaded
    listings: int = 0  # pages of the batch list served

    @property
    def created(self) -> list[dict[str, Any]]:
        return list(self.batches.values())


def _multipart_file(content_type: str, raw: bytes) -> tuple[str, bytes]:
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type)
    assert boundary, content_type
    for part in raw.split(b"--" + boundary[1].encode()):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            name = re.search(rb'filename="([^"]*)"', head)
            return (name[1].decode() if name else "upload"), body.removesuffix(b"\r\n")
    raise AssertionError("no file part")


class _BatchHandler(_Handler):
    server: _BatchServer

    def _state(self) -> BatchServerState:
        return self.server.state  # type: ignore[return-value]

    def do_GET(self) -> None:
        state = self._state()
        path = self.path.rstrip("/")
        if not self._authorized(state):
            return
        url = urlsplit(path)
        if match := re.fullmatch(r"/v1/files/([\w-]+)", path):
            data = state.files.get(match[1])
            if data is None:
                self._error(404, f"no file {match[1]}")
            else:
                self._send(200, {"id": match[1], "object": "file", "bytes": len(data),
                                 "created_at": 0, "filename": "upload", "purpose": "batch",
                                 "status": "processed"})
        elif match := re.fullmatch(r"/v1/files/([\w-]+)/content", path):
            data = state.files.get(match[1])
            if data is None:
                self._error(404, f"no file {match[1]}")
            else:
                self._send(200, data, {"Content-Type": "application/octet-stream"})
        elif match := re.fullmatch(r"/v1/batches/([\w-]+)", path):
            with state.lock:
                state.retrievals += 1
                batch = self._advance(state, match[1])
                if batch:
                    state.history.append((batch["id"], batch["status"]))
            self._send(200, batch) if batch else self._error(404, f"no batch {match[1]}")
        elif url.path.rstrip("/") == "/v1/batches":
            self._list(state, parse_qs(url.query))
        else:
            super().do_GET()

    def do_POST(self) -> None:
        state = self._state()
        path = self.path.rstrip("/")
        if not (path.startswith("/v1/files") or path.startswith("/v1/batches")):
            super().do_POST()
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self._authorized(state):
            return
        stall = state.stall_create if path == "/v1/batches" else None
        with state.lock:
            if path == "/v1/files":
                name, data = _multipart_file(self.headers["Content-Type"], raw)
                state.uploads += 1
                file_id = f"file-{len(state.files) + 1}"
                state.files[file_id] = data
                self._send(200, {"id": file_id, "object": "file", "bytes": len(data),
                                 "created_at": 0, "filename": name, "purpose": "batch",
                                 "status": "processed"})
            elif path == "/v1/batches":
                batch = None if stall == "before" else self._create(state, json.loads(raw))
                if stall is None:
                    self._send(200, batch)
            elif match := re.fullmatch(r"/v1/batches/([\w-]+)/cancel", path):
                batch = state.batches[match[1]]
                if batch["status"] not in TERMINAL:
                    batch["status"] = "cancelling"
                self._send(200, batch)
            else:
                self._error(404, f"no route {path}")
        if stall:  # outside the lock
            state.create_stalled.set()
            state.release.wait(timeout=60)
            self.close_connection = True

    def _create(self, state: BatchServerState, body: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch_{len(state.batches) + 1}"
        total = len(state.files[body["input_file_id"]].splitlines())
        state.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"],
            "completion_window": body["completion_window"], "created_at": len(state.batches),
            "input_file_id": body["input_file_id"], "status": state.statuses[0],
            "metadata": body.get("metadata"), "output_file_id": None, "error_file_id": None,
            "errors": None, "request_counts": {"total": total, "completed": 0, "failed": 0}}
        state.steps[batch_id] = 0
        state.history.append((batch_id, state.statuses[0]))
        return state.batches[batch_id]

    def _list(self, state: BatchServerState, query: dict[str, list[str]]) -> None:
        """One page of the batches, newest first, after the batch `after` names."""
        with state.lock:
            state.listings += 1
            if state.list_fails:
                self._error(500, "injected: cannot list batches")
                return
            newest = list(reversed(state.created))
            after = query.get("after", [None])[0]
            start = next(n + 1 for n, b in enumerate(newest) if b["id"] == after) if after else 0
            limit = min(int(query.get("limit", ["20"])[0]), state.page_size)
            page = newest[start:start + limit]
            self._send(200, {"object": "list", "data": page, "has_more":
                             start + limit < len(newest),
                             "first_id": page[0]["id"] if page else None,
                             "last_id": page[-1]["id"] if page else None})

    def _advance(self, state: BatchServerState, batch_id: str) -> dict[str, Any] | None:
        batch = state.batches.get(batch_id)
        if batch is None or batch["status"] in TERMINAL:
            return batch
        if batch["status"] == "cancelling":
            self._finish(state, batch, "cancelled")
            return batch
        step = state.steps[batch_id] + 1
        if (state.hold and batch["status"] == "in_progress"
                and list(state.batches).index(batch_id) >= state.hold_after):
            step -= 1
        state.steps[batch_id] = step
        if step < len(state.statuses):
            batch["status"] = state.statuses[step]
            counts = batch["request_counts"]
            if batch["status"] == "in_progress":
                counts["completed"] = counts["total"] // 2
        else:
            self._finish(state, batch, state.final)
        return batch

    def _finish(self, state: BatchServerState, batch: dict[str, Any], status: str) -> None:
        batch["status"] = status
        counts = batch["request_counts"]
        if status == "failed":
            batch["errors"] = {"object": "list", "data": [
                {"code": "invalid_request", "message": "the input file is not valid", "line": 1}]}
            counts.update(completed=0, failed=0)
            return
        lines = [json.loads(x) for x in state.files[batch["input_file_id"]].splitlines()]
        done, failed = [], []
        for n, line in enumerate(lines):
            custom_id = line["custom_id"]
            if status != "completed" and n >= state.partial:
                code, message = CODES[status]
                failed.append({"id": f"req-{n}", "custom_id": custom_id, "response": None,
                               "error": {"code": code, "message": message}})
            elif prompt_key(line["body"]["messages"]) in state.fail_prompts:
                failed.append({"id": f"req-{n}", "custom_id": custom_id, "error": None,
                               "response": {"status_code": 400, "request_id": f"r{n}", "body": {
                                   "error": {"message": "injected: invalid prompt",
                                             "type": "invalid_request_error"}}}})
            else:
                done.append({"id": f"req-{n}", "custom_id": custom_id, "error": None,
                             "response": {"status_code": 200, "request_id": f"r{n}",
                                          "body": chat_completion(line["body"], state.answer)}})
        for rows, key in ((done, "output_file_id"), (failed, "error_file_id")):
            if rows:
                file_id = f"file-{len(state.files) + 1}"
                state.files[file_id] = "".join(
                    json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
                batch[key] = file_id
        counts.update(completed=len(done), failed=len(failed))


class _BatchServer(_Server):
    handler = _BatchHandler


class FakeBatchServer(FakeOpenAIServer):
    state_class = BatchServerState
    server_class = _BatchServer
    state: BatchServerState


def main() -> None:
    """Serve until interrupted; prints the base URL (for benchmarks/batch_scale.py)."""
    from fake_openai_server import serve_until_interrupted

    serve_until_interrupted(FakeBatchServer().start())


if __name__ == "__main__":
    main()
