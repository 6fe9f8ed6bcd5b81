"""Deterministic fault injection, for the crash-safety tests (`tests/test_crash_safety.py`) only.

The writers call `crash_point(name)` at the moments where a crash would hurt most:

| point     | where                                                                  |
| --------- | ---------------------------------------------------------------------- |
| `write`   | `store._write_atomically`: the temp Parquet file is complete, not yet renamed |
| `written` | `store._write_atomically`: just after the rename over the final file    |
| `duckdb`  | `warehouse.build_duckdb`: the transaction committed, the file not yet renamed |

Set the environment variable `NHS_LEDGER_CRASH_AT` to a point's name to kill the process
with SIGKILL there (no cleanup, no `finally`, no atexit: what a power cut or the OOM killer
does). `write:7` kills at the 7th time the `write` point is reached in this process;
several specs may be given, comma-separated (`write:7,duckdb`). Each point is counted on its
own, from the start of the process.

`NHS_LEDGER_FAULT_TRACE=<file>` appends the name of every point reached, one per line, so a
test can count the writes a build makes before choosing where to kill it.

With neither variable set, `crash_point` is two dictionary look-ups: nothing a user runs is
affected, and nothing here is ever triggered outside a test that asks for it.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["CRASH_ENV", "TRACE_ENV", "POINTS", "crash_point", "parse_spec", "reset"]

CRASH_ENV = "NHS_LEDGER_CRASH_AT"
TRACE_ENV = "NHS_LEDGER_FAULT_TRACE"
POINTS = ("write", "written", "duckdb")

_reached: Counter[str] = Counter()


def parse_spec(spec: str) -> dict[str, int]:
    """`"write:7,duckdb"` -> `{"write": 7, "duckdb": 1}`: the occurrence of each point to crash at."""
    wanted: dict[str, int] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, count = item.partition(":")
        name = name.strip()
        if name not in POINTS:
            raise ValueError(f"{CRASH_ENV}: unknown crash point {name!r}; known: {', '.join(POINTS)}")
        try:
            occurrence = int(count) if count.strip() else 1
        except ValueError:
            raise ValueError(f"{CRASH_ENV}: {item!r} is not <point>[:<occurrence>]") from None
        if occurrence < 1:
            raise ValueError(f"{CRASH_ENV}: occurrences count from 1, got {item!r}")
        wanted[name] = occurrence
    return wanted


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL if `NHS_LEDGER_CRASH_AT` names this occurrence of `name`."""
    spec = os.environ.get(CRASH_ENV)
    trace = os.environ.get(TRACE_ENV)
    if not spec and not trace:
        return
    _reached[name] += 1
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    if spec and parse_spec(spec).get(name) == _reached[name]:
        os.kill(os.getpid(), signal.SIGKILL)


def reset() -> None:
    """Forget the points reached so far (for tests that call crash_point in-process)."""
    _reached.clear()
