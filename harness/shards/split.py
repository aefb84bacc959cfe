"""Which shard an example belongs to: a hash of its id, so the split is the same on every
machine and does not move when the data file's rows are reordered."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.errors import InputError

T = TypeVar("T")
_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str, field: str = "--shard") -> Shard:
        match = _FORM.match(text)
        if not match:
            raise InputError(f"expected I/N (e.g. 1/4), got {text!r}", field=field)
        index, count = int(match[1]), int(match[2])
        if not 1 <= index <= count:
            raise InputError(f"shard {index}/{count}: need 1 <= I <= N", field=field)
        return cls(index, count)

    def holds(self, example_id: str) -> bool:
        return shard_of(example_id, self.count) == self.index

    def select(self, examples: Sequence[T], ids: Sequence[str]) -> list[T]:
        """The examples (given with their ids) that fall in this shard, in their order."""
        return [e for e, i in zip(examples, ids, strict=True) if self.holds(i)]

    def describe(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "method": "sha256(id) mod count"}


def shard_of(example_id: str, count: int) -> int:
    """The 1-based shard of an example id among `count` shards."""
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1
