"""Faults of the machine (issue 13): a full disk at each write point, raw files that cannot be read or vanish,
and readers that keep their snapshot while a build replaces the files under them.

A full disk is simulated at the fault points of `pipeline/faults.py` (`<point>:<n>=enospc` raises the OSError
a full disk raises), counted on a traced build of the same work (the fixture shared with
`tests/test_crash_safety.py`).
"""

from __future__ import annotations

import builtins
import io
import pathlib
import shutil
import subprocess
import sys

import polars as pl
import pytest

from cli.main import main
from pipeline import faults
from pipeline.publish.database import last_build
from pipeline.warehouse import store
from tests.support.messages import said
from tests.support.warehouse_tables import duckdb_tables
from tests.test_crash_safety import ROOT, SAMPLE, build_in_process, crash_spec, setup
from tests.test_interrupts import assert_equals_clean_build, temp_files

pytestmark = pytest.mark.slow
__all__ = ["setup"]  # the shared fixture, imported for pytest to find

WRITE_POINTS = ["first-write", "middle-written", "last_but_one-write", "first-record", "last_but_one-record",
                "before_rename-duckdb"]


@pytest.mark.parametrize("where", WRITE_POINTS)
def test_a_full_disk_at_any_write_loses_nothing(where, setup, tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(setup.previous, warehouse)
    before = last_build(warehouse)
    spec = f"{crash_spec(where, setup.trace)}=enospc"
    monkeypatch.setenv(faults.CRASH_ENV, spec)
    faults.reset()
    capsys.readouterr()

    assert main(["build", "--raw", str(setup.raw), "--warehouse", str(warehouse)]) == 1, spec
    err = capsys.readouterr().err
    lines = said(err)
    assert len(lines) == 1 and "Traceback" not in err, (spec, err[-3000:])
    assert lines[0].startswith("nhs-ledger: error: build failed: no space left on the device writing /"), lines
    assert lines[0].endswith(f"; the warehouse is unchanged since {before}"), lines
    for name, frame in duckdb_tables(warehouse).items():
        assert frame.equals(setup.previous_duckdb[name]), (spec, name)
    assert temp_files(warehouse) == [], spec

    monkeypatch.delenv(faults.CRASH_ENV)
    faults.reset()
    build_in_process(setup.raw, warehouse)  # space again: the next build completes
    assert_equals_clean_build(warehouse, setup.clean)


def _failing_open(victim: pathlib.Path, fault):
    """`open` and `Path.open` as they are, but `fault(path)` first when the victim is opened."""
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def check(file):
        if isinstance(file, (str, pathlib.Path)) and pathlib.Path(file).resolve() == victim.resolve():
            fault(victim)

    def patched_open(file, *args, **kwargs):
        check(file)
        return real_open(file, *args, **kwargs)

    def patched_path_open(self, *args, **kwargs):
        check(self)
        return real_path_open(self, *args, **kwargs)

    return patched_open, patched_path_open


def _deny(path):
    raise PermissionError(13, "Permission denied", str(path))


def _denied(victim, monkeypatch):
    """The file's mode forbids reading it (simulated: root, as CI runs, reads any file), at every open."""
    patched_open, patched_path_open = _failing_open(victim, _deny)
    monkeypatch.setattr(builtins, "open", patched_open)
    monkeypatch.setattr(io, "open", patched_open)
    monkeypatch.setattr(pathlib.Path, "open", patched_path_open)


def _vanishing(victim, monkeypatch):
    """The file is deleted after the ingest listed it, just before the reader opens it."""
    from pipeline.ingest import readers

    real_read = readers._read_bytes

    def read_after_a_delete(raw, limit):
        if raw.path.resolve() == victim.resolve():
            victim.unlink()
        return real_read(raw, limit)

    monkeypatch.setattr(readers, "_read_bytes", read_after_a_delete)


@pytest.mark.parametrize("fault, detail", [(_denied, "Permission denied"), (_vanishing, "No such file or directory")])
def test_a_raw_file_that_cannot_be_read_when_its_turn_comes_is_a_rejected_input(fault, detail, tmp_path,
                                                                                monkeypatch, capsys):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(SAMPLE, raw)
    victim = raw / "2025-06" / "northampton-trust-deficit.txt"
    fault(victim, monkeypatch)

    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    monkeypatch.undo()
    rejected = store.read_table(warehouse, "rejected_inputs").filter(
        pl.col("source_path") == "2025-06/northampton-trust-deficit.txt")
    assert rejected.height == 1
    assert rejected["reason"][0] == "unreadable record" and detail in rejected["detail"][0]
    articles = set(store.read_table(warehouse, "articles")["source_path"])
    assert "2025-06/northampton-trust-deficit.txt" not in articles
    assert "2025-06/stockport-ccg-savings-plan.txt" in articles  # one bad input stops nothing else


READER = """
import sys, duckdb, pyarrow.parquet as pq
connection = duckdb.connect(sys.argv[1], read_only=True)
parquet = pq.ParquetFile(sys.argv[2])
def look():
    articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    savings = connection.execute("SELECT count(*), sum(amount_gbp) FROM savings").fetchone()
    print(articles, savings[0], savings[1], parquet.read().num_rows, flush=True)
look()
sys.stdin.readline()
look()
"""


def test_a_reader_keeps_its_snapshot_while_a_build_replaces_the_files(setup, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(setup.previous, warehouse)
    partition = store.partition_dir(warehouse, "articles", "2025-06") / "part-0.parquet"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse / "nhs_ledger.duckdb"), str(partition)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    first = reader.stdout.readline().split()
    assert first, reader.stderr.read()

    build_in_process(setup.raw, warehouse)  # new batch, an edited article: both files are replaced
    reader.stdin.write("again\n")
    reader.stdin.flush()
    second = reader.stdout.readline().split()
    reader.wait(timeout=60)

    assert reader.returncode == 0, reader.stderr.read()
    assert second == first  # the open connection and the open Parquet file still read the old snapshot
    now = duckdb_tables(warehouse)
    assert now["articles"].height > int(first[0])  # while a new reader sees the new warehouse
    assert pl.read_parquet(partition).height == int(first[3])  # (the edit changed a row, not their count)
