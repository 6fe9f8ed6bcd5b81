"""The inventory of the raw folder: which files there are, in which batch, with what bytes.

A batch is a first-level folder under the raw directory (an archive arrives one
folder at a time); files directly in the raw directory form the batch `_root`.
A web archive file (`.warc`, `.warc.gz`) is a batch of its own, named by its path:
a month of a crawl is hundreds of such files of a gigabyte each, and one partition
a file is what lets an executor spread them over processes and machines.
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
# Web archive files, each a batch of its own.
WARC_SUFFIXES = (".warc", ".warc.gz")
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


def is_warc(path: str | Path) -> bool:
    return str(path).lower().endswith(WARC_SUFFIXES)


def batch_of(source_path: str) -> str:
    if is_warc(source_path):
        return source_path
    parts = source_path.split("/")
    return parts[0] if len(parts) > 1 else ROOT_BATCH


def list_raw_files(raw_dir: Path, stats: dict[str, tuple[str, os.stat_result]] | None = None) -> list[RawFile]:
    """Every input file under raw_dir, sorted by path so runs are deterministic.

    Walks as `os.walk(followlinks=False)` would: unreadable folders are skipped, links to folders are not
    followed, ignored and hidden folders are pruned. The folder entries' types come with the listing, so a
    regular file costs one lstat (a large archive has tens of thousands); links, special files and errors go
    through `_describe`. When `stats` is given, it receives each regular file's (path, stat) by source path.
    """
    root = raw_dir.resolve()
    found: list[RawFile] = []
    _list_folder(root, str(root), "", found, {} if stats is None else stats)
    return sorted(found, key=lambda f: f.source_path)


def _list_folder(root: Path, folder: str, prefix: str, found: list[RawFile],
                 stats: dict[str, tuple[str, os.stat_result]]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    here = Path(folder)
    # A file's Path without parsing its name again: a third of the listing's cost on a large archive.
    child = getattr(here, "_make_child_relpath", here.joinpath)
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if name not in IGNORED_DIRS and not name.startswith(".") and not entry.is_symlink():
                _list_folder(root, entry.path, f"{prefix}{name}/", found, stats)
            continue
        if name in IGNORED_NAMES or name.startswith("."):
            continue
        try:
            info = entry.stat(follow_symlinks=False) if entry.is_file(follow_symlinks=False) else None
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            found.append(_describe(root, child(name)))
            continue
        source_path = prefix + name
        found.append(RawFile(source_path, batch_of(source_path), child(name), info.st_size))
        stats[source_path] = (entry.path, info)


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
    return article_id_from_sha256(sha256_hex(data))


def article_id_from_sha256(content_sha256: str) -> str:
    """`article_id_of` for bytes whose SHA-256 (hex) is already known, so they are hashed once."""
    return content_sha256[:16]
