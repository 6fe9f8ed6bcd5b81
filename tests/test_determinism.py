"""Deterministic reruns (issue 6, point 2): the same raw folder gives the same rows, keys and Parquet bytes.

Each build runs `nhs-ledger build` in its own process with its own PYTHONHASHSEED, so anything that
depends on the order of a set or a dict of strings (which changes with the hash seed) shows up as a
difference. Only the `runs` table (when each run started and finished, the Dagster run that executed
it) and the staging run log that feeds it may differ.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pipeline.warehouse import store
from schemas import REGISTRY
from tests.support.warehouse_tables import RUN_TIMES, duckdb_tables, parquet_bytes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"


def start_build(raw: Path, warehouse: Path, *, hash_seed: int, full: bool = False) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "NHS_LEDGER_CRASH_AT")}
    env["PYTHONHASHSEED"] = str(hash_seed)
    command = [sys.executable, "-m", "cli", "build", "--raw", str(raw), "--warehouse", str(warehouse)]
    return subprocess.Popen(command + (["--full"] if full else []), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"build failed ({process.returncode}):\n{out}\n{err[-3000:]}"
    assert "FAILED" not in out, out
    return out


def build_all(*jobs: tuple[Path, Path, int, bool]) -> list[str]:
    """Run builds side by side (each into its own warehouse) and wait for all of them."""
    processes = [start_build(raw, warehouse, hash_seed=seed, full=full) for raw, warehouse, seed, full in jobs]
    return [finish(p) for p in processes]


def comparable(warehouse: Path, table_name: str) -> pl.DataFrame:
    frame = store.read_table(warehouse, table_name)
    if table_name == "runs":
        frame = frame.drop(*RUN_TIMES)
    key = list(REGISTRY[table_name].primary_key)
    return frame.sort(key, nulls_last=True)


def assert_same_tables(left: Path, right: Path) -> None:
    for name, table in REGISTRY.tables.items():
        a, b = comparable(left, name), comparable(right, name)
        key = list(table.primary_key)
        assert a.select(key).equals(b.select(key)), f"{name}: keys differ"
        assert a.equals(b), f"{name}: rows differ"
        if table.partition_by:
            assert store.list_partitions(left, name) == store.list_partitions(right, name), name


def assert_same_bytes(left: dict[str, bytes], right: dict[str, bytes]) -> None:
    assert sorted(left) == sorted(right), "the warehouses hold different files"
    differing = [name for name in left if left[name] != right[name]]
    assert differing == [], f"not byte-identical: {differing}"


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The sample copied to a fresh folder, built into two fresh warehouses by processes with different hash seeds."""
    root = tmp_path_factory.mktemp("determinism")
    raw = root / "raw"
    shutil.copytree(SAMPLE, raw)
    first, second = root / "first", root / "second"
    build_all((raw, first, 1, False), (raw, second, 2, False))
    return raw, first, second


def test_two_builds_of_the_same_raw_folder_give_the_same_rows_and_keys(sample_builds):
    _, first, second = sample_builds
    assert store.read_table(first, "savings").height > 0 and store.read_table(first, "deficits").height > 0
    assert_same_tables(first, second)


def test_two_builds_of_the_same_raw_folder_give_byte_identical_parquet(sample_builds):
    _, first, second = sample_builds
    first_files = parquet_bytes(first)
    assert any(name.startswith("parquet/savings/batch=") for name in first_files)
    assert any(name.startswith("staging/fact_candidates/batch=") for name in first_files)
    assert_same_bytes(first_files, parquet_bytes(second))


def test_the_duckdb_files_hold_the_same_tables(sample_builds):
    _, first, second = sample_builds
    a, b = duckdb_tables(first), duckdb_tables(second)
    assert sorted(a) == sorted(t.name for t in REGISTRY.public())
    for name in a:
        assert a[name].equals(b[name]), name


def test_a_rebuild_into_the_same_warehouse_changes_no_parquet_byte(sample_builds):
    """A second `build` (incremental: nothing changed) and a `build --full` (everything reprocessed) both
    leave every Parquet file as it was."""
    raw, first, second = sample_builds
    before_first, before_second = parquet_bytes(first), parquet_bytes(second)
    runs_before = store.read_table(first, "runs")
    build_all((raw, first, 3, False), (raw, second, 4, True))
    assert_same_bytes(before_first, parquet_bytes(first))
    assert_same_bytes(before_second, parquet_bytes(second))
    assert_same_tables(first, second)
    # Nothing changed, so the incremental rebuild processed no batch: its runs are the first build's.
    assert store.read_table(first, "runs").equals(runs_before)


def test_two_builds_of_the_devset_are_identical(shared_dir, tmp_path):
    """The same on the seed and devset articles: more bodies, facts and restatements than the sample has."""
    raw = tmp_path / "raw"
    articles = sorted([*(shared_dir / "seeds").glob("*.txt"), *(shared_dir / "devset" / "articles").glob("*.txt")])
    if not articles:
        pytest.skip("no seed or devset articles")
    for path in articles:
        batch = raw / ("seeds" if path.parent.name == "seeds" else "devset")
        batch.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, batch / path.name)
    first, second = tmp_path / "first", tmp_path / "second"
    build_all((raw, first, 5, False), (raw, second, 6, False))
    assert store.read_table(first, "savings").height > 10
    assert_same_tables(first, second)
    assert_same_bytes(parquet_bytes(first), parquet_bytes(second))
