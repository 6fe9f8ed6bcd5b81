"""A warehouse's DuckDB tables as polars frames, comparable across builds (run times set aside)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipeline.publish.database import DUCKDB_FILE, sql_identifier
from schemas import REGISTRY

# Files that record when things ran (the `runs` table, the staging run log): never byte-equal across builds.
TIMESTAMPED = ("parquet/runs/", "staging/run_log/")
# The columns of `runs` that record when and by which Dagster run a build happened: never equal across builds.
RUN_TIMES = ("started_at", "finished_at", "dagster_run_id")


def duckdb_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every table of the DuckDB file, opened read-only as a user would; the views must still resolve."""
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        frames = {}
        for name in names:
            frame = con.sql(f"SELECT * FROM {sql_identifier(name)}").pl()
            if name == "runs":
                frame = frame.drop(*RUN_TIMES)
            frames[name] = frame.sort(list(REGISTRY[name].primary_key), nulls_last=True)
        for (view,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            con.sql(f"SELECT count(*) FROM {sql_identifier(view)}").fetchall()
    return frames


def parquet_bytes(warehouse: Path) -> dict[str, bytes]:
    """Every file under parquet/ and staging/ (temp files included: there must be none) but the timestamped ones."""
    files = {}
    for folder in ("parquet", "staging"):
        for path in sorted((warehouse / folder).rglob("*")):
            relative = path.relative_to(warehouse).as_posix()
            if path.is_file() and not relative.startswith(TIMESTAMPED):
                files[relative] = path.read_bytes()
    return files


def assert_same_warehouse(left: Path, right: Path) -> None:
    """Two warehouses hold the same Parquet bytes (run times aside) and the same DuckDB tables."""
    a, b = parquet_bytes(left), parquet_bytes(right)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    tables_a, tables_b = duckdb_tables(left), duckdb_tables(right)
    assert sorted(tables_a) == sorted(tables_b)
    for name in tables_a:
        assert tables_a[name].equals(tables_b[name]), name
