"""`harness validate`: check task files, and reference files through the tasks that use them."""

from __future__ import annotations

from pathlib import Path

from harness.errors import InputError
from harness.tasks.data import resolve_data_path
from harness.tasks.loader import load_task, task_files
from harness.tasks.spec import parse_task_file


def validate_path(path: Path, tasks_dir: Path) -> str:
    """Validate one file; return a one-line description of what was checked."""
    if not path.is_file():
        raise InputError("file not found", path=path)
    if path.suffix in {".yaml", ".yml"}:
        task = load_task(path)
        return f"task {task.name!r}, {len(task.examples)} examples, hash {task.hash[:19]}"
    users = []
    for task_path in task_files(tasks_dir):
        spec = parse_task_file(task_path)
        if spec.data.path and resolve_data_path(task_path, spec.data.path) == path.resolve():
            users.append(task_path)
    if not users:
        raise InputError(
            f"no task in {tasks_dir} uses this file; validate the task file that points at it",
            path=path,
        )
    loaded = [load_task(t) for t in users]
    return "reference data of " + ", ".join(
        f"{t.name} ({len(t.examples)} examples)" for t in loaded
    )
