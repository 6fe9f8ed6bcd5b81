"""Crash safety (issue 6, point 3): a build killed with SIGKILL leaves the previous warehouse whole and readable,
and the next build completes and equals a clean build.

The build runs as `nhs-ledger build` in a subprocess that kills itself at a chosen point (`pipeline/faults.py`,
environment variable NHS_LEDGER_CRASH_AT): before and after the rename of the first, a middle and the
last-but-one atomic Parquet write of the build, and in the DuckDB build after its transaction committed, before
the file is renamed into place. The writes are counted by a traced build of the same inputs first, so the points
follow the pipeline as it changes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from pipeline import faults
from pipeline.warehouse import store
from cli.main import main
from pipeline.publish.database import DUCKDB_FILE
from schemas import REGISTRY
from tests.support.warehouse_tables import RUN_TIMES, TIMESTAMPED, duckdb_tables

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"
NEW_PARAGRAPH = "\n\nNHS Kernow CCG said it must save £4.2m in 2025/26 and expects a deficit of £9m.\n"


@dataclass(frozen=True)
class Setup:
    raw: Path  # the sample plus a new batch and an edited article: the next build has work to do
    previous: Path  # the sample's warehouse: what a crash must leave readable
    previous_duckdb: dict[str, pl.DataFrame]
    clean: Path  # `raw` built into a fresh warehouse: what the build after a crash must equal
    trace: list[str]  # the crash points the next build passes, in order


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DAGSTER_HOME", faults.CRASH_ENV, faults.TRACE_ENV)}
    return env | extra


def run_build(raw: Path, warehouse: Path, **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cli", "build", "--raw", str(raw), "--warehouse", str(warehouse)]
    return subprocess.run(command, cwd=ROOT, env=cli_env(**env), capture_output=True, text=True, timeout=300)


def build_in_process(raw: Path, warehouse: Path) -> None:
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0


def add_work(raw: Path) -> None:
    """A new batch (2025-07's files, each article edited) and an edited article in an existing batch."""
    new_batch = raw / "2025-08"
    shutil.copytree(raw / "2025-07", new_batch)
    for path in sorted(new_batch.iterdir()):
        if path.suffix == ".txt":
            path.write_text(path.read_text(encoding="utf-8") + NEW_PARAGRAPH, encoding="utf-8")
        elif path.suffix == ".html":
            page = path.read_text(encoding="utf-8")
            assert "</body>" in page
            path.write_text(page.replace("</body>", f"<p>{NEW_PARAGRAPH.strip()}</p></body>"), encoding="utf-8")
    # JSON Lines records are left as they are: copies of 2025-07's, so they become duplicates.
    edited = sorted((raw / "2025-06").glob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + NEW_PARAGRAPH, encoding="utf-8")


def comparable(warehouse: Path, name: str) -> pl.DataFrame:
    frame = store.read_table(warehouse, name)
    if name == "runs":
        frame = frame.drop(*RUN_TIMES)
    return frame.sort(list(REGISTRY[name].primary_key), nulls_last=True)


def hidden(path: Path, warehouse: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(warehouse).parts)


def visible_files(warehouse: Path) -> dict[str, bytes]:
    """The files a reader sees (temp files and folders start with '.'), the timestamped ones left out."""
    return {path.relative_to(warehouse).as_posix(): path.read_bytes()
            for path in sorted(warehouse.rglob("*"))
            if path.is_file() and not hidden(path, warehouse) and path.name != DUCKDB_FILE
            and not path.relative_to(warehouse).as_posix().startswith(TIMESTAMPED)}


def assert_readers_ignore_temp_files(warehouse: Path) -> None:
    """What the store and the DuckDB build read never includes a temp file or a half-deleted partition."""
    from pipeline.publish.database import _parquet_files

    for name, table in REGISTRY.tables.items():
        for batch in store.list_partitions(warehouse, name):
            path = store.partition_dir(warehouse, name, batch)
            assert path.parent == store.table_dir(warehouse, name) and not path.name.startswith("."), path
        if table.public:
            for file in _parquet_files(warehouse, table):
                assert not hidden(Path(file), warehouse), file
        store.read_table(warehouse, name)  # every table reads


def assert_every_parquet_file_reads(warehouse: Path) -> None:
    for path in warehouse.rglob("*.parquet"):
        if not hidden(path, warehouse):
            pl.read_parquet(path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    root = tmp_path_factory.mktemp("crash")
    raw = root / "raw"
    shutil.copytree(SAMPLE, raw)
    previous = root / "previous"
    build_in_process(raw, previous)
    previous_duckdb = duckdb_tables(previous)
    add_work(raw)
    clean = root / "clean"
    build_in_process(raw, clean)
    # A traced run of the very build each case crashes: which points it passes, in order.
    traced, trace_file = root / "traced", root / "trace.txt"
    shutil.copytree(previous, traced)
    result = run_build(raw, traced, **{faults.TRACE_ENV: str(trace_file)})
    assert result.returncode == 0, result.stderr[-3000:]
    trace = trace_file.read_text(encoding="utf-8").split()
    assert trace.count("duckdb") == 1 and trace.count("write") == trace.count("written") >= 6, trace
    return Setup(raw, previous, previous_duckdb, clean, trace)


def crash_spec(case: str, trace: list[str]) -> str:
    """`first-write` -> `write:1`; the middle and the last-but-one are counted on the traced build."""
    where, _, point = case.partition("-")
    n = trace.count(point)
    occurrence = {"first": 1, "middle": (n + 1) // 2, "last_but_one": n - 1}[where] if point != "duckdb" else 1
    return f"{point}:{occurrence}"


CASES = ["first-write", "first-written", "middle-write", "middle-written", "last_but_one-write",
         "last_but_one-written", "before_rename-duckdb"]


@pytest.mark.parametrize("case", CASES)
def test_a_killed_build_leaves_the_previous_warehouse_readable_and_the_next_build_recovers(case, setup, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(setup.previous, warehouse)
    spec = crash_spec(case, setup.trace)

    crashed = run_build(setup.raw, warehouse, **{faults.CRASH_ENV: spec})

    assert crashed.returncode == -signal.SIGKILL, (spec, crashed.returncode, crashed.stderr[-3000:])
    # The user-facing warehouse is the previous one, whole: the DuckDB file is only ever replaced by a rename.
    assert duckdb_tables(warehouse).keys() == setup.previous_duckdb.keys()
    for name, frame in duckdb_tables(warehouse).items():
        assert frame.equals(setup.previous_duckdb[name]), (spec, name)
    # No half file anywhere, and what readers list never includes a temp file.
    assert_every_parquet_file_reads(warehouse)
    assert_readers_ignore_temp_files(warehouse)
    # Files half-way to their place: a Parquet file's `.tmp-*` beside it, the DuckDB file's `.building` copy (the
    # other hidden files, the DuckDB manifest and the check cache, are records of finished work and always there).
    leftovers = [p.relative_to(warehouse).as_posix() for p in warehouse.rglob(".*")
                 if p.name.startswith(".tmp-") or p.name.endswith(".building")]
    if spec.startswith(("write", "duckdb")):
        assert leftovers, f"{spec}: the build was killed before a rename, so its temp file should be there"

    # The next normal build completes, all checks pass, and it equals a clean build of the same raw folder.
    recovered = run_build(setup.raw, warehouse)
    assert recovered.returncode == 0, (spec, recovered.stdout, recovered.stderr[-3000:])
    assert "FAILED" not in recovered.stdout, recovered.stdout
    for name in REGISTRY.tables:
        assert comparable(warehouse, name).equals(comparable(setup.clean, name)), (spec, name)
    clean_duckdb = duckdb_tables(setup.clean)
    for name, frame in duckdb_tables(warehouse).items():
        assert frame.equals(clean_duckdb[name]), (spec, name)
    # Byte for byte, apart from the run times and the temp files the crash left (which no reader sees).
    mine, clean = visible_files(warehouse), visible_files(setup.clean)
    assert sorted(mine) == sorted(clean), spec
    assert [name for name in mine if mine[name] != clean[name]] == [], spec
    assert_readers_ignore_temp_files(warehouse)


# ------------------------------------------------------------------------------------------ the fault injector

def test_a_crash_spec_names_a_point_and_its_occurrence():
    assert faults.parse_spec("write:7, duckdb") == {"write": 7, "duckdb": 1}
    for bad in ("nowhere", "write:0", "write:x"):
        with pytest.raises(ValueError):
            faults.parse_spec(bad)


def test_crash_points_do_nothing_unless_asked(monkeypatch):
    monkeypatch.delenv(faults.CRASH_ENV, raising=False)
    monkeypatch.delenv(faults.TRACE_ENV, raising=False)
    for _ in range(3):
        faults.crash_point("write")


def test_a_crash_point_kills_the_process_at_the_named_occurrence(tmp_path):
    trace = tmp_path / "trace.txt"
    script = "from pipeline import faults\nfor i in range(5):\n    faults.crash_point('written')\n    print(i, flush=True)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=cli_env(**{faults.CRASH_ENV: "written:3", faults.TRACE_ENV: str(trace)}))
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.split() == ["0", "1"]
    assert trace.read_text().split() == ["written"] * 3
