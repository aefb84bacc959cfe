"""Submitted batches, in a table of the response cache's SQLite file.

A row is written (and committed) the moment a batch is created, before any polling, and is
settled only after its answers are in the cache: a row still unsettled is a batch someone paid
for whose answers have not been collected yet.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_env TEXT NOT NULL,
    keys TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    settled_at REAL
)
"""


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


class BatchState:
    """Batches by id; every write is its own committed transaction."""

    def __init__(self, cache_path: str | Path) -> None:
        self.path = Path(cache_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 60000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(_SCHEMA)

    def add(self, batch_id: str, *, endpoint: str, model: str, api_key_env: str,
            keys: list[str], status: str) -> None:
        self._db.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                         (batch_id, endpoint, model, api_key_env, json.dumps(keys), status,
                          time.time()))

    def set_status(self, batch_id: str, status: str, *, settled: bool = False) -> None:
        self._db.execute("UPDATE batches SET status = ?, settled_at = ? WHERE id = ?",
                         (status, time.time() if settled else None, batch_id))

    def pending(self, endpoint: str | None = None, model: str | None = None
                ) -> list[BatchRecord]:
        """Unsettled batches (of one endpoint and model if given), oldest first."""
        rows = self._db.execute("SELECT * FROM batches WHERE settled_at IS NULL "
                                "ORDER BY submitted_at").fetchall()
        found = [BatchRecord(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7])
                 for r in rows]
        return [b for b in found if endpoint in (None, b.endpoint) and model in (None, b.model)]

    def get(self, batch_id: str) -> BatchRecord | None:
        row = self._db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            return None
        return BatchRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5],
                           row[6], row[7])

    def close(self) -> None:
        self._db.close()
