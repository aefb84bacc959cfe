"""`harness.scoring.parallel`: results in input order from every process, failures surface.

Chunk functions tell this process from its children by pid (`_PARENT` keeps this
process's pid in forked children too), so each test can decide where work or errors land.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence

import pytest

from harness.scoring import parallel
from harness.scoring.parallel import decide_processes, fork_map, ordered_map

_PARENT = os.getpid()

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="fork start method only"
)


def _squares(chunk: Sequence[int]) -> list[int]:
    return [x * x for x in chunk]


def _slow_pids(chunk: Sequence[int]) -> list[tuple[int, int]]:
    """Slow enough per chunk that every process gets some of the batch."""
    time.sleep(0.002)
    return [(os.getpid(), x) for x in chunk]


_MET: set[int] = set()  # processes that have passed the barrier (per process after a fork)
_BARRIER: list[threading.Barrier] = []  # set by the test before forking; inherited


def _pids_after_all_started(chunk: Sequence[int]) -> list[tuple[int, int]]:
    """Each process's first chunk waits until every process holds one, so the test shows the
    batch shared however late a loaded machine starts the children."""
    if os.getpid() not in _MET:
        _MET.add(os.getpid())
        _BARRIER[0].wait(timeout=30)
    return [(os.getpid(), x) for x in chunk]


def _fail_in_child(chunk: Sequence[int]) -> list[int]:
    if os.getpid() != _PARENT:
        raise ValueError(f"bad item near {chunk[0]}")
    time.sleep(0.002)  # leave the children time to claim chunks
    return list(chunk)


class _Unpicklable(Exception):
    """An error that cannot travel back from a child (it holds a lock)."""

    def __init__(self) -> None:
        super().__init__("holds a lock")
        self.lock = threading.Lock()


def _unpicklable_in_child(chunk: Sequence[int]) -> list[int]:
    if os.getpid() != _PARENT:
        raise _Unpicklable()
    time.sleep(0.002)
    return list(chunk)


def _die_in_child(chunk: Sequence[int]) -> list[int]:
    if os.getpid() != _PARENT:
        os._exit(7)
    time.sleep(0.002)
    return list(chunk)


def _fail_in_parent(chunk: Sequence[int]) -> list[int]:
    if os.getpid() == _PARENT:
        raise KeyError("parent side")
    time.sleep(0.05)
    return list(chunk)


@needs_fork
@pytest.mark.parametrize("processes", [2, 3])
def test_fork_map_equals_serial_in_order(processes: int) -> None:
    items = list(range(2_001))
    assert list(fork_map(_squares, items, processes)) == _squares(items)


@needs_fork
def test_empty_batch_starts_nothing() -> None:
    assert list(fork_map(_squares, [], 3)) == []
    assert list(ordered_map(_squares, [], 2)) == []
    assert not multiprocessing.active_children()


@needs_fork
def test_fork_map_shares_the_batch_between_processes() -> None:
    _BARRIER[:] = [multiprocessing.get_context("fork").Barrier(3)]
    got = list(fork_map(_pids_after_all_started, list(range(600)), 3))
    assert [x for _, x in got] == list(range(600))
    pids = {pid for pid, _ in got}
    assert _PARENT in pids
    assert len(pids) == 3
    assert not multiprocessing.active_children()


@needs_fork
def test_child_error_is_raised_here() -> None:
    with pytest.raises(ValueError, match="bad item near"):
        list(fork_map(_fail_in_child, list(range(600)), 2))
    assert not multiprocessing.active_children()


@needs_fork
def test_unpicklable_child_error_keeps_its_traceback() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: holds a lock"):
        list(fork_map(_unpicklable_in_child, list(range(600)), 2))


@needs_fork
def test_child_that_dies_fails_the_call() -> None:
    with pytest.raises(RuntimeError, match=r"worker process died \(exit code 7\)"):
        list(fork_map(_die_in_child, list(range(600)), 2))
    assert not multiprocessing.active_children()


@needs_fork
def test_error_here_stops_the_children() -> None:
    start = time.perf_counter()
    with pytest.raises(KeyError, match="parent side"):
        list(fork_map(_fail_in_parent, list(range(10_000)), 3))
    assert not multiprocessing.active_children()
    # The children were stopped, not waited for (their 10,000 items would take seconds).
    assert time.perf_counter() - start < 5


@needs_fork
def test_a_stream_is_forked_over_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "BLOCK_SIZE", 300)
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: True)  # other tests' threads aside
    got = list(ordered_map(_slow_pids, iter(range(1_000)), 2))
    assert [x for _, x in got] == list(range(1_000))
    assert {pid for pid, _ in got} - {_PARENT}  # children scored part of it


def test_with_threads_running_everything_runs_here() -> None:
    """Forking while another thread may hold a lock is unsafe: nothing is forked then."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.fork_is_safe()
        got = list(ordered_map(_slow_pids, list(range(700)), 2))
        assert got == [(_PARENT, x) for x in range(700)]
    finally:
        stop.set()
        thread.join()


def test_decide_processes() -> None:
    cores = parallel.available_cores()
    many = cores if cores > 1 else 1
    assert decide_processes([1, 2, 3], None, 6, int)[1] == many  # work adds up to 6
    assert decide_processes([1, 2], None, 6, int)[1] == 1
    assert decide_processes([1, 2], 3, 6, int)[1] == 3
    stream, processes = decide_processes(iter(range(5)), None, 3, int)
    assert processes == many
    assert list(stream) == list(range(5))  # the buffered head is not lost


@needs_fork
def test_gc_freeze_is_undone_and_a_callers_is_kept() -> None:
    """Objects are frozen while children share this process's pages, and only then."""
    assert gc.get_freeze_count() == 0
    results = fork_map(_squares, list(range(500)), 2)
    assert next(results) == 0
    assert gc.get_freeze_count() > 0  # children have sent everything; not yet joined
    results.close()
    assert gc.get_freeze_count() == 0
    assert not multiprocessing.active_children()
    gc.freeze()
    try:
        assert list(fork_map(_squares, list(range(500)), 2)) == _squares(range(500))
        assert gc.get_freeze_count() > 0  # the caller's frozen objects stay frozen
    finally:
        gc.unfreeze()
