"""Progress display for runs: one bar per (task, model) with done/failed/cached and tokens."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

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
    """Live progress bars, redrawn by rich's refresh thread.

    While that thread runs, scoring stays in this process (forking is unsafe with threads,
    `harness.scoring.parallel`). That costs little: a run's ROUGE batch is small (MArSum's 983
    headlines take ~60 ms on one core), and `harness run marsum_headlines` took 0.65 s in one
    process against 0.67 s with forked scoring.
    """

    def __init__(self, console: Console) -> None:
        # counts and elapsed time keep their width; the texts fold (never cut) on narrow terminals
        self._progress = Progress(
            TextColumn("{task.description}", table_column=Column(ratio=2, overflow="fold")),
            BarColumn(bar_width=12),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}", table_column=Column(ratio=3, overflow="fold")),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def bar(self, description: str) -> RunBar:
        return RunBar(self._progress, description)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
