"""`harness run --judge MODEL_SPEC`: judge summaries with a model (repeatable: several judges).

A models-config name is expanded, and the run's API flags (base URL, cache, timeout...) apply
to the judge as to `--model`, the spec's own options winning. The expanded specs replace the
judges of every task whose kind a judge can score.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `harness --help` must not import pydantic models
    from harness.adapters.registry import ModelSpec
    from harness.tasks import Task


def add_judge_argument(run: argparse.ArgumentParser) -> None:
    run.add_argument("--judge", action="append", default=[], metavar="SPEC",
                     help="judge summaries with this model (model spec or models-config "
                          "name), repeatable; sets the task's metrics.judge.judges")


def spec_text(spec: ModelSpec) -> str:
    """A resolved spec written back as one `ADAPTER[:NAME][,key=value...]` string."""
    head = spec.adapter + (f":{spec.name}" if spec.name else "")
    options = {**spec.config_generation, **spec.options, **spec.generation}
    return ",".join([head, *(f"{k}={v}" for k, v in options.items() if v is not None)])


def apply_judges(tasks: Sequence[Task], args: argparse.Namespace) -> list[Task]:
    """The tasks with `--judge` applied (unchanged without it)."""
    if not args.judge:
        return list(tasks)
    from harness.cli_models import specs_from_args

    specs = specs_from_args(argparse.Namespace(**{**vars(args), "model": args.judge}))
    judges = [spec_text(s) for s in specs]
    return [with_judges(task, judges) for task in tasks]


def with_judges(task: Task, judges: Sequence[str]) -> Task:
    """`task` judged by `judges` (its other judge settings kept); unchanged when its kind lacks
    the fields a judge needs."""
    from harness.metrics.judge import Judge, JudgeSettings
    from harness.tasks import Task

    spec = task.spec
    if Judge.requires - set(spec.task_kind.fields):
        return task
    current = spec.metrics.get("judge") or JudgeSettings()
    metrics = {**spec.metrics, "judge": current.model_copy(update={"judges": tuple(judges)})}
    return Task(spec.model_copy(update={"metrics": metrics}), task.path, task.examples)
