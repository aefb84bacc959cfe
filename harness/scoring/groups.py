"""Slices: every value of a run also computed per group of examples (`metrics.group_by`).

A group key is a data field (a kind's field or any other column, e.g. `target`) or a derived
one, `words(FIELD)`: the field's length in words, bucketed. Each record carries its group
values (`groups`), so per-group values are, like all others, a pure function of the records:
`aggregate` of every family on each group's records. A per-group value is named
``VALUE@KEY=GROUP`` (``accuracy@target=Aramco``) in `check`, `compare` and the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import InputError

if TYPE_CHECKING:
    from harness.metrics.base import Metric, Record
    from harness.scoring.bootstrap import BootstrapConfig

WORD_BUCKETS: tuple[int, ...] = (100, 300, 1000)  # upper bounds (exclusive) of the buckets
_DERIVED = re.compile(r"^words\((?P<field>[^()]+)\)$")
KEY_RULE = "a data field, or words(FIELD) for its length in words, bucketed"


def word_bucket(text: str) -> str:
    """`<100`, `100-299`, `300-999` or `≥1000` words."""
    n = len(text.split())
    low = 0
    for high in WORD_BUCKETS:
        if n < high:
            return f"<{high}" if low == 0 else f"{low}-{high - 1}"
        low = high
    return f"≥{low}"


def group_value(key: str, fields: Mapping[str, Any], where: str = "") -> str:
    """An example's group under ``key`` (its fields and extra columns merged in ``fields``)."""
    derived = _DERIVED.match(key)
    name = derived["field"] if derived else key
    if name not in fields:
        raise InputError(f"metrics.group_by names {name!r}, which this example does not have",
                         path=where or None, field=name)
    value = fields[name]
    if derived:
        texts = value if isinstance(value, list) else [value]
        return word_bucket(" ".join(str(t) for t in texts))
    if isinstance(value, list | dict):
        raise InputError(f"cannot group by {name!r}: its values are not single values",
                         path=where or None, field=name)
    return str(value)


def qualified(name: str, key: str, group: str) -> str:
    return f"{name}@{key}={group}"


def split_qualified(name: str) -> tuple[str, str | None, str | None]:
    """``accuracy@target=Aramco`` → (accuracy, target, Aramco); plain names → (name, None,
    None). The group may itself contain "=" or "@"; the value name may not."""
    value, at, rest = name.partition("@")
    if not at:
        return name, None, None
    key, eq, group = rest.partition("=")
    if not eq:
        raise InputError(f"expected VALUE@KEY=GROUP, got {name!r}")
    return value, key, group


def aggregate_groups(metrics: Sequence[Metric], records: Sequence[Record],
                     bootstrap: BootstrapConfig, keys: Sequence[str]) -> dict[str, Any]:
    """``{key: {group: {"n", "metrics"}}}``: every family's values on each group's records."""
    from harness.scoring.task_scores import aggregate

    out: dict[str, Any] = {}
    for key in keys:
        members: dict[str, list[Record]] = {}
        for record in records:
            members.setdefault(str((record.get("groups") or {})[key]), []).append(record)
        out[key] = {group: {"n": len(rows),
                            "metrics": aggregate(metrics, rows, bootstrap).values}
                    for group, rows in sorted(members.items())}
    return out


def group_values(report: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Every per-group entry of a report under its qualified name."""
    out: dict[str, dict[str, float | None]] = {}
    for key, groups in (report.get("groups") or {}).items():
        for group, body in groups.items():
            for name, entry in (body.get("metrics") or {}).items():
                out[qualified(name, key, group)] = entry
    return out


def group_records(records: Sequence[Record], key: str, group: str) -> list[int]:
    """Indices of the records in one group."""
    return [i for i, r in enumerate(records) if str((r.get("groups") or {}).get(key)) == group]
