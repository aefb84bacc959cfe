"""Atomic writes: a failure mid-write leaves the old file (or nothing), never a partial one."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputError
from harness.jsonio import atomic_write_json, content_hash, iter_jsonl


def test_atomic_write_keeps_old_content_on_failure(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "report.json"
    atomic_write_json(target, {"ok": 1})

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("harness.jsonio.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_json(target, {"ok": 2})
    assert target.read_text() == '{\n  "ok": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_unserializable_value_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write_json(tmp_path / "r.json", {"bad": object()})
    assert not any(tmp_path.iterdir())


def test_content_hash_is_canonical() -> None:
    assert content_hash({"b": 1, "a": "ع"}) == content_hash({"a": "ع", "b": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_jsonl_bom_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes('\ufeff{"id": 1}\n\n{"id": 2}\n'.encode())
    assert [(n, r["id"]) for n, r in iter_jsonl(path)] == [(1, 1), (3, 2)]
    with pytest.raises(InputError, match="file not found"):
        list(iter_jsonl(tmp_path / "missing.jsonl"))
