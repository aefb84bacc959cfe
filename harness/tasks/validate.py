"""`harness validate`: check task files, and reference files through the tasks that use them."""

from __future__ import annotations

from pathlib import Path

from harness.errors import InputError
from harness.tasks.data import resolve_data_path
from harness.tasks.loader import load_task, task_files
from harness.tasks.prompts import template_variables
from harness.tasks.spec import parse_task_file


def validate_path(path: Path, tasks_dir: Path, *, load_hub: bool = False,
                  allow_outside_data: bool = False) -> str:
    """Validate one file; return a one-line description of what was checked.

    A Hub task's data needs the network, so by default only its definition is checked.
    """
    if not path.is_file():
        raise InputError("is a folder, not a file" if path.is_dir() else "file not found",
                         path=path)
    if path.suffix in {".yaml", ".yml"}:
        spec = parse_task_file(path)
        if spec.data.hub is not None and not load_hub:
            for field, source in {
                "prompt.user": spec.prompt.user,
                "prompt.system": spec.prompt.system,
            }.items():
                template_variables(source, path=path, field=field)
            return f"task {spec.name!r}: definition ok; Hub data not loaded (--hub loads it)"
        task = load_task(path, allow_outside_data=allow_outside_data)
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
    loaded = [load_task(t, allow_outside_data=allow_outside_data) for t in users]
    return "reference data of " + ", ".join(
        f"{t.name} ({len(t.examples)} examples)" for t in loaded
    )
