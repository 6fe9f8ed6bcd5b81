"""A web archive of a gigabyte, made on the fly and never held whole, is read in bounded memory (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GIGABYTE = 1 << 30
# What reading may hold over what the process held before: one record and the reader's buffers, not the file.
MEMORY_BOUND = 64 << 20


def test_a_gigabyte_stream_is_read_record_by_record_in_bounded_memory():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "tests.support.warc_stream", str(GIGABYTE)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["bytes"] >= GIGABYTE
    # Every record made is counted, each page about NHS money read, and nothing else.
    assert sum(result["counts"].values()) == result["records"]
    assert result["counts"]["read"] == result["pages"] == result["records"] // 4
    grown = result["peak_rss"] - result["baseline_rss"]
    assert grown < MEMORY_BOUND, f"reading a {result['bytes']:,}-byte stream grew the process by {grown:,} bytes"
