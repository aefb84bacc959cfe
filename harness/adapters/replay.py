"""Replay: score predictions produced elsewhere, read from a JSONL file by example id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.adapters.base import Adapter, Request, Response, TaskContext
from harness.adapters.registry import register_adapter
from harness.errors import InputError
from harness.jsonio import file_hash, iter_jsonl


@register_adapter("replay")
class ReplayAdapter(Adapter):
    """Rows `{"id": ..., "prediction": "..."}` (the text field is configurable with `field=`).

    An id the task has but the file lacks becomes an errored example, counted and listed in
    the report, never silently skipped. Ids in the file that the task lacks are recorded too.
    """

    def __init__(
        self, name: str | None = None, path: str | None = None, field: str = "prediction"
    ) -> None:
        if not path:
            raise InputError(
                "replay needs a predictions file: --model replay,path=FILE.jsonl", field="--model"
            )
        self.path = Path(path)
        self.predictions: dict[str, str] = {}
        for line, row in iter_jsonl(self.path):
            if "id" not in row:
                raise InputError("missing required field", path=self.path, line=line, field="id")
            if field not in row:
                raise InputError("missing required field", path=self.path, line=line, field=field)
            if not isinstance(row[field], str):
                raise InputError(
                    f"expected a string, got {type(row[field]).__name__}",
                    path=self.path,
                    line=line,
                    field=field,
                )
            key = str(row["id"])
            if key in self.predictions:
                raise InputError(f"duplicate id {key!r}", path=self.path, line=line, field="id")
            self.predictions[key] = row[field]
        super().__init__(name, path=str(path), field=field, file_hash=file_hash(self.path))

    def prepare(self, requests: Sequence[Request], context: TaskContext) -> None:
        wanted = {r.example_id for r in requests}
        self.settings["missing_ids"] = sorted(wanted - self.predictions.keys())
        self.settings["unused_ids"] = sorted(self.predictions.keys() - wanted)

    async def generate(self, request: Request) -> Response:
        if request.example_id not in self.predictions:
            return Response(text="", error=f"id {request.example_id!r} not in {self.path}")
        return Response(text=self.predictions[request.example_id])
