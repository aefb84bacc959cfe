"""Progress display for runs: one bar per (task, model) with done/failed/cached and tokens."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.adapters.base import Response


class RunBar:
    """Counts responses for one run and shows them on its progress line."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self._id = progress.add_task(description, total=None, stats="")
        self.failed = self.cached = self.tokens = 0

    def start(self, total: int) -> None:
        self._progress.update(self._id, total=total)

    def advance(self, response: Response) -> None:
        self.failed += response.error is not None
        self.cached += response.cached
        self.tokens += (response.prompt_tokens or 0) + (response.completion_tokens or 0)
        stats = f"failed {self.failed} · cached {self.cached} · tokens {self.tokens}"
        self._progress.update(self._id, advance=1, stats=stats)


class RunProgress:
    """Live progress bars, redrawn by an asyncio task rather than rich's refresh thread.

    The process then stays single-threaded, so scoring can fork worker processes safely
    (`harness.scoring.parallel`); with a refresh thread alive it would have to start fresh
    interpreters instead, about a second per scored run.
    """

    REFRESH_SECONDS = 0.1

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            auto_refresh=False,
        )
        self._ticker: asyncio.Task[None] | None = None

    def bar(self, description: str) -> RunBar:
        return RunBar(self._progress, description)

    async def _tick(self) -> None:
        while True:
            self._progress.refresh()
            await asyncio.sleep(self.REFRESH_SECONDS)

    async def __aenter__(self) -> RunProgress:
        self._progress.start()
        self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        self._progress.refresh()
        self._progress.stop()
