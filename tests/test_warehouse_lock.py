"""One writer at a time (issue 13): the warehouse lock, who holds it, waiting for it, and who respects it.

The lock is held by another process here (`tests/support/lock_holder.py`), as a second `nhs-ledger build` or a
UI run would hold it: flock locks are per open file, so only another process shows what a user meets.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from assets.definitions import make_definitions
from assets.locking import _LockedExecutor, warehouse_of_run
from assets.sensors import SENSOR_NAME
from cli.main import main
from pipeline.warehouse import lock

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"


class HolderProcess:
    """Another process holding the lock of `warehouse` until `release()` (or a kill)."""

    def __init__(self, warehouse: Path, seconds: float | None = None):
        command = [sys.executable, "-m", "tests.support.lock_holder", str(warehouse)]
        if seconds is not None:
            command.append(str(seconds))
        env = {k: v for k, v in os.environ.items() if k != lock.HELD_ENV}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        assert self.process.stdout.readline().strip() == "held"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def holder(tmp_path):
    holding = HolderProcess(tmp_path / "warehouse")
    yield holding
    holding.kill() if holding.process.poll() is None else None


def test_a_second_writer_is_told_who_holds_the_lock_and_since_when(holder, tmp_path):
    warehouse = tmp_path / "warehouse"
    with pytest.raises(lock.WarehouseLocked) as raised:
        with lock.hold(warehouse, "second writer", wait=0):
            pytest.fail("two holders at once")
    who = raised.value.holder
    assert (who.pid, who.host, who.command) == (holder.pid, socket.gethostname(), "lock_holder (a test)")
    assert f"pid {holder.pid} on {socket.gethostname()} (lock_holder (a test)), since {who.started}" \
        in str(raised.value)
    assert time.strptime(who.started, "%Y-%m-%dT%H:%M:%SZ")
    assert lock.holder_of(warehouse) == who


def test_a_killed_holder_leaves_no_stale_lock(holder, tmp_path):
    holder.kill()  # SIGKILL: no clean-up ran, the file still names it
    assert (tmp_path / "warehouse" / lock.LOCK_FILE).read_text()
    assert lock.holder_of(tmp_path / "warehouse") is None
    with lock.hold(tmp_path / "warehouse", "after the kill", wait=0) as me:
        assert me.pid == os.getpid()


def test_a_writer_that_waits_gets_the_lock_when_the_holder_lets_go_and_says_who_it_waits_for(tmp_path):
    warehouse = tmp_path / "warehouse"
    holding = HolderProcess(warehouse, seconds=1.5)
    said: list[str] = []
    with lock.hold(warehouse, "patient writer", wait=60, progress=said.append) as me:
        assert me.command == "patient writer"
        assert holding.process.poll() is not None  # it had to end first
    assert said and f"held by pid {holding.pid}" in said[0]


def test_a_wait_that_runs_out_names_the_holder(holder, tmp_path):
    started = time.monotonic()
    with pytest.raises(lock.WarehouseLocked, match=f"pid {holder.pid}"):
        with lock.hold(tmp_path / "warehouse", wait=0.6):
            pass
    assert time.monotonic() - started >= 0.5


def test_the_lock_is_reentrant_in_a_process_and_free_when_the_last_holding_ends(tmp_path):
    warehouse = tmp_path / "warehouse"
    with lock.hold(warehouse, "outer") as outer:
        with lock.hold(warehouse, "inner") as inner:
            assert inner == outer
        assert lock.holder_of(warehouse) == outer  # still held: the outer holding goes on
    assert lock.holder_of(warehouse) is None
    assert not (warehouse / lock.LOCK_FILE).read_text()  # it names nobody once let go


def test_processes_the_holder_starts_work_under_its_lock_and_others_do_not(tmp_path):
    warehouse = tmp_path / "warehouse"
    probe = ("import sys; from pipeline.warehouse import lock\n"
             "try:\n    with lock.hold(sys.argv[1], 'child', wait=0) as h: print(h.command)\n"
             "except lock.WarehouseLocked: print('locked')\n")
    with lock.hold(warehouse, "parent"):
        child = subprocess.run([sys.executable, "-c", probe, str(warehouse)], cwd=ROOT, capture_output=True,
                               text=True, env=os.environ.copy(), timeout=60)
        stranger = subprocess.run([sys.executable, "-c", probe, str(warehouse)], cwd=ROOT, capture_output=True,
                                  text=True, env={k: v for k, v in os.environ.items() if k != lock.HELD_ENV},
                                  timeout=60)
    assert child.stdout.strip() == "parent", child.stderr
    assert stranger.stdout.strip() == "locked", stranger.stderr
    assert lock.HELD_ENV not in os.environ


def test_a_warehouse_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, capsys):
    """Root ignores file modes, and CI runs as root: the read-only folder is the error the OS would give."""
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).endswith(lock.LOCK_FILE) and flags & (os.O_RDWR | os.O_WRONLY | os.O_CREAT):
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(lock.os, "open", read_only)
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(tmp_path / "warehouse")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot be written (Read-only file system); nothing was changed" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_warehouse_folder_is_one_line_and_keeps_its_files(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "kept.txt").write_text("x")
    warehouse.chmod(0o555)
    try:
        result = subprocess.run([sys.executable, "-m", "cli", "build", "--raw", str(SAMPLE), "--warehouse",
                                 str(warehouse)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        warehouse.chmod(0o755)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "cannot be written" in result.stderr and (warehouse / "kept.txt").read_text() == "x"


# --------------------------------------------------------------------------------- the commands and Dagster

@pytest.mark.parametrize("command", [
    ["build", "--raw", str(SAMPLE)],
    ["release", "--version", "1.0.0"],
])
def test_a_command_that_finds_the_lock_taken_stops_at_once_with_75_and_one_line(command, holder, tmp_path, capsys):
    started = time.monotonic()
    assert main([*command, "--warehouse", str(tmp_path / "warehouse")]) == lock.EXIT_LOCKED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"is locked by pid {holder.pid} on {socket.gethostname()} (lock_holder (a test)), since " in err
    assert time.monotonic() - started < 30


def test_reference_fetch_locks_its_folder(tmp_path, capsys):
    dest = tmp_path / "reference"
    holding = HolderProcess(dest)
    try:
        assert main(["reference", "fetch", "--dest", str(dest), "--base-url", "http://127.0.0.1:9"]) == 75
        assert f"locked by pid {holding.pid}" in capsys.readouterr().err
    finally:
        holding.kill()


def test_the_sensor_skips_a_tick_while_the_lock_is_held_and_says_by_whom(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(SAMPLE, raw)
    defs = make_definitions(str(raw), str(warehouse))
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    with dg.DagsterInstance.ephemeral() as instance:
        def tick():
            return sensor(dg.build_sensor_context(instance=instance, definitions=defs,
                                                  resources={"ledger": defs.resources["ledger"]}))

        holding = HolderProcess(warehouse)
        try:
            skipped = tick()
        finally:
            holding.kill()
        assert isinstance(skipped, dg.SkipReason)
        assert f"the warehouse is locked by pid {holding.pid}" in skipped.skip_message
        assert instance.get_dynamic_partitions("batches") == []  # it touched nothing
        after = tick()  # the holder gone, the next tick plans as usual
        assert isinstance(after, dg.SensorResult) and after.run_requests


def test_every_job_of_the_definitions_runs_under_the_lock(tmp_path):
    defs = make_definitions(str(SAMPLE), str(tmp_path / "warehouse"))
    for name in ("build", "process_batches", "publish_all", "cut_release"):
        job = defs.resolve_job_def(name)
        assert job.executor_def.executor_creation_fn.__qualname__.startswith("locked."), name


def test_a_run_holds_the_lock_from_its_first_event_to_its_last(tmp_path):
    warehouse = tmp_path / "warehouse"
    seen = []

    class Inner:
        def execute(self, plan_context, execution_plan):
            for step in ("first", "last"):
                seen.append((step, lock.holder_of(warehouse)))
                yield step

    logged: list[str] = []
    context = SimpleNamespace(run_config={"resources": {"ledger": {"config": {"warehouse_dir": str(warehouse)}}}},
                              run_id="abc123", job_name="build", log=SimpleNamespace(info=logged.append))
    executor = _LockedExecutor(Inner(), str(tmp_path / "elsewhere"))
    assert list(executor.execute(context, None)) == ["first", "last"]
    assert [(step, h.command if h else None) for step, h in seen] == \
        [("first", "Dagster run abc123 (build)"), ("last", "Dagster run abc123 (build)")]
    assert lock.holder_of(warehouse) is None
    assert warehouse_of_run({}, "default") == "default"


def test_build_with_wait_says_whom_it_waits_for_then_builds(tmp_path, capsys):
    warehouse = tmp_path / "warehouse"
    holding = HolderProcess(warehouse, seconds=2)
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(warehouse), "--wait", "120"]) == 0
    holding.release()
    err = capsys.readouterr().err
    assert f"nhs-ledger: waiting for the warehouse lock, held by pid {holding.pid} on {socket.gethostname()}" in err
    assert (warehouse / "nhs_ledger.duckdb").is_file() and lock.holder_of(warehouse) is None
