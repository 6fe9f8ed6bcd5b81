"""Deterministic fault injection, for the crash-safety tests (`tests/test_crash_safety.py`) only.

The writers call `crash_point(name)` at the moments where a crash would hurt most:

| point     | where                                                                  |
| --------- | ---------------------------------------------------------------------- |
| `write`   | `store._write_atomically`: the temp Parquet file is complete, not yet renamed |
| `written` | `store._write_atomically`: just after the rename over the final file    |
| `duckdb`  | `warehouse.build_duckdb`: the transaction committed, the file not yet renamed |
| `record`  | `atomic.replacing`: a JSON record (sidecar, batch state, run record, manifest) complete, not yet renamed |
| `stamp`   | `build_stamp.write_stamp`: the build stamp, written after every record of a build, not yet renamed |

Set the environment variable `NHS_LEDGER_CRASH_AT` to a point's name to kill the process
with SIGKILL there (no cleanup, no `finally`, no atexit: what a power cut or the OOM killer
does). `write:7` kills at the 7th time the `write` point is reached in this process;
several specs may be given, comma-separated (`write:7,duckdb`). Each point is counted on its
own, from the start of the process.

A spec may end in `=<fault>` for another fault than SIGKILL at that point:

| fault     | what happens at the point                                                   |
| --------- | --------------------------------------------------------------------------- |
| `kill`    | SIGKILL (the default)                                                       |
| `sigint`  | SIGINT to this process, as Ctrl-C in a terminal sends                        |
| `sigterm` | SIGTERM to this process, as `kill`, systemd or a container runtime sends      |
| `enospc`  | `OSError(ENOSPC)`, as a write to a full disk raises                          |

`NHS_LEDGER_FAULT_TRACE=<file>` appends the name of every point reached, one per line, so a
test can count the writes a build makes before choosing where to kill it.

With neither variable set, `crash_point` is two dictionary look-ups: nothing a user runs is
affected, and nothing here is ever triggered outside a test that asks for it.
"""

from __future__ import annotations

import errno
import os
import signal
from collections import Counter

__all__ = ["CRASH_ENV", "TRACE_ENV", "POINTS", "FAULTS", "crash_point", "parse_spec", "parse_faults", "reset"]

CRASH_ENV = "NHS_LEDGER_CRASH_AT"
TRACE_ENV = "NHS_LEDGER_FAULT_TRACE"
POINTS = ("write", "written", "duckdb", "record", "stamp")
FAULTS = ("kill", "sigint", "sigterm", "enospc")

_reached: Counter[str] = Counter()


def parse_faults(spec: str) -> dict[str, tuple[int, str]]:
    """`"write:7=enospc,duckdb"` -> `{"write": (7, "enospc"), "duckdb": (1, "kill")}`."""
    wanted: dict[str, tuple[int, str]] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        where, _, fault = item.partition("=")
        fault = fault.strip() or "kill"
        if fault not in FAULTS:
            raise ValueError(f"{CRASH_ENV}: unknown fault {fault!r} in {item!r}; known: {', '.join(FAULTS)}")
        name, _, count = where.partition(":")
        name = name.strip()
        if name not in POINTS:
            raise ValueError(f"{CRASH_ENV}: unknown crash point {name!r}; known: {', '.join(POINTS)}")
        try:
            occurrence = int(count) if count.strip() else 1
        except ValueError:
            raise ValueError(f"{CRASH_ENV}: {item!r} is not <point>[:<occurrence>][=<fault>]") from None
        if occurrence < 1:
            raise ValueError(f"{CRASH_ENV}: occurrences count from 1, got {item!r}")
        wanted[name] = (occurrence, fault)
    return wanted


def parse_spec(spec: str) -> dict[str, int]:
    """`"write:7,duckdb"` -> `{"write": 7, "duckdb": 1}`: the occurrence of each point to crash at."""
    return {name: occurrence for name, (occurrence, _) in parse_faults(spec).items()}


def crash_point(name: str, path: str | os.PathLike | None = None) -> None:
    """Inject the fault `NHS_LEDGER_CRASH_AT` names for this occurrence of `name` (`path`: the file being written,
    for the error a full disk raises)."""
    spec = os.environ.get(CRASH_ENV)
    trace = os.environ.get(TRACE_ENV)
    if not spec and not trace:
        return
    _reached[name] += 1
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    occurrence, fault = parse_faults(spec).get(name, (0, "")) if spec else (0, "")
    if occurrence != _reached[name]:
        return
    if fault == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path) if path is not None else None)
    os.kill(os.getpid(), {"kill": signal.SIGKILL, "sigint": signal.SIGINT, "sigterm": signal.SIGTERM}[fault])


def reset() -> None:
    """Forget the points reached so far (for tests that call crash_point in-process)."""
    _reached.clear()
