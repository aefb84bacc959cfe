"""Few-shot prompting: which training examples precede each evaluated one (`fewshot:`).

The choice is a pure function of (pool, seed, strategy, k, evaluated example id): the same
task gives the same shots on every run, in every process, whatever else is selected, so a
cached re-run sends identical prompts. The pool is the task's training rows, never the
evaluated split (checked when the task loads).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.errors import InputError

if TYPE_CHECKING:
    from harness.tasks.data import Example
    from harness.tasks.spec import FewShotSpec


def check_pool(pool: Sequence[Example] | None, evaluated: Sequence[Example],
               spec: FewShotSpec, label_field: str | None, where: str) -> Sequence[Example]:
    """The pool, refused when missing, too small, unbalanceable or overlapping the
    evaluated examples."""
    if not pool:
        raise InputError("fewshot needs a training pool: set data.train or data.train_where",
                         path=where, field="fewshot.pool")
    shared = {e.id for e in pool} & {e.id for e in evaluated}
    if shared:
        raise InputError(f"the few-shot pool shares {len(shared)} example id(s) with the "
                         f"evaluated split (e.g. {sorted(shared)[0]!r})",
                         path=where, field="fewshot.pool")
    if len(pool) < spec.k:
        raise InputError(f"fewshot.k is {spec.k} but the pool has {len(pool)} examples",
                         path=where, field="fewshot.k")
    if spec.strategy == "balanced" and label_field is None:
        raise InputError("the balanced strategy needs a labelled task kind",
                         path=where, field="fewshot.strategy")
    return pool


def choose_shots(pool: Sequence[Example], example_id: str, spec: FewShotSpec,
                 label_field: str | None) -> list[Example]:
    """``k`` pool examples for one evaluated example, seeded by (seed, example id).

    `random`: a uniform sample. `balanced`: labels take turns (in a seeded order), each turn
    a random unused example of that label, so label counts differ by at most one where the
    pool allows.
    """
    rng = random.Random(f"{spec.seed}:{example_id}")
    if spec.strategy == "random" or label_field is None:
        return rng.sample(list(pool), spec.k)
    by_label: dict[str, list[Example]] = {}
    for example in pool:
        by_label.setdefault(str(example.fields[label_field]), []).append(example)
    remaining = {label: rng.sample(rows, len(rows)) for label, rows in sorted(by_label.items())}
    order = sorted(remaining)
    rng.shuffle(order)
    chosen: list[Example] = []
    while len(chosen) < spec.k:
        for label in order:
            if remaining[label] and len(chosen) < spec.k:
                chosen.append(remaining[label].pop())
    rng.shuffle(chosen)
    return chosen
