"""Worker processes end with the build that started them (issue 13): an interrupt ends them at once
(`parallel.terminate`), and a parent killed by SIGKILL takes them with it (the kernel's parent-death signal),
so no orphan goes on computing for a build that is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Starts two workers on long jobs, waits until both have run their start (Ctrl-C ignored: its first step),
# prints their pids, then, once the test says so, ends them itself (`terminate`), or waits to be killed (`wait`).
PARENT = """
import os, sys, time
os.environ["NHS_LEDGER_WORKERS"] = "2"
from pipeline import parallel
pool = parallel._get_pool()
futures = [pool.submit(time.sleep, 300) for _ in range(2)]
def started(pid):
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return False
    ignored = int(status.split("SigIgn:")[1].split()[0], 16)
    return bool(ignored & (1 << 1))  # SIGINT (2) ignored: the worker's start has run
deadline = time.monotonic() + 120
while not (len(pool._processes) == 2 and all(started(p) for p in pool._processes)):
    assert time.monotonic() < deadline, "the workers did not start"
    time.sleep(0.05)
time.sleep(0.2)
print(" ".join(str(p) for p in pool._processes), flush=True)
if sys.argv[1] == "terminate":
    sys.stdin.readline()  # the test has seen the workers alive: only then are they ended
    parallel.terminate()
    print("terminated", flush=True)
else:
    sys.stdin.read()
"""


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its exit status waits to be collected


def wait_until_gone(pids: list[int], seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["terminate", "sigkill"])
def test_workers_end_with_their_parent(how):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, "terminate" if how == "terminate" else "wait"],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={k: v for k, v in os.environ.items() if k != "NHS_LEDGER_WORKERS"})
    try:
        line = parent.stdout.readline()
        workers = [int(p) for p in line.split()]
        assert len(workers) == 2, parent.stderr.read() if parent.poll() is not None else line
        assert all(alive(p) for p in workers)
        if how == "sigkill":
            parent.send_signal(signal.SIGKILL)
        else:
            parent.stdin.write("end them\n")
            parent.stdin.flush()
            assert parent.stdout.readline().strip() == "terminated"
        parent.wait(timeout=60)
        assert wait_until_gone(workers) == []
    finally:
        if parent.poll() is None:
            parent.kill()
