"""A loaded task: its validated spec, its examples, and the hashes that identify both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.jsonio import content_hash
from harness.tasks.data import (
    Example,
    data_hash,
    load_examples,
    load_train_examples,
    load_train_labels,
)
from harness.tasks.spec import TaskSpec, parse_task_file


@dataclass(frozen=True)
class Task:
    spec: TaskSpec
    path: Path
    examples: tuple[Example, ...]
    allow_outside_data: bool = False  # data outside the task's tree was allowed when loaded

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @cached_property
    def data_hash(self) -> str:
        return data_hash(self.examples)

    @cached_property
    def hash(self) -> str:
        """Content hash over the task definition and its data."""
        return content_hash({"definition": self.spec.definition_hash(), "data": self.data_hash})

    def context(self, example: Example) -> dict[str, Any]:
        """Template variables for one example (never the gold answer)."""
        fields = example.prompt_fields(self.spec.task_kind.gold)
        return {**fields, **self.spec.task_kind.prompt_context(self.spec, fields)}

    def messages(self, example: Example) -> tuple[dict[str, str], ...]:
        """System prompt, then each few-shot example as a user turn answered by its gold
        answer, then the example's own user turn."""
        from harness.tasks.prompts import render  # jinja2: not needed to list tasks

        context = self.context(example)
        system = render(self.spec.prompt.system, context) if self.spec.prompt.system else ""
        head = ({"role": "system", "content": system},) if system else ()
        shots: list[dict[str, str]] = []
        for shot in self.shots(example):
            shots += [{"role": "user", "content": render(self.spec.prompt.user,
                                                         self.context(shot))},
                      {"role": "assistant",
                       "content": self.spec.task_kind.shot_answer(self.spec, shot)}]
        user = render(self.spec.prompt.user, context)
        return (*head, *shots, {"role": "user", "content": user})

    @cached_property
    def fewshot_pool(self) -> tuple[Example, ...]:
        """The training examples few-shot prompts draw from (checked against the data)."""
        from harness.tasks.fewshot import check_pool

        fewshot = self.spec.fewshot
        if fewshot is None:
            return ()
        pool = load_train_examples(self.spec, self.path, allow_outside=self.allow_outside_data)
        return tuple(check_pool(pool, self.examples, fewshot,
                                self.spec.task_kind.label_field, str(self.path)))

    def shots(self, example: Example) -> list[Example]:
        """The few-shot examples shown before ``example`` (none without `fewshot:`)."""
        from harness.tasks.fewshot import choose_shots

        if self.spec.fewshot is None:
            return []
        return choose_shots(self.fewshot_pool, example.id, self.spec.fewshot,
                            self.spec.task_kind.label_field)

    def train_labels(self) -> list[str] | None:
        return load_train_labels(self.spec, self.path,
                                 allow_outside=self.allow_outside_data)

    def with_answer_mode(self, mode: str) -> Task:
        """The same task and examples, answered in `mode` (a different task identity)."""
        return Task(self.spec.with_answer_mode(mode), self.path, self.examples)

    def subset(self, ids: Sequence[str]) -> Task:
        wanted = set(ids)
        return Task(self.spec, self.path, tuple(e for e in self.examples if e.id in wanted),
                    self.allow_outside_data)


def load_task(path: str | Path, *, allow_outside_data: bool = False) -> Task:
    """Parse, validate and load a task file with its data; fail fast on any problem.

    Every template is rendered against every example here, so no template error (a missing
    field, a sandbox refusal, an overflow) can surface mid-run after paid calls.
    """
    from harness.tasks.prompts import check_templates  # jinja2: not needed to list tasks

    path = Path(path)
    spec = parse_task_file(path)
    examples = tuple(load_examples(spec, path, allow_outside=allow_outside_data))
    task = Task(spec, path, examples, allow_outside_data)
    for example in examples:  # an example without a group key fails here, not after the run
        example.groups(spec.group_by)
    if task.fewshot_pool:  # loads and checks the pool now, not after the first model call
        templates_context = {e.id: task.context(e) for e in task.fewshot_pool}
        check_templates({"prompt.user": spec.prompt.user}, templates_context, path=path)
    templates = {"prompt.user": spec.prompt.user}
    if spec.prompt.system:
        templates["prompt.system"] = spec.prompt.system
    check_templates(templates, {e.id: task.context(e) for e in examples}, path=path)
    task.train_labels()  # the training file too, before any model is called
    return task


def find_task(name_or_path: str, tasks_dir: Path) -> Path:
    """A task given by file path or by name (its `name:` in a file under tasks_dir)."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.is_file():
            raise InputError("task file not found", path=candidate)
        return candidate
    for path in task_files(tasks_dir):
        if path.stem == name_or_path or parse_task_file(path).name == name_or_path:
            return path
    known = ", ".join(p.stem for p in task_files(tasks_dir)) or "none"
    raise InputError(f"unknown task {name_or_path!r} (known in {tasks_dir}: {known})")


def task_files(tasks_dir: Path) -> list[Path]:
    return sorted([*tasks_dir.glob("*.yaml"), *tasks_dir.glob("*.yml")])
