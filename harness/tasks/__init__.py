"""Tasks: declarative YAML definitions, their reference data, and prompts."""

from harness.tasks.data import Example
from harness.tasks.loader import Task, find_task, load_task, task_files
from harness.tasks.spec import TaskSpec, parse_task_file

__all__ = ["Example", "Task", "TaskSpec", "find_task", "load_task", "parse_task_file", "task_files"]
