"""Parquet storage of every table: atomic writes, Hive-style batch partitions, reads.

Layout: public tables under `<warehouse>/parquet/<table>/`, staging tables under
`<warehouse>/staging/<table>/`; a partitioned table has one folder per batch,
`batch=<percent-encoded name>/part-0.parquet`. Each file is written beside its
final place and renamed over it, so a reader (or a crash) never sees half a file.
The run that wrote a file is kept in its Parquet key-value metadata, which lets
an incremental build tell which partitions are already up to date.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

import polars as pl
import pyarrow.parquet as pq

from pipeline.faults import crash_point
from schemas import REGISTRY, Table
from schemas.polars_types import conform, empty_frame

PART_FILE = "part-0.parquet"
RUN_ID_KEY = b"nhs_ledger.run_id"
TABLE_KEY = b"nhs_ledger.table"


def table_dir(warehouse: Path, table_name: str) -> Path:
    table = REGISTRY[table_name]
    return warehouse / ("parquet" if table.public else "staging") / table_name


def partition_dir(warehouse: Path, table_name: str, batch: str) -> Path:
    return table_dir(warehouse, table_name) / f"batch={quote(batch, safe='')}"


def _sorted_for_storage(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    # A stable row order makes a rebuild of the same inputs byte-identical.
    return frame.sort(list(table.primary_key), nulls_last=True, maintain_order=True)


def _write_atomically(frame: pl.DataFrame, target: Path, metadata: dict[bytes, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    arrow = frame.to_arrow()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **metadata})
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=target.parent)
    os.close(fd)
    try:
        pq.write_table(arrow, tmp_name, compression="zstd", write_statistics=True)
        with open(tmp_name, "rb") as handle:
            os.fsync(handle.fileno())
        crash_point("write")
        os.replace(tmp_name, target)
        crash_point("written")
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_partition(warehouse: Path, table_name: str, batch: str, frame: pl.DataFrame, run_id: str) -> Path:
    """Replace one batch's partition of a table with `frame` (which may include the batch column)."""
    table = REGISTRY[table_name]
    if table.partition_by is None:
        raise ValueError(f"{table_name} is not partitioned")
    stored = _sorted_for_storage(conform(frame, table, stored_only=True), table)
    target = partition_dir(warehouse, table_name, batch) / PART_FILE
    _write_atomically(stored, target, {RUN_ID_KEY: run_id.encode(), TABLE_KEY: table_name.encode()})
    return target


def write_table(warehouse: Path, table_name: str, frame: pl.DataFrame) -> Path:
    """Replace an unpartitioned table."""
    table = REGISTRY[table_name]
    if table.partition_by is not None:
        raise ValueError(f"{table_name} is partitioned by {table.partition_by}; use write_partition")
    stored = _sorted_for_storage(conform(frame, table), table)
    target = table_dir(warehouse, table_name) / PART_FILE
    _write_atomically(stored, target, {TABLE_KEY: table_name.encode()})
    return target


def list_partitions(warehouse: Path, table_name: str) -> list[str]:
    root = table_dir(warehouse, table_name)
    if not root.is_dir():
        return []
    return sorted(
        unquote(child.name.removeprefix("batch="))
        for child in root.iterdir()
        if child.name.startswith("batch=") and (child / PART_FILE).is_file()
    )


def partition_run_id(warehouse: Path, table_name: str, batch: str) -> str | None:
    path = partition_dir(warehouse, table_name, batch) / PART_FILE
    if not path.is_file():
        return None
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(RUN_ID_KEY)
    return value.decode() if value else None


def partition_rows(warehouse: Path, table_name: str, batch: str) -> int:
    """Row count from the Parquet footer, without reading the data."""
    path = partition_dir(warehouse, table_name, batch) / PART_FILE
    return pq.read_metadata(path).num_rows if path.is_file() else 0


def drop_partition(warehouse: Path, table_name: str, batch: str) -> None:
    """Remove a batch's partition: renamed away first, so the table never shows half of it."""
    path = partition_dir(warehouse, table_name, batch)
    if not path.exists():
        return
    doomed = path.with_name(f".deleting-{path.name}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def read_partition(warehouse: Path, table_name: str, batch: str) -> pl.DataFrame:
    table = REGISTRY[table_name]
    path = partition_dir(warehouse, table_name, batch) / PART_FILE
    if not path.is_file():
        return empty_frame(table)
    frame = pl.read_parquet(path)
    return conform(frame.with_columns(pl.lit(batch).alias("batch")), table)


def read_table(warehouse: Path, table_name: str, columns: list[str] | None = None) -> pl.DataFrame:
    """The whole table, with the batch column restored from the partition folders."""
    table = REGISTRY[table_name]
    if table.partition_by is None:
        path = table_dir(warehouse, table_name) / PART_FILE
        frame = conform(pl.read_parquet(path), table) if path.is_file() else empty_frame(table)
    else:
        parts = [read_partition(warehouse, table_name, b) for b in list_partitions(warehouse, table_name)]
        frame = pl.concat(parts, how="vertical") if parts else empty_frame(table)
    return frame.select(columns) if columns else frame
