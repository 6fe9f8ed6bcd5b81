"""The inventory of the raw folder: which files there are, in which batch, with what bytes.

A batch is a first-level folder under the raw directory (an archive arrives one
folder at a time); files directly in the raw directory form the batch `_root`.
Nothing is dropped here: files that cannot even be listed safely (links that
point outside the raw folder, unreadable files) are returned with the reason so
the reader records them as rejected inputs.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

ROOT_BATCH = "_root"
# Files a user or an editor leaves beside the articles that are not inputs.
IGNORED_NAMES = frozenset({"README.md", "EXPECTED.md", ".DS_Store", "Thumbs.db", ".gitkeep"})
IGNORED_DIRS = frozenset({"reference", ".git", "__pycache__"})


@dataclass(frozen=True, slots=True)
class RawFile:
    source_path: str  # relative to the raw directory, with forward slashes
    batch: str
    path: Path
    size_bytes: int
    problem: str | None = None  # set when the file must be rejected before reading it


def batch_of(source_path: str) -> str:
    parts = source_path.split("/")
    return parts[0] if len(parts) > 1 else ROOT_BATCH


def list_raw_files(raw_dir: Path) -> list[RawFile]:
    """Every input file under raw_dir, sorted by path so runs are deterministic."""
    raw_dir = raw_dir.resolve()
    found: list[RawFile] = []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        if here != raw_dir and here.relative_to(raw_dir).parts[0] in IGNORED_DIRS:
            continue
        for name in sorted(filenames):
            if name in IGNORED_NAMES or name.startswith("."):
                continue
            found.append(_describe(raw_dir, here / name))
    return sorted(found, key=lambda f: f.source_path)


def _describe(raw_dir: Path, path: Path) -> RawFile:
    source_path = path.relative_to(raw_dir).as_posix()
    batch = batch_of(source_path)
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(raw_dir):
            return RawFile(source_path, batch, path, 0, problem=f"symbolic link to {target}, outside the raw folder")
    try:
        info = path.stat()
    except OSError as exc:
        return RawFile(source_path, batch, path, 0, problem=f"cannot stat: {exc.strerror}")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO blocks until something writes to it; a device may never end.
        return RawFile(source_path, batch, path, 0, problem="not a regular file (a named pipe, socket or device)")
    return RawFile(source_path, batch, path, info.st_size)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def article_id_of(data: bytes) -> str:
    """CONTRACT: the first 16 hex digits of the SHA-256 of the article's raw bytes."""
    return sha256_hex(data)[:16]
