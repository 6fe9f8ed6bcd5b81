"""One command run as a measured process: wall time, CPU time and the peak memory of its process tree.

Here: the sampling of the tree's resident memory through /proc, `measure` (run a command with a timeout and
never raise on its failure), and `cli_run`, one `nhs-ledger` command measured, with the stage timers of
`bench.stages` unless plain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import code_snapshot

SAMPLE_EVERY = 0.1
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- one measured process

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(c) for c in handle.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return found


def _tree_rss(pid: int) -> int:
    """Summed resident memory of `pid` and all its descendants, in bytes."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(current)
    return total


def measure(cmd: list[str], *, timeout: float, log_path: Path, env: dict | None = None) -> dict:
    """Run `cmd` (cwd: the project root or the run's snapshot of it), sampling its process tree's memory. Never raises on the command's failure."""
    env = dict(os.environ if env is None else env)
    env.pop("DAGSTER_HOME", None)  # the CLI then uses a throwaway instance, as a user's first build does
    env["PYTHONPATH"] = os.pathsep.join([str(code_snapshot.code_root)]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=code_snapshot.code_root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        peak_tree, samples, status, usage, timed_out = 0, 0, None, None, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            samples += 1
            if time.perf_counter() - started > timeout:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the session this call started, nothing else
                except ProcessLookupError:
                    pass
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(SAMPLE_EVERY)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * 1024 if usage is not None else 0  # KiB on Linux
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return {
        "command": cmd,
        "status": "timeout" if timed_out else ("ok" if proc.returncode == 0 else "failed"),
        "exit_code": proc.returncode,
        "wall_s": wall,
        "timeout_s": timeout,
        "peak_rss_bytes": max(peak_tree, maxrss),
        "peak_tree_rss_sampled_bytes": peak_tree,
        "maxrss_bytes": maxrss,
        "cpu_user_s": usage.ru_utime if usage is not None else None,
        "cpu_system_s": usage.ru_stime if usage is not None else None,
        "rss_samples": samples,
        "log": str(log_path),
        "output_tail": _tail(text, 22),
    }


def _tail(text: str, lines: int) -> list[str]:
    kept = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]  # progress bars redraw with \r
    return [line for line in kept if line.strip()][-lines:]


def cli_run(args: list[str], *, label: str, workdir: Path, timeout: float, plain: bool) -> dict:
    """One `nhs-ledger` command, measured; with stage timings unless `plain`."""
    timings = workdir / "timings" / f"{label}.json"
    timings.unlink(missing_ok=True)
    if plain:
        cmd = [sys.executable, "-m", "cli", *args]
    else:
        cmd = [sys.executable, "-m", "bench.stages", "--timings", str(timings), "--", *args]
    result = measure(cmd, timeout=timeout, log_path=workdir / "logs" / f"{label}.log")
    if timings.is_file():
        try:
            result["stages"] = json.loads(timings.read_text())
        except ValueError:
            pass
    return result
