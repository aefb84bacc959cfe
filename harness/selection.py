"""Which examples a run evaluates: all, the first N, a seeded sample, stratified by a field,
and of those one shard; recorded in the report so the subset can be rebuilt exactly."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError
from harness.shards.split import Shard
from harness.tasks import Example


@dataclass(frozen=True)
class Selection:
    """Which examples to run: all, the first `limit`, or a seeded random `sample`; with
    `stratify`, each group of that field gets its proportional share (largest remainders);
    of those, with `shard`, only the ones in that shard (`harness merge` joins the shards)."""

    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    stratify: str | None = None
    shard: Shard | None = None

    def apply(self, examples: Sequence[Example]) -> list[Example]:
        if self.limit is not None and self.sample is not None:
            raise InputError("give --limit or --sample, not both", field="--limit/--sample")
        if self.stratify is not None:
            return self._stratified(examples)
        chosen = list(examples)
        if self.sample is not None and self.sample >= len(chosen):
            raise InputError(f"--sample {self.sample} asks for at least every one of the "
                             f"{len(chosen)} examples: that is not a sample (drop --sample)",
                             field="--sample")
        if self.sample is not None:
            picked = sorted(random.Random(self.seed).sample(range(len(chosen)), self.sample))
            chosen = [chosen[i] for i in picked]
        if self.limit is not None:
            chosen = chosen[: self.limit]
        return chosen

    def _stratified(self, examples: Sequence[Example]) -> list[Example]:
        """`limit`: the first examples of each group; `sample`: a seeded sample of each."""
        assert self.stratify is not None
        wanted = self.limit if self.limit is not None else self.sample
        if wanted is None or wanted >= len(examples):
            return list(examples)
        members: dict[str, list[int]] = {}
        for index, example in enumerate(examples):
            group = example.groups([self.stratify])[self.stratify]
            members.setdefault(group, []).append(index)
        shares = {g: wanted * len(rows) / len(examples) for g, rows in members.items()}
        quota = {g: int(share) for g, share in shares.items()}
        by_remainder = sorted(members, key=lambda g: (-(shares[g] - quota[g]), g))
        for group in by_remainder[: wanted - sum(quota.values())]:
            quota[group] += 1
        rng = random.Random(self.seed)
        picked: list[int] = []
        for group in sorted(members):
            rows = members[group]
            if self.sample is not None:
                picked += rng.sample(rows, quota[group])
            else:
                picked += rows[: quota[group]]
        return [examples[i] for i in sorted(picked)]

    def uncovered(self, examples: Sequence[Example], chosen: Sequence[Example],
                  keys: Sequence[str]) -> list[str]:
        """A warning per group key whose groups the selection does not all cover."""
        out = []
        for key in keys:
            every = {e.groups([key])[key] for e in examples}
            covered = {e.groups([key])[key] for e in chosen}
            if len(covered) < len(every):
                out.append(f"the selection covers {len(covered)} of the {len(every)} {key} "
                           f"groups; add --stratify {key} for a proportional share of each")
        return out

    def sharded(self, chosen: Sequence[Example]) -> list[Example]:
        """This run's shard of the chosen examples (all of them without a shard)."""
        return list(chosen) if self.shard is None else self.shard.select(
            chosen, [e.id for e in chosen])

    def describe(self, chosen: Sequence[Example], total: int) -> dict[str, Any]:
        subset = len(chosen) < total or self.shard is not None
        described: dict[str, Any] = {
            "limit": self.limit,
            "sample": self.sample,
            "seed": self.seed,
            **({"stratify": self.stratify} if self.stratify is not None else {}),
            "n_total": total,
            "ids": [e.id for e in chosen] if subset else None,
        }
        if self.shard is not None:
            described["shard"] = self.shard.describe()
        return described
