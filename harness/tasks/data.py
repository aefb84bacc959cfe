"""Examples: rows from a reference JSONL file or a `datasets` dataset, mapped and validated.

Local JSONL is read with a strict reader so that every problem names its file and line; Hub
datasets (or a local dataset folder standing in for one) are loaded through `datasets`. Both
paths end in the same mapping and validation, so a task behaves the same wherever its data lives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.jsonio import content_hash, iter_jsonl
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class Example:
    """One evaluation item: canonical fields plus any extra columns (usable in prompts)."""

    id: str
    fields: Mapping[str, Any]
    location: str = ""  # "file:line" or "dataset row N", for error messages
    extra: Mapping[str, Any] = field(default_factory=dict)

    def prompt_fields(self, gold: Iterable[str]) -> dict[str, Any]:
        """Fields a model may see: everything except the gold answers."""
        hidden = set(gold)
        return {k: v for k, v in {**self.extra, **self.fields}.items() if k not in hidden}

    def record(self) -> dict[str, Any]:
        return {"id": self.id, **self.fields, **self.extra}

    def groups(self, keys: Iterable[str]) -> dict[str, str]:
        """This example's group under each key (`metrics.group_by`, `--stratify`)."""
        from harness.scoring.groups import group_value

        merged = {**self.extra, **self.fields}
        return {key: group_value(key, merged, self.location) for key in keys}


def _rows_from_hub(spec: TaskSpec, task_path: Path,
                   allow_outside: bool) -> Iterator[tuple[str, int | None, dict]]:
    hub = spec.data.hub
    assert hub is not None
    source = hub.dataset
    local = resolve_data_path(task_path, source, field="data.hub.dataset")
    if local.exists():  # a local dataset folder: kept in the task's tree like a data path
        resolve_data_path(task_path, source, field="data.hub.dataset",
                          allow_outside=allow_outside)
        source = str(local)
    import datasets  # heavy import, only for Hub tasks

    try:
        options = {"revision": hub.revision, "data_files": hub.data_files}
        builder = datasets.load_dataset_builder(source, hub.config, **options)
        if hasattr(builder.config, "keep_default_na"):
            # A CSV dataset: pandas would read the label "None" (Mawqif, SemEval-style stance
            # data) and texts such as "NA" as missing values; keep every cell as written.
            builder = datasets.load_dataset_builder(
                source, hub.config, keep_default_na=False, **options
            )
        builder.download_and_prepare()
        dataset = builder.as_dataset(split=hub.split)
    except Exception as exc:  # datasets raises many types; all mean "cannot load"
        raise InputError(
            f"cannot load dataset {hub.dataset!r} (config {hub.config!r}, split {hub.split!r}): "
            f"{type(exc).__name__}: {exc}",
            path=task_path,
            field="data.hub",
        ) from None
    for index, row in enumerate(dataset):
        yield f"{hub.dataset} row {index}", None, dict(row)


def resolve_data_path(task_path: Path, relative: str, *, field: str = "data.path",
                      allow_outside: bool = True) -> Path:
    """Data paths in a task file are relative to the task file's folder.

    Unless `allow_outside`, the path must stay inside the task's tree (the folder above the
    task file's folder: `tasks/` beside `references/`), so a task file cannot make the harness
    read, and print values from, any other file on the machine.
    """
    try:
        path = (task_path.parent / relative).resolve()
        root = task_path.resolve().parent.parent
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before 3.13)
        raise InputError(f"cannot resolve {relative!r}: {exc}", path=task_path,
                         field=field) from None
    if not allow_outside and not path.is_relative_to(root):
        raise InputError(f"{relative!r} resolves outside the task's tree {root}; "
                         "pass --allow-outside-data to read it", path=task_path, field=field)
    return path


def _rows_from_jsonl(path: Path) -> Iterator[tuple[str, int | None, dict]]:
    for line, row in iter_jsonl(path):
        yield str(path), line, row


def _selected(rows: Iterable[tuple[str, int | None, dict]], where: Mapping[str, str] | None
              ) -> Iterator[tuple[str, int | None, dict]]:
    """The rows whose columns hold the `where` values (all rows without a filter)."""
    for source, line, row in rows:
        if where is None or all(str(row.get(k)) == v for k, v in where.items()):
            yield source, line, row


def _map_row(spec: TaskSpec, row: dict, where: tuple[str, int | None], index: int) -> Example:
    kind = spec.task_kind
    mapped: dict[str, Any] = {}
    if spec.data.ids == "row_number":
        mapped["id"] = f"row-{index}"
    for name in (*(() if "id" in mapped else ("id",)), *kind.fields):
        column = spec.column(name)
        if column not in row:
            hint = (" (ids must be explicit: give every row one, or set `data.ids: row_number` "
                    "in the task to number the rows)") if name == "id" else ""
            raise InputError("missing required field" + hint, path=where[0], line=where[1],
                             field=column)
        mapped[name] = row[column]
    if not isinstance(mapped["id"], str | int) or isinstance(mapped["id"], bool):
        raise InputError(
            f"id must be a string or integer, got {type(mapped['id']).__name__}",
            path=where[0],
            line=where[1],
            field=spec.column("id"),
        )
    example_id = str(mapped.pop("id"))
    fields = kind.map_row(spec, mapped, where)
    used = {spec.column(n) for n in ("id", *kind.fields)}
    extra = {k: v for k, v in row.items() if k not in used}
    location = f"{where[0]}:{where[1]}" if where[1] is not None else where[0]
    return Example(id=example_id, fields=fields, location=location, extra=extra)


def load_examples(spec: TaskSpec, task_path: Path, *,
                  allow_outside: bool = False) -> list[Example]:
    """All examples of a task, validated; duplicate ids are an error naming both places."""
    if spec.data.path is not None:
        data_path = resolve_data_path(task_path, spec.data.path, allow_outside=allow_outside)
        if not data_path.is_file():
            what = "is a folder, not a JSONL file" if data_path.is_dir() else "not found"
            raise InputError(f"data file {what}: {data_path}", path=task_path, field="data.path")
        rows: Iterable[tuple[str, int | None, dict]] = _rows_from_jsonl(data_path)
    else:
        rows = _rows_from_hub(spec, task_path, allow_outside)
    examples = _examples(spec, _selected(rows, spec.data.where))
    if not examples:
        raise InputError("the data has no examples", path=task_path, field="data")
    return examples


def _examples(spec: TaskSpec, rows: Iterable[tuple[str, int | None, dict]]) -> list[Example]:
    """Rows mapped and validated; duplicate ids are an error naming both places."""
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for index, (source, line, row) in enumerate(rows):
        example = _map_row(spec, row, (source, line), index)
        if example.id in seen:
            raise InputError(
                f"duplicate id {example.id!r} (first at {seen[example.id]})",
                path=source,
                line=line,
                field=spec.column("id"),
            )
        seen[example.id] = example.location
        examples.append(example)
    return examples


def load_train_examples(spec: TaskSpec, task_path: Path, *,
                        allow_outside: bool = False) -> list[Example] | None:
    """The training rows (`data.train`, or `data.path` filtered by `data.train_where`),
    validated like the evaluated ones: the label prior of `majority`, the few-shot pool."""
    relative = spec.data.train_path
    if relative is None:
        return None
    path = resolve_data_path(task_path, relative, field="data.train", allow_outside=allow_outside)
    if not path.is_file():
        raise InputError(f"training file not found: {path}", path=task_path, field="data.train")
    examples = _examples(spec, _selected(_rows_from_jsonl(path), spec.data.train_where))
    if not examples:
        raise InputError("the training data has no examples", path=task_path, field="data.train")
    return examples


def load_train_labels(spec: TaskSpec, task_path: Path, *,
                      allow_outside: bool = False) -> list[str] | None:
    """Gold labels of the training rows (a prior for the majority baseline; only the label
    column is read, so a file of labels alone is enough)."""
    field = spec.task_kind.label_field
    if spec.data.train_path is None or field is None:
        return None
    path = resolve_data_path(task_path, spec.data.train_path, field="data.train",
                             allow_outside=allow_outside)
    column = spec.column(field)
    labels = []
    for source, line, row in _selected(_rows_from_jsonl(path), spec.data.train_where):
        if column not in row:
            raise InputError("missing required field", path=source, line=line, field=column)
        labels.append(spec.task_kind.canonical_label(spec, row[column], (source, line)))
    return labels


def data_hash(examples: Iterable[Example]) -> str:
    """Hash of the examples as the harness sees them (after mapping), whatever their source."""
    return content_hash([e.record() for e in examples])
