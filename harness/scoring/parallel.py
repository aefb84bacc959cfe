"""Ordered parallel map for scoring: this process plus forked children, or this process alone.

Scoring is pure CPU work on small items, so fixed costs decide the speed-up: starting
processes, moving items and results, and (after a fork) copy-on-write page faults, which are
expensive under virtualization. Measured side by side on two cores
(`benchmarks/parallel_scoring.py`), children forked *after* the batch exists, reading it from
their copy of memory, pay best: 1.4-1.5x on 1,000 ANT-BBC pairs and 1.8x on 5,000 while a core
is idle; below ~50 ms of work the gain is small, and a loss when other work holds that core. A
process pool is slower at every size, and workers started by forkserver or spawn (which
re-import the program) are 3-100x slower at every size measured. Hence:

* Fork only where it is safe (`fork_is_safe`) and for enough work (`decide_processes`);
  otherwise everything runs in this process.
* Every process, this one included, claims the next chunk from a shared counter (chunks
  shrink as the batch runs out, so all finish together); each child sends its results once.
* A stream is cut into blocks of `BLOCK_SIZE` items, each a batch, so memory stays bounded.

Results come back in input order, and an error in any process fails the call.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ChunkFn = Callable[[Sequence[T]], list[R]]

# Items per chunk: large enough to amortize a claim, small enough to bound memory.
CHUNK_SIZE = 128
# Smallest chunk a batch's tail is cut into: about a millisecond of scoring.
MIN_CHUNK_SIZE = 16
# Items of a stream held (and forked over) at a time: ~0.5 s of ROUGE on one core.
BLOCK_SIZE = 4096
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


def ordered_map(fn: ChunkFn[T, R], items: Iterable[T], processes: int) -> Iterator[R]:
    """Yield ``fn``'s result for every item, in input order, on up to ``processes`` processes.

    ``fn`` maps a chunk of items to one result per item; children inherit it (nothing is
    pickled but their results). Where fork is unsafe, everything runs in this process.
    """
    if processes > 1 and fork_is_safe():
        if isinstance(items, Sequence):
            yield from fork_map(fn, items, processes)
        else:
            for block in _chunks(iter(items), BLOCK_SIZE):
                yield from fork_map(fn, block, processes)
    else:
        for chunk in _chunks(iter(items), CHUNK_SIZE):
            yield from fn(chunk)


def _chunks(items: Iterator[T], size: int) -> Iterator[list[T]]:
    """Lazily cut a stream into lists, never holding more than one chunk."""
    while chunk := list(islice(items, size)):
        yield chunk


def _guided_size(remaining: int, processes: int) -> int:
    """Chunk size as a share of what is left (big chunks first, small ones at the end)."""
    return max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, remaining // (4 * processes)))


# ---------------------------------------------------------------------------------------
# Forked children sharing a batch, claiming chunks from a shared counter


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

    children: list[tuple[BaseProcess, Connection]] = []
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
            process: BaseProcess = context.Process(target=child, args=(sender,), daemon=True)
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


def decide_processes(
    items: Iterable[T], processes: int | None, min_work: int, work: Callable[[T], int]
) -> tuple[Iterable[T], int]:
    """Resolve ``processes=None``: every core once the items' ``work`` adds up to
    ``min_work`` (below that, starting processes costs more than it saves), else 1.

    A stream is buffered only until that is decided; the returned iterable yields it all.
    """
    if processes is not None:
        return items, processes
    total = 0
    if isinstance(items, Sequence):
        for item in items:
            total += work(item)
            if total >= min_work:
                break
    else:
        stream = iter(items)
        head: list[T] = []
        for item in stream:
            head.append(item)
            total += work(item)
            if total >= min_work:
                break
        items = chain(head, stream)
    cores = available_cores()
    return items, cores if total >= min_work and cores > 1 else 1
