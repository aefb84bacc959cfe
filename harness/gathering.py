"""`gather_or_cancel`: `asyncio.gather` that leaves nothing running when one call fails.

A plain gather re-raises the first failure while the other calls keep running; when that
failure stops the run (a refused server, a bad key), the caller closes the adapter and its
response cache under them, and they fail later on a closed database during shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def gather_or_cancel(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Every call's result in order; when one raises, the others are cancelled and awaited
    before the exception propagates."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
