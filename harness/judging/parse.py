"""Reading a judge's answer: one JSON object (bare or in a code fence), checked field by field.

Anything else raises `JudgeAnswerError` with a message precise enough to send back to the
judge for its one retry. Nothing is guessed: a missing or out-of-range score is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from harness.judging.rubrics import CLAIM_LABELS, SCALE

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


class JudgeAnswerError(ValueError):
    """The judge's answer is not the JSON asked for (the message says why)."""


def json_object(text: str) -> dict[str, Any]:
    """The one JSON object in `text`: the whole answer, else the content of a code fence."""
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.insert(0, fenced.group(1).strip())
    error = "the answer is empty" if not text.strip() else "the answer is not JSON"
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError as exc:
            error = f"the answer is not valid JSON ({exc})"
            continue
        if isinstance(value, dict):
            return value
        error = "the answer is JSON but not an object"
    raise JudgeAnswerError(error)


def _score(value: Any, where: str) -> int:
    lo, hi = SCALE
    if isinstance(value, bool) or not isinstance(value, int):
        raise JudgeAnswerError(f"{where}.score must be an integer from {lo} to {hi}, "
                               f"got {json.dumps(value, ensure_ascii=False)}")
    if not lo <= value <= hi:
        raise JudgeAnswerError(f"{where}.score must be from {lo} to {hi}, got {value}")
    return value


def parse_dimensions(text: str, dimensions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{dimension: {"score": 1..5, "justification": str}} for every dimension asked."""
    answer = json_object(text)
    out: dict[str, dict[str, Any]] = {}
    for name in dimensions:
        part = answer.get(name)
        if not isinstance(part, dict):
            raise JudgeAnswerError(f"missing object for {name!r}")
        justification = part.get("justification")
        if not isinstance(justification, str) or not justification.strip():
            raise JudgeAnswerError(f"{name}.justification must be a non-empty string")
        out[name] = {"score": _score(part.get("score"), name),
                     "justification": justification.strip()}
    return out


def parse_claims(text: str) -> list[dict[str, str]]:
    """[{"claim", "label", "evidence"}, ...], at least one claim, labels from the rubric."""
    claims = json_object(text).get("claims")
    if not isinstance(claims, list) or not claims:
        raise JudgeAnswerError('"claims" must be a non-empty list')
    out = []
    for i, claim in enumerate(claims):
        if not isinstance(claim, dict):
            raise JudgeAnswerError(f"claims[{i}] must be an object")
        statement, label = claim.get("claim"), claim.get("label")
        evidence = claim.get("evidence", "")
        if not isinstance(statement, str) or not statement.strip():
            raise JudgeAnswerError(f"claims[{i}].claim must be a non-empty string")
        if label not in CLAIM_LABELS:
            raise JudgeAnswerError(f"claims[{i}].label must be one of {', '.join(CLAIM_LABELS)}, "
                                   f"got {json.dumps(label, ensure_ascii=False)}")
        if not isinstance(evidence, str):
            raise JudgeAnswerError(f"claims[{i}].evidence must be a string")
        out.append({"claim": statement.strip(), "label": label, "evidence": evidence.strip()})
    return out


def supported_share(claims: Sequence[dict[str, str]]) -> float:
    return sum(c["label"] == "supported" for c in claims) / len(claims)


def parse_preference(text: str) -> str:
    """"1", "2" or "tie" from a pairwise answer (a number 1 or 2 is accepted as such)."""
    better = json_object(text).get("better")
    better = str(better) if isinstance(better, int) and not isinstance(better, bool) else better
    if better not in ("1", "2", "tie"):
        raise JudgeAnswerError(f'"better" must be "1", "2" or "tie", '
                               f"got {json.dumps(better, ensure_ascii=False)}")
    return better
