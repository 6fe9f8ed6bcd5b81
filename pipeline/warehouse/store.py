"""Parquet storage of every table: atomic writes, Hive-style batch partitions, reads.

Layout: public tables under `<warehouse>/parquet/<table>/`, staging tables under
`<warehouse>/staging/<table>/`; a partitioned table has one folder per batch,
`batch=<percent-encoded name>/part-0.parquet`. Each file is written beside its
final place and renamed over it, so a reader (or a crash) never sees half a file.
The run that wrote a file is kept in its Parquet key-value metadata, which lets
an incremental build tell which partitions are already up to date. Footers are
remembered per process against the file's stat, so a second look is a `stat`.

Sidecars are small JSON files under `<warehouse>/staging/<kind>/`, one per batch,
that remember what was derived from a batch's partitions (the register's inputs,
what a published partition was written from) so that a build only redoes the
batches that changed. They are deterministic (sorted keys, no times) and written
beside their final place and renamed, like the tables.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.faults import crash_point
from pipeline.warehouse import atomic
from pipeline.warehouse.layout import PART_FILE, Warehouse, batch_of_folder_name
from schemas import REGISTRY, Table
from schemas.polars_types import conform, empty_frame, polars_schema

RUN_ID_KEY = b"nhs_ledger.run_id"
TABLE_KEY = b"nhs_ledger.table"


def table_dir(warehouse: Path, table_name: str) -> Path:
    return Warehouse.at(warehouse).table_dir(table_name)


def partition_dir(warehouse: Path, table_name: str, batch: str) -> Path:
    return Warehouse.at(warehouse).partition_dir(table_name, batch)


def _sorted_for_storage(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    # A stable row order makes a rebuild of the same inputs byte-identical.
    return frame.sort(list(table.primary_key), nulls_last=True, maintain_order=True)


def _write_atomically(frame: pl.DataFrame, target: Path, metadata: dict[bytes, bytes]) -> None:
    arrow = frame.to_arrow()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **metadata})
    with atomic.replacing(target, suffix=".parquet", point="write") as temporary:
        pq.write_table(arrow, temporary, compression="zstd", write_statistics=True)
    with atomic.as_machine_fault(target):
        crash_point("written", target)


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
        batch_of_folder_name(child.name.removeprefix("batch="))
        for child in root.iterdir()
        if child.name.startswith("batch=") and (child / PART_FILE).is_file()
    )


@dataclass(frozen=True)
class Footer:
    """What a partition's Parquet footer says about it, with the file's size: enough to tell whether a file
    derived from it is still current, without reading the data."""
    run_id: str | None
    num_rows: int
    size_bytes: int

    def as_json(self) -> list:
        return [self.run_id, self.num_rows, self.size_bytes]


_FOOTERS: dict[tuple, Footer] = {}
_MAX_FOOTERS = 200_000


def partition_footer(warehouse: Path, table_name: str, batch: str) -> Footer | None:
    """The footer of a batch's partition (None when it has none), remembered against the file's stat: every
    write is a rename of a new file, so a rewritten partition has a new inode."""
    path = partition_dir(warehouse, table_name, batch) / PART_FILE
    try:
        info = os.stat(path)
    except OSError:
        return None
    key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    footer = _FOOTERS.get(key)
    if footer is None:
        metadata = pq.read_metadata(path)
        value = (metadata.metadata or {}).get(RUN_ID_KEY)
        footer = Footer(value.decode() if value else None, metadata.num_rows, info.st_size)
        if len(_FOOTERS) >= _MAX_FOOTERS:
            _FOOTERS.clear()
        _FOOTERS[key] = footer
    return footer


def partition_run_id(warehouse: Path, table_name: str, batch: str) -> str | None:
    footer = partition_footer(warehouse, table_name, batch)
    return footer.run_id if footer else None


def partition_rows(warehouse: Path, table_name: str, batch: str) -> int:
    """Row count from the Parquet footer, without reading the data."""
    footer = partition_footer(warehouse, table_name, batch)
    return footer.num_rows if footer else 0


def table_rows(warehouse: Path, table_name: str) -> int:
    """Row count of a whole table, from the footers."""
    if REGISTRY[table_name].partition_by is None:
        path = table_dir(warehouse, table_name) / PART_FILE
        return pq.read_metadata(path).num_rows if path.is_file() else 0
    return sum(partition_rows(warehouse, table_name, b) for b in list_partitions(warehouse, table_name))


def drop_partition(warehouse: Path, table_name: str, batch: str) -> None:
    """Remove a batch's partition: renamed away first, so the table never shows half of it."""
    path = partition_dir(warehouse, table_name, batch)
    if not path.exists():
        return
    doomed = path.with_name(f".deleting-{path.name}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def read_partition(warehouse: Path, table_name: str, batch: str, columns: list[str] | None = None) -> pl.DataFrame:
    """A batch's partition with the batch column restored; only `columns` (stored ones) when given."""
    table = REGISTRY[table_name]
    path = partition_dir(warehouse, table_name, batch) / PART_FILE
    if columns is not None:
        types = polars_schema(table, stored_only=True)
        frame = pl.read_parquet(path, columns=columns) if path.is_file() else \
            pl.DataFrame(schema={c: types[c] for c in columns})
        return frame.select([pl.col(c).cast(types[c], strict=True) for c in columns])
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


def read_columns(warehouse: Path, table_name: str, columns: list[str]) -> pl.DataFrame:
    """Stored columns of a whole table (the rows of `read_table(...).select(columns)`), reading only those
    columns of the partitions that have rows."""
    table = REGISTRY[table_name]
    if table.partition_by is None:
        return read_table(warehouse, table_name, columns)
    types = {name: dtype for name, dtype in polars_schema(table, stored_only=True).items() if name in columns}
    parts = [pl.read_parquet(partition_dir(warehouse, table_name, b) / PART_FILE, columns=columns)
             for b in list_partitions(warehouse, table_name) if partition_rows(warehouse, table_name, b)]
    frame = pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=types)
    return frame.select([pl.col(name).cast(types[name], strict=True) for name in columns])


# ---------------------------------------------------------------------------------------------- sidecars

# The kinds of sidecar, each a folder of `staging/`: the digests of a batch's input files (`batches`), what its
# candidates say about each org key (`resolve`), what its published partitions were written from (`publish`).
DIGEST_INDEX, REGISTER_INPUTS, PUBLISH_STATE = "file_digests", "register_inputs", "publish_state"
SIDECARS = (DIGEST_INDEX, REGISTER_INPUTS, PUBLISH_STATE)


def sidecar_path(warehouse: Path, kind: str, batch: str) -> Path:
    return Warehouse.at(warehouse).sidecar(kind, batch)


def read_sidecar(warehouse: Path, kind: str, batch: str) -> dict | None:
    """A batch's sidecar of `kind`, or None when it has none or it cannot be read (then it is derived again)."""
    try:
        return json.loads(sidecar_path(warehouse, kind, batch).read_bytes())
    except (OSError, ValueError):
        return None


def write_sidecar(warehouse: Path, kind: str, batch: str, payload: dict, *, mtime_ns: int | None = None) -> None:
    """Write a sidecar atomically, with deterministic bytes; `mtime_ns` sets its modification time (the digest
    index of `batches` dates its entries by it)."""
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    atomic.write_bytes(sidecar_path(warehouse, kind, batch), data, mtime_ns=mtime_ns)


def drop_sidecar(warehouse: Path, kind: str, batch: str) -> None:
    sidecar_path(warehouse, kind, batch).unlink(missing_ok=True)


def list_sidecars(warehouse: Path, kind: str) -> list[str]:
    folder = Warehouse.at(warehouse).sidecar_dir(kind)
    if not folder.is_dir():
        return []
    return sorted(batch_of_folder_name(p.name.removesuffix(".json")) for p in folder.iterdir()
                  if p.name.endswith(".json") and not p.name.startswith("."))
