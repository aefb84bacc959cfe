"""JSON I/O at the edges: strict JSONL reading with line numbers, canonical hashes, atomic writes.

Every number in a report must be traceable to exact bytes, so hashes are taken over canonical
JSON (sorted keys, no whitespace, UTF-8) and files are replaced atomically: a killed run never
leaves a truncated report behind, and files get the mode `open()` would give (umask applies).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from harness.errors import InputError

TMP_SUFFIX = ".tmp"
MAX_LINE_BYTES = 64 << 20  # one JSONL row; a news article with its summaries is ~100 KB


def canonical_json(value: Any) -> str:
    """Deterministic JSON text for hashing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(value: Any) -> str:
    """`sha256:<hex>` of the canonical JSON of `value`."""
    return "sha256:" + sha256_text(canonical_json(value))


def file_hash(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; fail with file and line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise InputError("is a folder, not a JSONL file" if path.is_dir() else
                         "file not found (or a symlink loop)", path=path)
    with open(path, "rb") as handle:
        for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""),
                                     start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"line longer than {MAX_LINE_BYTES} bytes", path=path,
                                 line=number)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"invalid UTF-8 at byte {exc.start} of the line", path=path, line=number
                ) from None
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON: {exc.msg} (column {exc.colno})", path=path, line=number
                ) from None
            except ValueError:  # an integer too long to convert
                raise InputError("invalid JSON: a number too long to convert", path=path,
                                 line=number) from None
            except RecursionError:
                raise InputError("invalid JSON: nested too deeply", path=path,
                                 line=number) from None
            if b"\\ud" in raw.lower() and not _is_text(value):
                raise InputError("a lone surrogate escape (\\ud800-\\udfff) is not text",
                                 path=path, line=number)
            if not isinstance(value, dict):
                raise InputError(
                    f"expected a JSON object, got {type(value).__name__}", path=path, line=number
                )
            yield number, value


def _is_text(value: Any) -> bool:
    """True when every string in a JSON value encodes as UTF-8 (no lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _file_mode() -> int:
    """What `open()` would give a new file: 0o666 less the umask (mkstemp makes them 0600)."""
    mask = os.umask(0o022)  # reading the umask means setting it: restore at once
    os.umask(mask)
    return 0o666 & ~mask


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a hidden `.<name>.*.tmp` beside `path`, fsynced, with the usual mode.

    Readers never take a hidden `.tmp` file for a report; a writer killed before the rename
    leaves only such a file, which `remove_leftovers` deletes once it is stale.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_files(files: Sequence[tuple[str | Path, bytes]]) -> None:
    """Write files that belong together: all are staged before any is renamed into place.

    They are renamed in the order given, so the last one (a report) appears only once the
    others (its examples) are complete; a kill between two renames, a window of microseconds,
    can leave an earlier file without the last, which readers ignore (they start from reports).
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(Path(path), data), Path(path)))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over `path`."""
    atomic_write_files([(path, text.encode("utf-8"))])


def json_text(value: Any) -> str:
    """A report's JSON text as written to disk."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def jsonl_text(rows: Iterable[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def atomic_write_json(path: str | Path, value: Any) -> None:
    atomic_write_text(path, json_text(value))


def atomic_write_jsonl(path: str | Path, rows: Iterable[Any]) -> None:
    atomic_write_text(path, jsonl_text(rows))


def remove_leftovers(folder: Path, is_orphan: Callable[[Path], bool], stale_s: float) -> None:
    """Delete what killed writes left in `folder`: temporary files, and files `is_orphan`
    says lost their partner, once untouched for `stale_s` seconds (a live writer is younger)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - stale_s
    for path in folder.iterdir():
        leftover = (path.name.startswith(".") and path.name.endswith(TMP_SUFFIX)) or is_orphan(path)
        try:
            if leftover and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # gone already, or not ours to delete: readers ignore it anyway
