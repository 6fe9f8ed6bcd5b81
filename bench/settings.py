"""What every part of a benchmark run shares: the project root, the issue's targets, and the progress log.

The targets are issue 16's, which the extraction, the builds, the release and the report are judged against;
`log` is the one progress line on stderr every part writes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SIZE = 100_000
# The middle size of a full run, with its own targets (end to end, one more batch, nothing new).
MIDDLE_SIZE = 20_000
TARGETS = {
    "extraction_articles_per_s": 2000.0,
    "build_20k_seconds": 13.0,
    "build_100k_seconds": 90.0,
    "build_100k_peak_bytes": 1.5 * 1024 ** 3,
    "incremental_seconds": 5.0,
    "noop_20k_seconds": 2.0,
    "release_100k_seconds": 30.0,
    "release_100k_peak_bytes": 1.5 * 1024 ** 3,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
