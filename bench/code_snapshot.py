"""What code the builds of a run measure: a copy of the project taken at the start, and a digest of its engine.

`code_root` is where the measured commands run from: the project itself, or the run's snapshot of it
(`bench.run.run` sets it and puts it back).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.settings import ROOT


# What a build needs of the project, copied at the start of a run so every build of the run measures the same
# code even while the working tree is being edited (an engine change would otherwise reprocess every batch).
SNAPSHOT_ITEMS = ("pipeline", "assets", "cli", "schemas", "bench", "frictionless_nhsledger.py", "pyproject.toml",
                  "workspace.yaml")
code_root = ROOT  # where builds run from: the project, or the run's snapshot of it


def snapshot_code(workdir: Path) -> Path:
    target = workdir / "code"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "results")
    for item in SNAPSHOT_ITEMS:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / item)
    return target


def code_digest(root: Path) -> str:
    """A hash of the engine's source (pipeline, assets, schemas): tells whether the tree changed during a run."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("pipeline", "assets", "schemas"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".csv", ".txt", ".json"}:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
