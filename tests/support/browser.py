"""Headless Chromium for the tests that look at pages: the report's files and Datasette's front page.

Started as the machine's probe starts it (no sandbox as root, no background networking: the machine's network is
closed, and Chromium's own connections would be refused many at a time), with a throwaway profile each time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
TIMEOUT = 90


def chromium() -> str | None:
    found = shutil.which("chromium")
    return found or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


def require_chromium() -> str:
    binary = chromium()
    if binary is None:
        pytest.skip("headless Chromium is not installed (`apt-get install chromium`; CI installs it in .ci/run)")
    return binary


def browse(url: str, *args: str, window: tuple[int, int] = (1200, 1600), budget_ms: int = 10_000,
           timeout: float = TIMEOUT) -> bytes:
    """Chromium's stdout for `url` (with `--dump-dom`, the page as rendered), after at most `budget_ms` of the
    page's own time; kills the whole browser after, and fails the test past `timeout` seconds."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}",
                   f"--virtual-time-budget={budget_ms}", *args, url]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"Chromium did not finish {url} within {timeout}s")
        finally:
            try:  # renderer and helper processes must not outlive the test
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert process.returncode == 0, f"Chromium exited with {process.returncode}: {err.decode()[-2000:]}"
        return out
