"""Ordered parallel map over chunks of items, on this process and ``processes - 1`` others.

Scoring is pure CPU work on small items, so the costs that decide the speed-up are fixed
ones: starting processes, moving items and results between them, and (on Linux, after a
fork) copy-on-write page faults, which are expensive under virtualization. Two ways, by
what is safe here:

* `fork_map`, for an in-memory batch where fork is safe: children are forked *after* the
  batch exists, so they read it from their copy of memory and nothing is sent to them. Every
  process, this one included, claims the next chunk from a shared counter (chunks shrink as
  the batch runs out, so all finish together); each child sends its results once, at the end.
* `pool_map`, for a stream or where fork is unsafe: a `ProcessPoolExecutor` fed chunk by
  chunk in bounded memory, with this process scoring a chunk itself whenever the workers
  already hold two each.

Either way results come back in input order, and an error in any process fails the call.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ChunkFn = Callable[[Sequence[T]], list[R]]

# Items per chunk: large enough to amortize a round trip, small enough to bound memory.
CHUNK_SIZE = 128
# Smallest chunk a batch's tail is cut into: about a millisecond of scoring.
MIN_CHUNK_SIZE = 16
# Seconds to wait for the claim lock before concluding that its holder was killed.
LOCK_TIMEOUT = 30.0


def available_cores() -> int:
    """CPU cores this process may run on (affinity-aware where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """Fork copies only the calling thread: a lock another thread holds at that moment
    stays locked forever in the child, so fork only while this is the sole thread, and
    never on macOS, whose system libraries start threads of their own (Python's default
    there is spawn for that reason)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and sys.platform != "darwin"
        and threading.active_count() == 1
    )


def ordered_map(
    fn: ChunkFn[T, R], items: Iterable[T], processes: int, total: int | None = None
) -> Iterator[R]:
    """Yield ``fn``'s result for every item, in input order, using ``processes`` processes.

    ``fn`` maps a chunk of items to one result per item; it must be picklable (a module-level
    function or a `functools.partial` of one) for worker processes. ``total``: the number of
    items, if known (a `Sequence`'s length is used otherwise).
    """
    if processes == 1:
        for chunk in _chunks(iter(items), CHUNK_SIZE):
            yield from fn(chunk)
    elif isinstance(items, Sequence) and fork_is_safe():
        yield from fork_map(fn, items, processes)
    else:
        if total is None and isinstance(items, Sequence):
            total = len(items)
        for results in pool_map(fn, iter(items), processes, total):
            yield from results


def _chunks(items: Iterator[T], size: int) -> Iterator[list[T]]:
    """Lazily cut a stream into lists, never holding more than one chunk."""
    while chunk := list(islice(items, size)):
        yield chunk


def _guided_size(remaining: int, processes: int) -> int:
    """Chunk size as a share of what is left (big chunks first, small ones at the end)."""
    return max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, remaining // (4 * processes)))


# ---------------------------------------------------------------------------------------
# In-memory batches: forked children, shared counter


def fork_map(fn: ChunkFn[T, R], items: Sequence[T], processes: int) -> Iterator[R]:
    """`ordered_map` of a batch by this process and ``processes - 1`` forked children.

    Results are yielded once every process has sent its share; the children are joined only
    when the caller has taken them all, so their exit overlaps with the caller's work.
    """
    if not items:
        return
    context = multiprocessing.get_context("fork")
    lock = context.Lock()
    claimed = context.RawValue("q", 0)  # items handed out so far

    total = len(items)

    def claim() -> tuple[int, int]:
        """The next chunk ``[start, stop)``; empty once the whole batch is handed out."""
        # The critical section takes microseconds: a holder gone for long was killed.
        if not lock.acquire(timeout=LOCK_TIMEOUT):
            raise RuntimeError("a worker process died while claiming work")
        try:
            start = claimed.value
            stop = min(start + _guided_size(total - start, processes), total)
            claimed.value = max(start, stop)
        finally:
            lock.release()
        return start, stop

    def claims() -> Iterator[tuple[int, int]]:
        while (chunk := claim())[0] < chunk[1]:
            yield chunk

    def child(sender: Connection) -> None:
        gc.freeze()  # a full collection here would touch, hence copy, every inherited page
        try:
            outcome: Any = [(start, fn(items[start:stop])) for start, stop in claims()]
        except BaseException as exc:  # report, never hang the parent
            outcome = _portable(exc)
        sender.send(outcome)
        sender.close()

    children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    results: list[Any] = [None] * total
    failed = True
    # The same holds for this process while children share its pages (unless the caller
    # manages frozen objects already).
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        for _ in range(processes - 1):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=child, args=(sender,), daemon=True)
            process.start()
            sender.close()
            children.append((process, receiver))
        for start, stop in claims():
            results[start:stop] = fn(items[start:stop])
        for process, receiver in children:
            try:
                outcome = receiver.recv()
            except EOFError:
                process.join()
                code = process.exitcode
                raise RuntimeError(f"a worker process died (exit code {code})") from None
            if isinstance(outcome, BaseException):
                raise outcome
            for start, values in outcome:
                results[start : start + len(values)] = values
        failed = False
        yield from results
    finally:
        if failed:
            claimed.value = total  # nothing more for anyone
        for process, receiver in children:
            receiver.close()
            if failed:
                process.terminate()
            process.join()
        if freeze:
            gc.unfreeze()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError carrying its traceback."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError("".join(traceback.format_exception(exc)))
    return exc


# ---------------------------------------------------------------------------------------
# Streams, or where fork is unsafe: a process pool fed chunk by chunk

_INSTALLED: Callable[[Sequence[Any]], list[Any]] | None = None


def _install(fn: Callable[[Sequence[Any]], list[Any]]) -> None:
    """Ship the chunk function once per worker rather than with every chunk."""
    global _INSTALLED
    _INSTALLED = fn


def _run_installed(chunk: Sequence[Any]) -> list[Any]:
    """Run the installed chunk function inside a worker process."""
    assert _INSTALLED is not None, "worker not initialized"
    return _INSTALLED(chunk)


def pool_map(
    fn: ChunkFn[T, R], items: Iterator[T], processes: int, total: int | None
) -> Iterator[list[R]]:
    """Chunk results in order from ``processes - 1`` pool workers plus this process.

    Whenever the workers already hold two chunks each, this process scores the next chunk
    itself, so the workers stay fed and the split follows their speed. At most
    ``4 * processes`` chunks are held, so memory stays bounded. ``total`` (if known) lets
    chunks shrink as the batch runs out, so everyone finishes together.
    """
    workers = processes - 1
    context = multiprocessing.get_context(_pool_start_method())
    with ProcessPoolExecutor(workers, context, initializer=_install, initargs=(fn,)) as pool:
        pending: deque[Future[list[R]] | list[R]] = deque()
        remaining = total
        while True:
            size = CHUNK_SIZE if remaining is None else _guided_size(remaining, processes)
            chunk = list(islice(items, size))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            busy = sum(1 for item in pending if isinstance(item, Future) and not item.done())
            if busy < 2 * workers:
                pending.append(pool.submit(_run_installed, chunk))
            else:
                pending.append(fn(chunk))
            while pending and (
                len(pending) >= 4 * processes
                or not isinstance(pending[0], Future)
                or pending[0].done()
            ):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _pool_start_method() -> str:
    """Fork where it is safe (workers start in milliseconds), else a fresh interpreter."""
    if fork_is_safe():
        return "fork"
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def _result(item: Future[list[R]] | list[R]) -> list[R]:
    """A chunk's results, whether a worker or this process scored it."""
    return item.result() if isinstance(item, Future) else item


def decide_processes(
    items: Iterable[T], processes: int | None, threshold: int
) -> tuple[Iterable[T], int]:
    """Resolve ``processes=None``: every core once more than ``threshold`` items arrive.

    A stream's first items are buffered to decide; the returned iterable yields them again.
    """
    if processes is not None:
        return items, processes
    if isinstance(items, Sequence):
        many = len(items) > threshold
    else:
        stream = iter(items)
        head = list(islice(stream, threshold + 1))
        many = len(head) > threshold
        items = chain(head, stream)
    cores = available_cores()
    return items, cores if many and cores > 1 else 1
