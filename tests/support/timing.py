"""Guards against catastrophic backtracking that a busy machine cannot fail.

A recogniser that backtracks takes time that grows faster than its input; a shared machine only makes every
run slower now and then. So a run over the budget is not itself the fault: the same work on half the input
tells the two apart (linear work takes about half as long, quadratic a quarter, catastrophic far less).
Speed itself is the benchmark's to judge (`make bench`).
"""

from __future__ import annotations

import time
from typing import Callable

BUDGET_SECONDS = 1.0
# Doubling the input may at most triple the time: linear work doubles it, quadratic quadruples it.
GROWTH_LIMIT = 3.0


def cpu_seconds(run: Callable[[str], object], text: str) -> float:
    """The lower of two runs' CPU time: a neighbour's burst inflates one run, rarely both."""
    times = []
    for _ in range(2):
        started = time.process_time()
        run(text)
        times.append(time.process_time() - started)
    return min(times)


def superlinear(run: Callable[[str], object], text: str, budget: float = BUDGET_SECONDS) -> tuple[float, float] | None:
    """None when `run(text)` is within `budget` or its time grows no faster than its input; else (time on half the
    text, time on all of it). Patterns compile on a first small call, outside the timing."""
    run(text[:100])
    elapsed = cpu_seconds(run, text)
    if elapsed <= budget:
        return None
    half = cpu_seconds(run, text[: len(text) // 2])
    return None if elapsed <= GROWTH_LIMIT * max(half, 0.01) else (round(half, 2), round(elapsed, 2))
