"""The stamp of the last complete build: what it was built from and what it left, so that a build with nothing
new can say so and stop before Dagster starts (a no-op rebuild of 100,000 articles took 13 s, nearly all of it
start-up, planning and re-deriving the tables that span every batch, to rewrite the same bytes).

The stamp is a hash of everything a build's output depends on, taken in two halves:

- **before the build**, the inputs: every file of the raw folder (its reference data included), an explicit
  reference folder and a domain list named in the environment, by path, size, modification and change time; the
  project's code and word lists by content; the Python packages installed (their folders' modification times);
  and the `NHS_LEDGER_*` settings of the environment (and `DAGSTER_HOME`). Taken before, so that a file changed
  while the build ran is a change the next build sees.
- **after the build**, what the build left in the warehouse: every file of `parquet/`, `staging/` and the
  DuckDB file, by path, size, modification and change time. Anything else writing there (a Dagster run from the UI, a
  hand deletion) changes it.

A later build whose two halves hash the same has nothing to do: the build it would run writes the bytes already
there. Files are compared by size, modification time and change time (which no program can set back), as
`git` compares its index. As there too, a file written within the clock's granularity of the inputs being taken
could change again unseen, so then no stamp is written (`RACY_SECONDS`). `build --full` always runs every
step. Only the standard library and the warehouse's layout are imported here: the point is to decide before the
heavy imports.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.warehouse import atomic
from pipeline.warehouse.layout import DUCKDB_FILE, Warehouse

_PROJECT = Path(__file__).resolve().parents[2]
# The code a build runs: the engine, the Dagster layer, the registry, the command line.
CODE_FOLDERS = ("pipeline", "assets", "schemas", "cli")
CODE_SUFFIXES = (".py", ".csv", ".txt", ".json", ".yaml", ".yml")
SETTINGS_PREFIX = "NHS_LEDGER_"
# Settings that do not change what a build writes: the lock's inheritance token, the debug switch.
SETTINGS_IGNORED = ("NHS_LEDGER_LOCK_TOKEN", "NHS_LEDGER_DEBUG")
_OTHER_SETTINGS = ("DAGSTER_HOME",)
_STAMP_VERSION = "1"
# An input changed this close to the moment the inputs were taken could change again with the same times.
RACY_SECONDS = 2.0


@dataclass(frozen=True)
class Inputs:
    """The hash of a build's inputs, when it was taken, and the newest time of a file among them."""

    digest: str
    taken_ns: int
    newest_ns: int

    @property
    def settled(self) -> bool:
        return self.taken_ns - self.newest_ns > RACY_SECONDS * 1e9


@dataclass(frozen=True)
class Stamp:
    inputs: str  # the hash of the inputs, taken before the build
    outputs: str  # the hash of the warehouse's files, taken after it
    summary: str  # the build summary the CLI printed
    batches: int  # the raw folder's batches
    finished_at: str


def stamp_path(warehouse: Path) -> Path:
    return Warehouse.at(warehouse).build_stamp


def _files(folder: Path, skip: Path | None = None):
    """(relative path, size, mtime_ns, ctime_ns) of every file under `folder`, in a stable order."""
    found = []

    def scan(directory: str) -> None:
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                scan(entry.path)
            elif skip is None or entry.path != str(skip):
                info = entry.stat()
                found.append((os.path.relpath(entry.path, folder), info.st_size, info.st_mtime_ns,
                              info.st_ctime_ns))

    scan(str(folder))
    return sorted(found)


def _update_with_files(digest, label: str, folder: Path | None, skip: Path | None = None) -> int:
    """Hash the listing of `folder` into `digest`; the newest time of a file in it (0 for none)."""
    digest.update(f"\x1e{label}\x1f{folder}".encode())
    newest = 0
    if folder is not None and folder.is_dir():
        for name, size, mtime, ctime in _files(folder, skip):
            digest.update(f"{name}\x1f{size}\x1f{mtime}\x1f{ctime}\x1e".encode())
            newest = max(newest, mtime, ctime)
    return newest


def _code_digest(digest) -> None:
    for folder in CODE_FOLDERS:
        for directory, subdirectories, names in sorted(os.walk(_PROJECT / folder)):
            subdirectories.sort()
            for name in sorted(names):
                if name.endswith(CODE_SUFFIXES):
                    path = Path(directory) / name
                    digest.update(path.relative_to(_PROJECT).as_posix().encode() + b"\x1f")
                    digest.update(path.read_bytes())


def _settings() -> dict[str, str]:
    return {key: value for key, value in sorted(os.environ.items())
            if (key.startswith(SETTINGS_PREFIX) and key not in SETTINGS_IGNORED) or key in _OTHER_SETTINGS}


def _named_folder(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def inputs_digest(raw: Path, reference: Path | None = None) -> Inputs:
    """The hash of what a build of `raw` reads: take it before the build starts."""
    taken = time.time_ns()
    digest = hashlib.sha256(f"stamp {_STAMP_VERSION}\x1e{sys.version}".encode())
    newest = _update_with_files(digest, "raw", Path(raw).resolve())
    settings = _settings()
    newest = max(newest, _update_with_files(digest, "reference", _named_folder(
        str(reference) if reference else settings.get("NHS_LEDGER_REFERENCE"))))
    domains = settings.get("NHS_LEDGER_DOMAINS")
    if domains and Path(domains).is_file():
        info = Path(domains).stat()
        digest.update(f"\x1edomains\x1f{domains}\x1f{info.st_size}\x1f{info.st_mtime_ns}\x1f{info.st_ctime_ns}"
                      .encode())
        newest = max(newest, info.st_mtime_ns, info.st_ctime_ns)
    digest.update(json.dumps(settings, sort_keys=True).encode())
    _code_digest(digest)
    # A package installed, upgraded or removed changes the listing, and so the time, of the environment's folder.
    for entry in sorted({sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")}):
        if os.path.isdir(entry):
            digest.update(f"\x1epackages\x1f{entry}\x1f{os.stat(entry).st_mtime_ns}".encode())
    return Inputs(digest.hexdigest(), taken, newest)


def outputs_digest(warehouse: Path) -> str:
    """The hash of the files a build leaves in the warehouse (not the stamp itself, not releases or the lock)."""
    layout = Warehouse.at(warehouse)
    digest = hashlib.sha256()
    for folder in layout.built_folders:
        _update_with_files(digest, folder.name, folder, skip=layout.build_stamp)
    try:
        info = layout.duckdb_file.stat()
        digest.update(f"\x1e{DUCKDB_FILE}\x1f{info.st_size}\x1f{info.st_mtime_ns}\x1f{info.st_ctime_ns}".encode())
    except FileNotFoundError:
        digest.update(f"\x1e{DUCKDB_FILE}\x1fmissing".encode())
    return digest.hexdigest()


def read_stamp(warehouse: Path) -> Stamp | None:
    try:
        data = json.loads(stamp_path(warehouse).read_text(encoding="utf-8"))
        return Stamp(**data)
    except (OSError, ValueError, TypeError):
        return None


def unchanged_since_stamp(warehouse: Path, inputs: Inputs) -> Stamp | None:
    """The stamp, when the inputs hash as they did and the warehouse holds what that build left; else None."""
    stamp = read_stamp(warehouse)
    if stamp is None or stamp.inputs != inputs.digest or stamp.outputs != outputs_digest(warehouse):
        return None
    return stamp


def forget_stamp(warehouse: Path) -> None:
    """Before a build writes anything: a build that stops half way must leave no stamp behind."""
    stamp_path(warehouse).unlink(missing_ok=True)


def write_stamp(warehouse: Path, inputs: Inputs, *, summary: str, batches: int, finished_at: str) -> bool:
    """After a complete, successful build (the outputs are hashed now, so write it last). Whether it was written:
    not when an input was changed too close to the moment the inputs were taken to be sure of it."""
    if not inputs.settled:
        return False
    stamp = {"inputs": inputs.digest, "outputs": outputs_digest(warehouse), "summary": summary, "batches": batches,
             "finished_at": finished_at}
    # Its own fault point: the stamp is written after every record of the build, and is not one of them.
    with atomic.replacing(stamp_path(warehouse), point="stamp") as temporary:
        temporary.write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
    return True
