"""Significance groups: which models a task cannot tell apart from the best remaining one.

Models are ordered by their headline value. The best is the first group's leader; every other
model is tested against it on the shared examples with its metric family's paired test
(paired bootstrap, exact McNemar), and the p-values are Holm-corrected over that step's
comparisons. The leader's group is the leader plus the models that follow it in order until
the first one that differs significantly; they share the rank "1–k". The next group starts
with that model, tested against the models after it, and so on. A comparison that cannot be
tested (too few pairs) never separates two models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from harness.scoring.significance import PairedResult

ALPHA = 0.05
CORRECTION = "Holm"
T = TypeVar("T")

# (leader, other) -> the paired result of other − leader, and whether it can be tested at all
Tester = Callable[[T, T], tuple[PairedResult, bool]]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (NaN stays NaN)."""
    finite = sorted((p, i) for i, p in enumerate(p_values) if math.isfinite(p))
    m = len(finite)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for step, (p, i) in enumerate(finite):
        running = max(running, min(1.0, (m - step) * p))
        adjusted[i] = running
    return adjusted


@dataclass
class Placed(Generic[T]):
    """One model's place: its group, the rank span it shares, and its test against the leader."""

    item: T
    group: int
    rank_low: int
    rank_high: int
    # other − leader; for the leader of a later group: against the previous group's leader,
    # the significant difference that started its group (None: the first leader)
    vs_leader: PairedResult | None = None
    p_adjusted: float | None = None
    testable: bool = True
    leads: bool = False

    @property
    def rank_text(self) -> str:
        return str(self.rank_low) if self.rank_low == self.rank_high else \
            f"{self.rank_low}–{self.rank_high}"

    @property
    def mid_rank(self) -> float:
        return (self.rank_low + self.rank_high) / 2


def significance_groups(ordered: Sequence[T], test: Tester[T], alpha: float = ALPHA
                        ) -> list[Placed[T]]:
    """Place `ordered` (best first) into groups as the module docstring describes."""
    if not ordered:
        return []
    placed: list[Placed[T]] = []
    start, group = 0, 1
    head = Placed(ordered[0], 1, 0, 0, leads=True)
    while start < len(ordered):
        leader, rest = ordered[start], ordered[start + 1:]
        results = [test(leader, other) for other in rest]
        adjusted = holm([r.p_value if ok else math.nan for r, ok in results])
        members = [head]
        for other, (result, ok), p in zip(rest, results, adjusted, strict=True):
            if ok and math.isfinite(p) and p < alpha and result.difference != 0:
                head = Placed(other, group + 1, 0, 0, result, p, ok, leads=True)
                break
            members.append(Placed(other, group, 0, 0, result, None if math.isnan(p) else p, ok))
        for member in members:
            member.rank_low, member.rank_high = start + 1, start + len(members)
        placed += members
        start += len(members)
        group += 1
    return placed
