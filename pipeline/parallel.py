"""Fan pure, CPU-bound work out to worker processes and take the results back in order.

Reading pages and extracting facts cost milliseconds per article and depend on nothing but
the article, so a build spreads them over the machine's cores. Only the computation moves:
the workers read nothing from and write nothing to the warehouse (the caller does, in order,
in its own process), so the crash-safety points, the order of writes and every output byte
are the same as with no workers at all.

`NHS_LEDGER_WORKERS` sets how many processes work (default: the cores this process may use;
`1` turns parallelism off). Small jobs run in this process: starting a worker costs about a
second of imports, more than a few hundred articles take to process.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

__all__ = ["WORKERS_ENV", "MIN_PARALLEL_ITEMS", "worker_count", "use_workers", "ordered_map", "chunks",
           "pieces_per_job", "warm_up", "shutdown", "terminate"]

WORKERS_ENV = "NHS_LEDGER_WORKERS"
# Below this many articles (or input files) a job runs in this process: see the module docstring.
MIN_PARALLEL_ITEMS = 400

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def worker_count() -> int:
    """How many processes may work at once: NHS_LEDGER_WORKERS, else the cores this process may run on."""
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a whole number of processes, not {setting!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def use_workers(items: int) -> bool:
    """Whether a job of `items` articles or files is worth worker processes."""
    return worker_count() > 1 and items >= MIN_PARALLEL_ITEMS


def pieces_per_job(jobs: int, parallel: bool) -> int:
    """Into how many pieces to cut each of `jobs` batches: with fewer batches than workers, enough for every
    worker to have some; otherwise whole batches (fewer, larger pieces cost less to hand out)."""
    return -(-worker_count() // jobs) if parallel and jobs else 1


def chunks(count: int, pieces: int) -> list[tuple[int, int]]:
    """[start, stop) ranges cutting `count` items into at most `pieces` nearly equal, non-empty runs."""
    pieces = max(1, min(pieces, count))
    size, extra = divmod(count, pieces)
    ranges, start = [], 0
    for i in range(pieces):
        stop = start + size + (1 if i < extra else 0)
        ranges.append((start, stop))
        start = stop
    return ranges


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, parallel: bool) -> Iterator[R]:
    """`map(fn, items)`, computed by the worker processes when `parallel`, yielded in the order of `items`.

    At most two items per worker are handed out ahead of the one being yielded, so memory holds a few results,
    never the whole job; `items` is consumed lazily (it may read its inputs as it goes). `fn` must be a
    module-level function and its arguments and results picklable. An exception in a worker is raised here,
    at its item.
    """
    if not parallel:
        yield from map(fn, items)
        return
    pool = _get_pool()
    window = 2 * _pool_size
    pending: deque[Future] = deque()
    source = iter(items)
    try:
        for item in source:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            for item in source:
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for future in pending:  # the caller stopped early or an item failed: drop the work not yet started
            future.cancel()


def warm_up(modules: Iterable[str]) -> None:
    """Start the worker processes now, each importing `modules`, without waiting for them: a job that follows
    finds them ready, their start (about a second of imports each) spent while this process does other work."""
    if worker_count() <= 1:
        return
    pool = _get_pool()
    for _ in range(_pool_size):
        pool.submit(_import_modules, tuple(modules))


def _import_modules(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def _get_pool() -> ProcessPoolExecutor:
    """One pool per process, started on first use and reused by every stage of the build."""
    global _pool, _pool_size
    size = worker_count()
    # A worker that died (killed, out of memory) breaks its pool for good: the next job starts a new one.
    if _pool is None or _pool_size != size or getattr(_pool, "_broken", False):
        shutdown()
        # Spawned, not forked: the parent runs Dagster's and polars' threads, and a fork copies their locks in
        # whatever state they are.
        _pool = ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_work_for, initargs=(os.getpid(),))
        _pool_size = size
    return _pool


def _work_for(parent: int) -> None:
    """A worker's start: it ends with the process that started it, however that ends (on Linux the kernel kills
    it when its parent dies, SIGKILL included), and leaves Ctrl-C to its parent, which ends the workers itself
    (a worker stopped by the terminal's SIGINT would print a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def terminate() -> None:
    """End the workers now, dropping their work (an interrupt): they write nothing, so nothing is lost."""
    global _pool, _pool_size
    if _pool is not None:
        for process in list((getattr(_pool, "_processes", None) or {}).values()):
            process.terminate()
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool, _pool_size = None, 0


def shutdown() -> None:
    """Stop the workers (at exit, or when the number of workers asked for changes)."""
    global _pool, _pool_size
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _pool_size = None, 0


atexit.register(shutdown)
