"""One writer at a time: the exclusive lock every command that writes a warehouse holds while it writes.

The lock is `fcntl.flock` on `<warehouse>/.nhs_ledger.lock`. The operating system drops it when the holding
process ends, however it ends (a `kill -9` and a power cut included), so a lock is never stale and nothing
has to be cleaned up by hand. The holder writes who it is into the file (pid, host, command, start time) so
that a second writer can say who it waits for; the file's content is only read while the lock is held by
someone, so it always names the current holder.

Within one process the lock is reentrant: a `build` the CLI runs holds it, and the Dagster executor of the
same process, asked for it again, counts one more holding. Processes the holder starts (Dagster's step
processes, the extraction workers) inherit it through `HELD_ENV`, which carries the holder's token: a child
whose token is the one in the lock file, while the lock is held, works under its parent's lock. Readers
never take it (a reader sees whole files: every write is a rename; see `pipeline.warehouse.store`).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["LOCK_FILE", "HELD_ENV", "EXIT_LOCKED", "Holder", "WarehouseLocked", "WarehouseUnwritable",
           "hold", "holder_of", "command_line"]

LOCK_FILE = ".nhs_ledger.lock"
HELD_ENV = "NHS_LEDGER_LOCK_TOKEN"
# What a writer that found the lock taken exits with: EX_TEMPFAIL of sysexits.h, "try again later".
EXIT_LOCKED = 75
# How often a waiting writer tries again, and says it is still waiting.
_POLL_SECONDS = 0.2
_PROGRESS_SECONDS = 10.0


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    command: str
    started: str  # ISO 8601, UTC, to the second
    token: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.command}), since {self.started}"


class WarehouseLocked(Exception):
    """Another process holds the warehouse's lock."""

    def __init__(self, warehouse: Path, holder: Holder | None):
        self.warehouse, self.holder = warehouse, holder
        who = holder.describe() if holder else "another process (it has not yet said which)"
        super().__init__(f"warehouse {warehouse} is locked by {who}; wait for it, or run again with --wait")


class WarehouseUnwritable(Exception):
    """The warehouse folder cannot be written (read-only, no permission): nothing was changed."""


def command_line() -> str:
    """This process's command as a user typed it, short: `nhs-ledger build --raw raw`."""
    words = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    if words[0] in ("__main__.py", "-m", "-c"):
        words[0] = "nhs-ledger"
    return " ".join(words)[:200]


@dataclass
class _Held:
    fd: int
    count: int
    holder: Holder


_held: dict[Path, _Held] = {}


def holder_of(warehouse: Path) -> Holder | None:
    """Who holds the warehouse's lock now, or None when nobody does."""
    path = Path(warehouse).resolve() / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def hold(warehouse: Path, command: str | None = None, *, wait: float | None = 0,
         progress: Callable[[str], None] | None = None) -> Iterator[Holder]:
    """Hold the warehouse's exclusive lock for the `with` block.

    `wait`: seconds to wait for a holder to let go (None: as long as it takes; 0: not at all). When the time is
    up, `WarehouseLocked` names the holder. `progress` is told, when the wait starts and every ten seconds, who
    holds the lock and since when. A folder that cannot be written raises `WarehouseUnwritable`.
    """
    warehouse = Path(warehouse).resolve()
    held = _held.get(warehouse)
    if held is not None:  # this process holds it already: the CLI's build running the Dagster job
        held.count += 1
        try:
            yield held.holder
        finally:
            held.count -= 1
        return
    inherited = _inherited(warehouse)
    if inherited is not None:  # the process that started this one holds it
        yield inherited
        return
    fd = _open_lock_file(warehouse)
    try:
        _acquire(fd, warehouse, wait, progress)
        holder = Holder(os.getpid(), socket.gethostname(), command or command_line(),
                        datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), uuid.uuid4().hex)
        _write_holder(fd, holder)
        _held[warehouse] = _Held(fd, 1, holder)
        previous_token = os.environ.get(HELD_ENV)
        os.environ[HELD_ENV] = holder.token
        try:
            yield holder
        finally:
            del _held[warehouse]
            _restore(HELD_ENV, previous_token)
            try:
                os.ftruncate(fd, 0)  # nobody holds it: a reader of the file sees no stale name
            except OSError:
                pass
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _open_lock_file(warehouse: Path) -> int:
    try:
        warehouse.mkdir(parents=True, exist_ok=True)
        return os.open(warehouse / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WarehouseUnwritable(f"warehouse folder {warehouse} cannot be written ({exc.strerror}); "
                                      "nothing was changed") from None
        raise


def _acquire(fd: int, warehouse: Path, wait: float | None, progress: Callable[[str], None] | None) -> None:
    deadline = None if wait is None else time.monotonic() + wait
    told = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise WarehouseLocked(warehouse, _read_holder(fd))
        if progress is not None and (told is None or now - told >= _PROGRESS_SECONDS):
            holder = _read_holder(fd)
            progress(f"waiting for the warehouse lock, held by {holder.describe() if holder else 'another process'}")
            told = now
        time.sleep(_POLL_SECONDS if deadline is None else max(0.0, min(_POLL_SECONDS, deadline - now)))


def _inherited(warehouse: Path) -> Holder | None:
    """The holder, when it is the process that started this one (its token is in our environment)."""
    token = os.environ.get(HELD_ENV)
    if not token:
        return None
    holder = holder_of(warehouse)
    return holder if holder is not None and holder.token == token else None


def _write_holder(fd: int, holder: Holder) -> None:
    data = json.dumps(asdict(holder), sort_keys=True).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _read_holder(fd: int) -> Holder | None:
    try:
        data = os.pread(fd, 4096, 0)
        return Holder(**json.loads(data)) if data else None
    except (OSError, ValueError, TypeError):
        return None


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
