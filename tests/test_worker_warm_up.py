"""Worker processes started ahead of a job (`parallel.warm_up`, `build.warm_workers`) are the ones the job uses."""

from __future__ import annotations

import os

import pytest

from pipeline import parallel
from pipeline.batches import BatchStatus, Plan
from pipeline.build import WORKER_MODULES, warm_workers


def _pid(_item) -> int:
    return os.getpid()


def _imported(names: tuple[str, ...]) -> list[bool]:
    import sys

    return [name in sys.modules for name in names]


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    parallel.shutdown()
    yield
    parallel.shutdown()


def _plan(files: int) -> Plan:
    return Plan(batches=[BatchStatus("2025-06", tuple(range(files)), "run_x", None, "new")])


def test_warmed_workers_have_imported_the_modules_and_serve_the_next_job(two_workers):
    parallel.warm_up(WORKER_MODULES)
    pool = parallel._get_pool()
    started = set((pool._processes or {}).keys())
    assert len(started) == 2
    imported = list(parallel.ordered_map(_imported, [WORKER_MODULES] * 4, parallel=True))
    assert imported == [[True] * len(WORKER_MODULES)] * 4
    served = set(parallel.ordered_map(_pid, range(8), parallel=True))
    assert served <= started


def test_a_plan_worth_workers_starts_them_and_a_small_one_does_not(two_workers):
    warm_workers(_plan(parallel.MIN_PARALLEL_ITEMS - 1))
    assert parallel._pool is None
    warm_workers(_plan(parallel.MIN_PARALLEL_ITEMS))
    assert parallel._pool is not None and len(parallel._pool._processes or {}) == 2


def test_no_workers_are_started_when_parallelism_is_off(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    parallel.shutdown()
    parallel.warm_up(WORKER_MODULES)
    assert parallel._pool is None
