"""What every part of a benchmark run shares: the project root, the issue's targets, and the progress log.

The targets are the figures of issue 7, point 2 that the extraction, the builds and the report are judged
against; `log` is the one progress line on stderr every part writes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SIZE = 100_000
TARGETS = {
    "extraction_articles_per_s": 2000.0,
    "build_100k_seconds": 300.0,
    "build_100k_peak_bytes": 2 * 1024 ** 3,
    "incremental_seconds": 20.0,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
