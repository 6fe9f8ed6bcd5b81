"""The raw folders a run measures: generated once per size, seed and batch size, and reused while they match.

Here: `dataset` (a cached raw folder, or a new one, timed), how long a cached one took to generate, and the size
of a folder on disk.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

from bench.articles import month_name
from bench.raw_folder import DEFAULT_FIRST_MONTH, GENERATOR_VERSION, generate

# ---------------------------------------------------------------- data sets

def dataset(workdir: Path, articles: int, seed: int, batch_size: int) -> tuple[Path, float | None]:
    """The raw folder of `articles` generated articles (generated unless cached). Returns (path, seconds it took
    to generate, None when cached)."""
    raw = workdir / f"raw-{articles}-s{seed}-b{batch_size}"
    stamp = raw / ".bench.json"
    if stamp.is_file():
        try:
            meta = json.loads(stamp.read_text())
            expected = sorted(month_name(DEFAULT_FIRST_MONTH, b) for b in range(math.ceil(articles / batch_size)))
            present = sorted(p.name for p in raw.iterdir() if p.is_dir())
            if meta.get("generator_version") == GENERATOR_VERSION and meta.get("articles") == articles \
                    and meta.get("seed") == seed and meta.get("batch_size") == batch_size and present == expected:
                return raw, None
        except (OSError, ValueError):
            pass
    if raw.exists():
        shutil.rmtree(raw)
    started = time.perf_counter()
    generate(raw, articles, seed=seed, batch_size=batch_size)
    seconds = time.perf_counter() - started
    meta = json.loads(stamp.read_text())
    stamp.write_text(json.dumps(meta | {"generation_seconds": round(seconds, 2)}, indent=2) + "\n")
    return raw, seconds


def generation_seconds(raw: Path) -> float | None:
    """How long a cached raw folder took to generate (recorded beside it)."""
    try:
        return json.loads((raw / ".bench.json").read_text()).get("generation_seconds")
    except (OSError, ValueError):
        return None


def folder_bytes(path: Path, skip: tuple[str, ...] = ()) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        if skip:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
