"""Progress of long work, reported by the engine and shown by whoever listens.

Engine stages call `report(stage, done, total)`; nothing listens by default (a
Dagster UI run has its own event log), and the CLI listens with
`terminal_progress()`, which draws one bar with counts per stage on stderr.
A process-wide listener fits because assets run in the CLI's own process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ProgressFn = Callable[[str, int, int], None]

_listener: ProgressFn | None = None


def report(stage: str, done: int, total: int) -> None:
    if _listener is not None:
        _listener(stage, done, total)


@contextmanager
def terminal_progress(stream=None) -> Iterator[None]:
    """Draw a tqdm bar per stage while the block runs."""
    from tqdm import tqdm

    global _listener
    bars: dict[str, tqdm] = {}

    def listen(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"{stage:<18}", unit="", file=stream or sys.stderr,
                                     leave=True, dynamic_ncols=True, mininterval=0.2)
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    previous, _listener = _listener, listen
    try:
        yield
    finally:
        _listener = previous
        for bar in bars.values():
            bar.close()
