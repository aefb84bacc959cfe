"""Submitted batches, in a table of the response cache's SQLite file.

A row is written (and committed) the moment a batch is created, before any polling, and is
settled only after its answers are in the cache: a row still unsettled is a batch someone paid
for whose answers have not been collected yet.

Before anything is uploaded or created, a submission intent is committed (its marker, also sent
as the batch's metadata, the input's SHA-256 and then the uploaded file's id): a process killed
between the provider creating a batch and its id being written leaves that intent, and the next
run finds the batch on the provider instead of paying for it again (harness/batch/orphans.py).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_env TEXT NOT NULL,
    keys TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    settled_at REAL,
    purpose TEXT NOT NULL DEFAULT 'model'
)
"""
_INTENTS = """
CREATE TABLE IF NOT EXISTS batch_intents (
    marker TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_env TEXT NOT NULL,
    keys TEXT NOT NULL,
    purpose TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    file_id TEXT,
    created_at REAL NOT NULL
)
"""
PURPOSES = ("model", "judge")  # whose requests a batch holds: the evaluated model's, a judge's


@dataclass(frozen=True)
class BatchRecord:
    id: str
    endpoint: str
    model: str
    api_key_env: str
    keys: tuple[str, ...]
    status: str
    submitted_at: float
    settled_at: float | None
    purpose: str = "model"


@dataclass(frozen=True)
class Intent:
    """A submission begun but not known to have created a batch (no batch id recorded)."""

    marker: str
    endpoint: str
    model: str
    api_key_env: str
    keys: tuple[str, ...]
    purpose: str
    input_sha256: str
    file_id: str | None
    created_at: float


_INTENT_COLUMNS = ("marker, endpoint, model, api_key_env, keys, purpose, input_sha256, "
                   "file_id, created_at")
_COLUMNS = "id, endpoint, model, api_key_env, keys, status, submitted_at, settled_at, purpose"


def _record(row: tuple[Any, ...]) -> BatchRecord:
    return BatchRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), *row[5:])


class BatchState:
    """Batches by id; every write is its own committed transaction."""

    def __init__(self, cache_path: str | Path) -> None:
        from harness.models.cache import open_shared

        self.path = Path(cache_path)
        self._db = open_shared(self.path)
        self._db.execute(_SCHEMA)
        self._db.execute(_INTENTS)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(batches)")}
        if "purpose" not in columns:  # a cache written before judges could batch
            try:
                self._db.execute("ALTER TABLE batches ADD COLUMN purpose TEXT NOT NULL "
                                 "DEFAULT 'model'")
            except sqlite3.OperationalError as exc:  # another process added it just now
                if "duplicate column" not in str(exc):
                    raise

    def add(self, batch_id: str, *, endpoint: str, model: str, api_key_env: str,
            keys: list[str], status: str, purpose: str = "model") -> None:
        assert purpose in PURPOSES, purpose
        self._db.execute("INSERT INTO batches (id, endpoint, model, api_key_env, keys, status, "
                         "submitted_at, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (batch_id, endpoint, model, api_key_env, json.dumps(keys), status,
                          time.time(), purpose))

    def set_status(self, batch_id: str, status: str, *, settled: bool = False) -> None:
        self._db.execute("UPDATE batches SET status = ?, settled_at = ? WHERE id = ?",
                         (status, time.time() if settled else None, batch_id))

    def pending(self, endpoint: str | None = None, model: str | None = None
                ) -> list[BatchRecord]:
        """Unsettled batches (of one endpoint and model if given), oldest first."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM batches WHERE settled_at IS NULL "
                                "ORDER BY submitted_at").fetchall()
        found = [_record(r) for r in rows]
        return [b for b in found if endpoint in (None, b.endpoint) and model in (None, b.model)]

    def get(self, batch_id: str) -> BatchRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM batches WHERE id = ?",
                               (batch_id,)).fetchone()
        return None if row is None else _record(row)

    def intend(self, intent: Intent) -> None:
        """Commit a submission intent before anything reaches the provider."""
        assert intent.purpose in PURPOSES, intent.purpose
        i = intent
        self._db.execute(f"INSERT INTO batch_intents ({_INTENT_COLUMNS}) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (i.marker, i.endpoint, i.model, i.api_key_env, json.dumps(i.keys),
                          i.purpose, i.input_sha256, i.file_id, i.created_at))

    def set_file(self, marker: str, file_id: str) -> None:
        self._db.execute("UPDATE batch_intents SET file_id = ? WHERE marker = ?",
                         (file_id, marker))

    def intents(self, endpoint: str | None = None, model: str | None = None) -> list[Intent]:
        """Submission intents with no batch id (of one endpoint and model if given)."""
        rows = self._db.execute(f"SELECT {_INTENT_COLUMNS} FROM batch_intents "
                                "ORDER BY created_at").fetchall()
        found = [Intent(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7],
                        r[8]) for r in rows]
        return [i for i in found if endpoint in (None, i.endpoint) and model in (None, i.model)]

    def adopt(self, intent: Intent, batch_id: str, status: str) -> None:
        """The intent's batch exists (created, or found on the provider): record it as a
        pending batch and drop the intent, in one transaction."""
        i = intent
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT OR IGNORE INTO batches (id, endpoint, model, api_key_env, "
                             "keys, status, submitted_at, purpose) VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, ?)",
                             (batch_id, i.endpoint, i.model, i.api_key_env, json.dumps(i.keys),
                              status, i.created_at, i.purpose))
            self._db.execute("DELETE FROM batch_intents WHERE marker = ?", (i.marker,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def drop_intent(self, marker: str) -> None:
        """The provider confirmed no batch came of this intent."""
        self._db.execute("DELETE FROM batch_intents WHERE marker = ?", (marker,))

    def close(self) -> None:
        self._db.close()
