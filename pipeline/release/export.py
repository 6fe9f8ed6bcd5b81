"""The release's data files: one zstd Parquet file per public table, read from the DuckDB file.

Tables come from the DuckDB file, not the Parquet partitions, because the DuckDB
file is only rebuilt when every contract check passed: a release never carries
rows that failed a check. Rows are sorted by primary key and written with fixed
writer settings and no run-dependent metadata, so the same warehouse always
gives byte-identical files (and so identical checksums) whatever the version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from pipeline.release.version import ReleaseError
from pipeline.publish.database import sql_identifier
from schemas import REGISTRY
from schemas.polars_types import conform
from schemas.registry import Table

DATA_DIR = "data"
# Left out unless asked for: the articles' text belongs to their publishers.
PUBLISHER_TEXT_COLUMNS = {"articles": ("body_text",)}
ZSTD_LEVEL = 9
TABLE_KEY = b"nhs_ledger.table"


@dataclass(frozen=True)
class ExportedTable:
    table: Table  # the release's view of the table: without left-out columns
    path: Path  # relative to the release folder
    rows: int


def released_table(table: Table, *, include_body_text: bool) -> Table:
    """The table as released: the registry's fields less the publishers' text, unpartitioned."""
    dropped = () if include_body_text else PUBLISHER_TEXT_COLUMNS.get(table.name, ())
    fields = tuple(f for f in table.fields if f.name not in dropped)
    description = table.description
    if dropped:
        description += " Left out of this release: " + ", ".join(f"`{name}`" for name in dropped) + \
            " (the publishers' text)."
    # In a release the batch is an ordinary column: one file per table, no Hive folders.
    return Table(name=table.name, description=description, fields=fields, primary_key=table.primary_key,
                 foreign_keys=table.foreign_keys, partition_by=None, public=True)


def check_columns(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    """One clear error when the DuckDB file predates the registry (a table or column added since)."""
    present = {name for (name,) in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
        [table.name]).fetchall()}
    missing = [f.name for f in table.fields if f.name not in present]
    if missing:
        what = f"table {table.name}" if not present else f"{table.name} columns {', '.join(missing)}"
        raise ReleaseError(f"the DuckDB file has no {what}: it predates this code; rebuild the warehouse "
                           "(nhs-ledger build) before releasing")


def read_released(connection: duckdb.DuckDBPyConnection, table: Table) -> pl.DataFrame:
    check_columns(connection, table)
    columns = ", ".join(sql_identifier(f.name) for f in table.fields)
    order = ", ".join(sql_identifier(c) for c in table.primary_key)
    frame = connection.sql(f"SELECT {columns} FROM {sql_identifier(table.name)} ORDER BY {order}").pl()
    return conform(frame, table)


def write_parquet(frame: pl.DataFrame, target: Path, table_name: str) -> None:
    arrow = frame.to_arrow()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), TABLE_KEY: table_name.encode()})
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(arrow, target, compression="zstd", compression_level=ZSTD_LEVEL, write_statistics=True)


def export_table(connection: duckdb.DuckDBPyConnection, table: Table, release_dir: Path, *,
                 include_body_text: bool) -> tuple[ExportedTable, pl.DataFrame]:
    """Write one table's file; returns what was written and the frame (the diff and counts reuse it)."""
    released = released_table(table, include_body_text=include_body_text)
    frame = read_released(connection, released)
    relative = Path(DATA_DIR) / f"{table.name}.parquet"
    write_parquet(frame, release_dir / relative, table.name)
    return ExportedTable(released, relative, frame.height), frame


def newest_run(connection: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the newest run finished: the release's `created`, so releasing one warehouse twice gives one package."""
    (value,) = connection.execute(f"SELECT max(finished_at) FROM {sql_identifier(REGISTRY['runs'].name)}").fetchone()
    return value


def code_versions(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The code versions that built the warehouse's data, from its runs."""
    rows = connection.execute(
        f"SELECT DISTINCT code_version FROM {sql_identifier(REGISTRY['runs'].name)} ORDER BY 1").fetchall()
    return [value for (value,) in rows if value]
