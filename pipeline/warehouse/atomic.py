"""Write a file whole or not at all: beside its place, synced, then renamed over it.

Every file of the warehouse is written this way (the Parquet store, sidecars, batch states, run records, the
DuckDB manifest, the check cache), so a reader sees the old file or the new one, and a crash, an interrupt
or a full disk leaves at worst a hidden `.tmp-*` file that no reader lists. On any failure the temp file
is removed here and the error goes on to the caller: what was there before is untouched.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pipeline.faults import crash_point

__all__ = ["WarehouseWriteError", "as_machine_fault", "replace_folder", "replacing", "write_bytes"]

# Failures of the machine, not of the code: said in one line, with what they left (nothing changed).
_MACHINE_FAULTS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
}


class WarehouseWriteError(OSError):
    """A file of the warehouse could not be written because of the machine (a full disk, a read-only folder);
    the file, and everything else, is as it was."""

    def __str__(self) -> str:
        return f"{_MACHINE_FAULTS.get(self.errno, self.strerror)} writing {self.filename}"


@contextmanager
def replacing(target: Path, *, suffix: str = "", point: str = "record", mtime_ns: int | None = None,
              mode: int | None = None) -> Iterator[Path]:
    """A temp path beside `target` for the block to write; on success synced and renamed over `target`.

    `point` names the fault point passed before the rename (`pipeline.faults`); after it, `<point>` is not
    passed again (the Parquet store passes `written` itself). `mtime_ns` sets the file's modification time;
    `mode` its permissions (the temp file is private to its owner, as `tempfile.mkstemp` makes it).
    """
    target = Path(target)
    with as_machine_fault(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        with as_machine_fault(target):
            yield temporary
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            if mtime_ns is not None:
                os.utime(temporary, ns=(mtime_ns, mtime_ns))
            if mode is not None:
                os.chmod(temporary, mode)
            crash_point(point, target)
            os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def as_machine_fault(target: Path, *_also: type[Exception]) -> Iterator[None]:
    """An OSError of the machine inside the block (ENOSPC, EROFS, EACCES...) becomes a WarehouseWriteError about
    `target` (so do the exceptions `_also` of a library that says "No space left on device" in its own type);
    any other error passes unchanged."""
    try:
        yield
    except WarehouseWriteError:
        raise
    except (OSError, *_also) as exc:
        code = getattr(exc, "errno", None)
        if code is None and "No space left on device" in str(exc):  # pyarrow's and DuckDB's carry only the text
            code = errno.ENOSPC
        if code not in _MACHINE_FAULTS:
            raise
        raise WarehouseWriteError(code, os.strerror(code), str(target)) from exc


def write_bytes(target: Path, data: bytes, *, mtime_ns: int | None = None, mode: int | None = None) -> None:
    """`target` holds `data`, whole, or is as it was."""
    with replacing(target, mtime_ns=mtime_ns, mode=mode) as temporary:
        temporary.write_bytes(data)


def replace_folder(building: Path, target: Path) -> None:
    """Put the finished folder `building` in `target`'s place, readable by all (mkdtemp made it private): one
    rename when `target` is new; else the old folder is moved aside first and removed only once the new one is in."""
    os.chmod(building, 0o755)
    if not target.exists():
        os.replace(building, target)
        return
    doomed = target.with_name(f".replaced-{target.name}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(target, doomed)
    os.replace(building, target)
    shutil.rmtree(doomed, ignore_errors=True)
