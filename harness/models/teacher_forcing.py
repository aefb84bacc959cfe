"""Teacher forcing from top-k log-probabilities: each label's log-probability one token at a
time, the steps labels share asked once, and honest upper bounds when a token is out of sight.

Pure apart from the `Step` it is given (one request per call), so both log-likelihood routes
that generate (text and chat completions) share it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from harness.gathering import gather_or_cancel

# One teacher-forcing step: the top-k next tokens after the prompt plus a label's prefix, or
# None when the prefix cannot be sent (the chat route without prefill).
Step = Callable[[str], Awaitable[Mapping[str, float] | None]]


async def teacher_force(choices: Mapping[str, str], step: Step) -> dict[str, dict[str, Any]]:
    """Every label's log-probability, one step per token, each distinct prefix asked once
    (labels sharing a prefix share its request). A piece outside the top k counts
    `outside_bound`; a prefix that cannot be continued counts 0 for the rest: both upper bounds,
    marked ``bounded``."""
    state = {label: {"read": 0, "logprob": 0.0, "tokens": 0, "bounded": False}
             for label in choices}
    open_labels = [label for label, text in choices.items() if text]
    while open_labels:
        prefixes = sorted({choices[label][: int(state[label]["read"])] for label in open_labels})
        tops = await gather_or_cancel(step(p) for p in prefixes)
        top_of = dict(zip(prefixes, tops, strict=True))
        still = []
        for label in open_labels:
            s, text = state[label], choices[label]
            read = int(s["read"])
            top = top_of[text[:read]]
            if top is None:  # no way to continue: the rest is at most probability 1
                s["bounded"] = True
                continue
            pieces = [t for t in top if t and text[read:].startswith(t)]
            s["tokens"] = int(s["tokens"]) + 1
            if not pieces:  # the next piece is outside the top k: bound it and stop
                s["logprob"] = float(s["logprob"]) + outside_bound(top)
                s["bounded"] = True
                continue
            piece = max(pieces, key=len)
            s["logprob"] = float(s["logprob"]) + float(top[piece])
            s["read"] = read + len(piece)
            if int(s["read"]) < len(text):
                still.append(label)
        open_labels = still
    return {label: label_score(float(s["logprob"]), choices[label], int(s["tokens"]),
                          bool(s["bounded"])) for label, s in state.items()}


class StepFailed(Exception):
    """A step's request failed: the example's error (the run goes on)."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.message, self.attempts = message, attempts


def outside_bound(top: Mapping[str, float]) -> float:
    """An upper bound on a token outside the top k: below its least value and the mass left."""
    values = [float(v) for v in top.values()]
    left = 1.0 - sum(math.exp(v) for v in values)
    bounds = [min(values)] if values else [0.0]
    if left > 0:
        bounds.append(math.log(left))
    return min(bounds)


def label_score(logprob: float, continuation: str, tokens: int, bounded: bool) -> dict[str, Any]:
    return {"logprob": logprob, "bytes": len(continuation.encode("utf-8")), "tokens": tokens,
            "bounded": bounded}
