"""SHA-256 checksums of a release's files, in the format `sha256sum -c` reads."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SUMS_FILE = "SHA256SUMS"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def release_files(release_dir: Path) -> list[str]:
    """Every file of the release as a POSIX path relative to its folder, sorted, the sums file excepted."""
    return sorted(
        path.relative_to(release_dir).as_posix()
        for path in release_dir.rglob("*")
        if path.is_file() and path.name != SUMS_FILE
    )


def sha256_files(paths: list[Path], *, threads: int = 2) -> list[str]:
    """`sha256_file` of each path, in order; hashlib lets go of the GIL on large buffers, so the files are hashed
    `threads` at a time."""
    with ThreadPoolExecutor(threads, thread_name_prefix="sha256") as pool:
        return list(pool.map(sha256_file, paths))


def write_sums(release_dir: Path, *, threads: int = 2) -> Path:
    names = release_files(release_dir)
    digests = sha256_files([release_dir / name for name in names], threads=threads)
    # Two spaces between hash and name is sha256sum's text mode, which every implementation reads.
    lines = [f"{digest}  {name}\n" for digest, name in zip(digests, names)]
    target = release_dir / SUMS_FILE
    target.write_text("".join(lines), encoding="utf-8", newline="\n")
    return target


def verify_sums(release_dir: Path) -> list[str]:
    """The files whose checksum does not match (or that are missing); empty when all verify."""
    failures = []
    for line in (release_dir / SUMS_FILE).read_text(encoding="utf-8").splitlines():
        expected, name = line.split("  ", 1)
        path = release_dir / name
        if not path.is_file() or sha256_file(path) != expected:
            failures.append(name)
    return failures
