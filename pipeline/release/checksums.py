"""SHA-256 checksums of a release's files, in the format `sha256sum -c` reads."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

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


Digest = tuple[str, int]  # (sha256, bytes) of a file


def read_sums(release_dir: Path) -> dict[str, str]:
    """SHA256SUMS as {name: sha256}."""
    sums = {}
    for line in (release_dir / SUMS_FILE).read_text(encoding="utf-8").splitlines():
        expected, name = line.split("  ", 1)
        sums[name] = expected
    return sums


def inside(folder: Path, name: str) -> Path | None:
    """The file a package names, when it is one and the name stays inside the folder (frictionless's safe path)."""
    relative = PurePosixPath(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        return None
    path = folder / relative
    return path if path.is_file() else None


def digest(folder: Path, name: str) -> Digest | None:
    """The digest of the file `name` inside `folder`; None when there is none there."""
    path = inside(folder, name)
    return None if path is None else (sha256_file(path), path.stat().st_size)


def sum_failures(listed: dict[str, str], digested: dict[str, Digest | None]) -> list[str]:
    """The files of `listed` (SHA256SUMS as `read_sums` gives it) whose digest is missing or another."""
    return [name for name, expected in listed.items() if digested[name] is None or digested[name][0] != expected]


def verify_sums(release_dir: Path, *, threads: int = 2, known: dict[str, Digest | None] | None = None) -> list[str]:
    """The files of the folder's SHA256SUMS whose checksum does not verify (or that are missing, or name a place
    outside the folder); empty when all verify. Hashed on `threads` threads; the files in `known` (digests of the
    same folder, its files unchanged since) are not hashed again."""
    release_dir = Path(release_dir)
    listed = read_sums(release_dir)
    known = known or {}
    todo = [name for name in listed if name not in known]
    with ThreadPoolExecutor(threads, thread_name_prefix="sha256") as pool:
        digested = {**known, **dict(zip(todo, pool.map(lambda name: digest(release_dir, name), todo)))}
    return sum_failures(listed, digested)
