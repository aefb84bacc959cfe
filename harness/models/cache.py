"""A persistent response cache: a paid answer is never asked for twice.

SQLite in WAL mode, one row per answer, committed as soon as it arrives, so a run killed at any
moment (even `kill -9`) resumes without repeating a call; several processes may share one file
(WAL lets readers run beside the single writer; `busy_timeout` queues the writers).

The key hashes everything that changes the answer (base URL, model, messages, generation
settings and any extra request parameters) and nothing that doesn't (API key, timeouts).
Errors are never cached.

Two processes running the same task on one cache do not both pay for a call: before calling,
a process claims the key (`claims` table); another process that finds the key claimed waits
for the answer instead of calling. A claim left by a killed process is taken over at once when
its process is gone (same host) or after `CLAIM_TTL_S` (any host).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_CACHE_DIR = Path(".harness-cache")
CACHE_FILE = "responses.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_s REAL NOT NULL,
    metadata TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""
_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""
CLAIM_TTL_S = 900.0  # longer than one call with all its retries normally takes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


# Request bodies handed to an engine or a batch API, by key: what an imported answer must match.
_REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def public_base_url(base_url: str) -> str:
    """The base URL without credentials or trailing slash: safe to hash, store and report."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host.lower(), parts.path.rstrip("/"), "", ""))


def cache_key(base_url: str, body: Mapping[str, Any]) -> str:
    """SHA-256 of the server and the exact request body (model, messages, sampling settings)."""
    canonical = json.dumps({"v": SCHEMA_VERSION, "base_url": public_base_url(base_url),
                            "body": body}, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CachedAnswer:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float
    metadata: dict[str, Any] = field(default_factory=dict)


def open_shared(path: Path, busy_timeout_s: float = 60.0, **options: Any) -> sqlite3.Connection:
    """A connection to the cache file in WAL mode, in autocommit, writers queued.

    Switching a new file to WAL takes an exclusive lock that SQLite does not wait for: two
    processes opening one fresh cache at the same moment get "database is locked" at once,
    busy timeout or not. So the switch is retried until the timeout, and skipped once done.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, **options)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class ResponseCache:
    """Get/put answers by key; every `put` is its own committed transaction."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_shared(self.path, busy_timeout_s, check_same_thread=False)
        # NORMAL in WAL mode survives a killed process (only an OS crash may lose the last
        # commits), and keeps a commit far cheaper than a model call.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(_SCHEMA)
        self._db.execute(_CLAIMS)
        self.owner = secrets.token_hex(8)  # this cache handle's claims
        self._host = socket.gethostname()
        self._db.execute(_REQUESTS_SCHEMA)

    @staticmethod
    def path_in(cache_dir: str | Path | None = None) -> Path:
        """The cache file inside `cache_dir` (default `.harness-cache/`)."""
        return Path(cache_dir or DEFAULT_CACHE_DIR) / CACHE_FILE

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, prompt_tokens, completion_tokens, latency_s, metadata "
                "FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return CachedAnswer(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def put(self, key: str, model: str, answer: CachedAnswer) -> None:
        """Store and commit at once (a later identical answer replaces it harmlessly); the
        key's claim goes in the same transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, model, answer.text, answer.prompt_tokens, answer.completion_tokens,
                     answer.latency_s, json.dumps(answer.metadata, ensure_ascii=False),
                     time.time()))
                self._db.execute("DELETE FROM claims WHERE key = ?", (key,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def claim(self, key: str, ttl_s: float = CLAIM_TTL_S) -> bool:
        """Claim `key` for a call; False while another live process holds it."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT host, pid, owner, expires_at FROM claims "
                                       "WHERE key = ?", (key,)).fetchone()
                held = row is not None and row[2] != self.owner and row[3] > now and (
                    row[0] != self._host or _alive(row[1]))
                if not held:
                    self._db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                                     (key, self._host, os.getpid(), self.owner, now + ttl_s))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return not held

    def release(self, key: str | None = None) -> None:
        """Drop this handle's claim on `key` (None: all of them)."""
        with self._lock:
            if key is None:
                self._db.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
            else:
                self._db.execute("DELETE FROM claims WHERE key = ? AND owner = ?",
                                 (key, self.owner))

    def put_many(self, rows: Iterable[tuple[str, str, CachedAnswer]]) -> int:
        """Store many answers in one transaction: all of them, or (on any error) none."""
        now = time.time()
        values = [(key, model, a.text, a.prompt_tokens, a.completion_tokens, a.latency_s,
                   json.dumps(a.metadata, ensure_ascii=False), now) for key, model, a in rows]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return len(values)

    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` have an answer."""
        return self._present("responses", keys)

    def remember_requests(self, rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> None:
        """Record (key, model, body) of requests sent elsewhere, in one transaction."""
        now = time.time()
        values = [(key, model, json.dumps(body, ensure_ascii=False, sort_keys=True), now)
                  for key, model, body in rows]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)",
                                     values)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def request_models(self, keys: Iterable[str]) -> dict[str, str]:
        """The model of each remembered request among `keys`."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):  # SQLite caps bound parameters
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(
                    f"SELECT key, model FROM requests WHERE key IN ({marks})", chunk).fetchall())
        return found

    def _present(self, table: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(row[0] for row in self._db.execute(
                    f"SELECT key FROM {table} WHERE key IN ({marks})", chunk))
        return found

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self.release()
        with self._lock:
            self._db.close()
