"""Interrupted and concurrent builds (issue 13): Ctrl-C and SIGTERM at several stages, and three builds at once.

An interrupted build stops with one line naming the run the warehouse still holds, cleans up its temp files,
leaves the previous DuckDB file whole, and the next build equals a clean one. (SIGKILL at the same points, where
nothing can clean up, is `tests/test_crash_safety.py`, whose fixture this module shares: the sample built
before, the raw folder with new work, and a clean build of it.) Three builds started together on one
warehouse each exit 0 or 75 with one line, and the warehouse is then what a clean build gives.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline import faults
from pipeline.publish.database import last_build
from pipeline.warehouse import lock
from schemas import REGISTRY
from tests.support.messages import said
from tests.support.warehouse_tables import duckdb_tables
from tests.test_crash_safety import (ROOT, assert_every_parquet_file_reads, assert_readers_ignore_temp_files,
                                     build_in_process, cli_env, comparable, crash_spec, run_build, setup,
                                     visible_files)

pytestmark = pytest.mark.slow
__all__ = ["setup"]  # the shared fixture, imported for pytest to find

# (signal, where): the first Parquet write (ingest), the middle rename (extract and publish), a JSON record, and
# the DuckDB file's build after its transaction, before the rename.
CASES = [("sigint", "first-write"), ("sigterm", "middle-written"), ("sigterm", "middle-record"),
         ("sigint", "before_rename-duckdb")]


def assert_equals_clean_build(warehouse, clean) -> None:
    for name in REGISTRY.tables:
        assert comparable(warehouse, name).equals(comparable(clean, name)), name
    clean_duckdb = duckdb_tables(clean)
    for name, frame in duckdb_tables(warehouse).items():
        assert frame.equals(clean_duckdb[name]), name
    mine, theirs = visible_files(warehouse), visible_files(clean)
    assert sorted(mine) == sorted(theirs)
    assert [name for name in mine if mine[name] != theirs[name]] == []


def temp_files(warehouse) -> list[str]:
    return [p.relative_to(warehouse).as_posix() for p in warehouse.rglob(".*")
            if p.name.startswith(".tmp-") or p.name.endswith(".building")]


@pytest.mark.parametrize("signal_name, where", CASES)
def test_an_interrupted_build_says_one_line_keeps_the_previous_warehouse_and_the_next_build_recovers(
        signal_name, where, setup, tmp_path):
    import shutil

    warehouse = tmp_path / "warehouse"
    shutil.copytree(setup.previous, warehouse)
    before = last_build(warehouse)
    spec = f"{crash_spec(where, setup.trace)}={signal_name}"

    interrupted = run_build(setup.raw, warehouse, **{faults.CRASH_ENV: spec})

    assert interrupted.returncode == 130, (spec, interrupted.returncode, interrupted.stderr[-3000:])
    assert said(interrupted.stderr) == [f"nhs-ledger: build interrupted; the warehouse is unchanged since {before}"]
    assert "Traceback" not in interrupted.stderr
    for name, frame in duckdb_tables(warehouse).items():
        assert frame.equals(setup.previous_duckdb[name]), (spec, name)
    assert temp_files(warehouse) == [], spec  # unlike a SIGKILL, an interrupt cleans up after itself
    assert_every_parquet_file_reads(warehouse)
    assert_readers_ignore_temp_files(warehouse)
    assert lock.holder_of(warehouse) is None

    build_in_process(setup.raw, warehouse)
    assert_equals_clean_build(warehouse, setup.clean)


def test_three_builds_at_once_each_exit_0_or_75_and_the_warehouse_equals_a_clean_build(setup, tmp_path):
    import shutil

    warehouse = tmp_path / "warehouse"
    shutil.copytree(setup.previous, warehouse)
    commands = [[sys.executable, "-m", "cli", "build", "--raw", str(setup.raw), "--warehouse", str(warehouse),
                 *extra] for extra in ([], ["--full"], [])]
    started = [subprocess.Popen(command, cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for command in commands]
    results = [(process.pid, process.returncode, err) for process in started
               for _, err in [process.communicate(timeout=600)]]

    codes = [code for _, code, _ in results]
    assert set(codes) <= {0, lock.EXIT_LOCKED} and 0 in codes, [(c, e[-2000:]) for _, c, e in results]
    pids = {pid for pid, _, _ in results}
    for pid, code, err in results:
        assert "Traceback" not in err, err[-3000:]
        if code == lock.EXIT_LOCKED:
            lines = said(err)
            assert len(lines) == 1 and "is locked by pid" in lines[0], lines
            holder = int(lines[0].split("is locked by pid ")[1].split()[0])
            assert holder in pids - {pid}
    # The build that held the lock did all the work: the warehouse is what one clean build gives.
    assert_equals_clean_build(warehouse, setup.clean)
