"""The release's data files: one zstd Parquet file per public table, read from the DuckDB file.

Tables come from the DuckDB file, not the Parquet partitions, because the DuckDB
file is only rebuilt when every contract check passed: a release never carries
rows that failed a check. Rows are sorted by primary key and written with fixed
writer settings and no run-dependent metadata, so the same warehouse always
gives byte-identical files (and so identical checksums) whatever the version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
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
# zstd's own default: level 9 made the files 8-11% smaller at three times the writing time (on 100,000 articles,
# 6 s of a release against 2 s), and the files are a small part of a release's archive beside its SQLite edition.
ZSTD_LEVEL = 3
# Rows read from DuckDB at a time, and so rows per row group of a data file.
EXPORT_BATCH_ROWS = 131_072
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
    return pl.concat(list(read_released_batches(connection, table)), rechunk=False)


def read_released_batches(connection: duckdb.DuckDBPyConnection, table: Table) -> Iterator[pl.DataFrame]:
    """The table's rows in primary-key order, EXPORT_BATCH_ROWS at a time (at least one frame, maybe empty)."""
    check_columns(connection, table)
    columns = ", ".join(sql_identifier(f.name) for f in table.fields)
    order = ", ".join(sql_identifier(c) for c in table.primary_key)
    reader = connection.sql(f"SELECT {columns} FROM {sql_identifier(table.name)} ORDER BY {order}"
                            ).to_arrow_reader(EXPORT_BATCH_ROWS)
    empty = True
    for batch in reader:
        empty = False
        yield conform(pl.from_arrow(batch), table)
    if empty:
        yield conform(pl.from_arrow(reader.schema.empty_table()), table)


def write_parquet(frame: pl.DataFrame, target: Path, table_name: str) -> None:
    write_parquet_batches([frame], target, table_name)


def write_parquet_batches(frames: Iterable[pl.DataFrame], target: Path, table_name: str) -> int:
    """The frames (one schema) as one Parquet file, a row group per frame; the rows written. The writer's
    settings are fixed, so the same rows in the same frames give the same bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    writer, rows = None, 0
    try:
        for frame in frames:
            arrow = frame.to_arrow()
            if writer is None:
                schema = arrow.schema.with_metadata({**(arrow.schema.metadata or {}), TABLE_KEY: table_name.encode()})
                writer = pq.ParquetWriter(target, schema, compression="zstd", compression_level=ZSTD_LEVEL,
                                          write_statistics=True)
            if frame.height:
                writer.write_table(arrow.replace_schema_metadata(schema.metadata), row_group_size=frame.height)
            rows += frame.height
    finally:
        if writer is not None:
            writer.close()
    return rows


def export_table(connection: duckdb.DuckDBPyConnection, table: Table, release_dir: Path, *,
                 include_body_text: bool, keep: bool = False) -> tuple[ExportedTable, pl.DataFrame | None]:
    """Write one table's file, streamed from DuckDB a batch at a time (only one batch of a large table is in
    memory); returns what was written and, when `keep`, the rows (the diff and counts reuse them)."""
    released = released_table(table, include_body_text=include_body_text)
    relative = Path(DATA_DIR) / f"{table.name}.parquet"
    kept: list[pl.DataFrame] = []

    def batches() -> Iterator[pl.DataFrame]:
        for frame in read_released_batches(connection, released):
            if keep:
                kept.append(frame)
            yield frame

    rows = write_parquet_batches(batches(), release_dir / relative, table.name)
    return ExportedTable(released, relative, rows), pl.concat(kept, rechunk=False) if keep else None


def newest_run(connection: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the newest run finished: the release's `created`, so releasing one warehouse twice gives one package."""
    (value,) = connection.execute(f"SELECT max(finished_at) FROM {sql_identifier(REGISTRY['runs'].name)}").fetchone()
    return value


def code_versions(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The code versions that built the warehouse's data, from its runs."""
    rows = connection.execute(
        f"SELECT DISTINCT code_version FROM {sql_identifier(REGISTRY['runs'].name)} ORDER BY 1").fetchall()
    return [value for (value,) in rows if value]
