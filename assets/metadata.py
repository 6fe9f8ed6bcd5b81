"""Materialisation metadata shared by every asset: row count, column schema, a markdown preview.

A stored table's metadata comes from its Parquet footers (the row count) and the first rows of one file (the
preview), so it costs the same for a run of one batch as for a run of a hundred.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow.parquet as pq

from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import POLARS_TYPES

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 60


@dataclass(frozen=True)
class StoredRows:
    """What the metadata says of rows left on disk: how many, and the first few."""
    count: int
    head: pl.DataFrame


def column_schema(table_name: str) -> dg.TableSchema:
    table = REGISTRY[table_name]
    return dg.TableSchema(columns=[
        dg.TableColumn(
            name=f.name,
            type=f.type,
            description=f.description + (f" Unit: {f.unit}." if f.unit else ""),
            constraints=dg.TableColumnConstraints(nullable=f.nullable, unique=f.unique),
        )
        for f in table.fields
    ])

def definition_metadata(table_name: str) -> dict:
    return {"dagster/column_schema": column_schema(table_name)}


def table_spec(table_name: str, **spec) -> dg.AssetSpec:
    """The asset of one registry table: its description and column schema come from the registry, so the UI
    says of a table what the contract, the DuckDB comments and the data dictionary say."""
    return dg.AssetSpec(table_name, description=REGISTRY[table_name].description,
                        metadata=definition_metadata(table_name), **spec)

def markdown_preview(frame: pl.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    if frame.height == 0:
        return "_(no rows)_"
    head = frame.head(rows)

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("\n", " ").replace("|", "\\|")
        return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"

    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()]
    return "\n".join(lines)


def stored_files(warehouse: Path, table_name: str, batches: list[str] | None = None) -> list[tuple[str | None, Path]]:
    """(batch, file) of a stored table: the partitions of `batches` (every partition when None) that exist, in
    batch order, or the one file of an unpartitioned table."""
    if REGISTRY[table_name].partition_by is None:
        path = store.table_dir(warehouse, table_name) / store.PART_FILE
        return [(None, path)] if path.is_file() else []
    stored = store.list_partitions(warehouse, table_name)
    wanted = stored if batches is None else sorted(set(batches) & set(stored))
    return [(batch, store.partition_dir(warehouse, table_name, batch) / store.PART_FILE) for batch in wanted]


def stored_rows(warehouse: Path, table_name: str, batches: list[str] | None = None, *,
                hidden_columns: tuple[str, ...] = ()) -> StoredRows:
    """The row count of a table's `batches` (all of them when None) from the Parquet footers, and its first
    PREVIEW_ROWS rows (from as few files as hold them), without `hidden_columns`."""
    files = [(batch, path, pq.read_metadata(path).num_rows) for batch, path in stored_files(warehouse, table_name,
                                                                                              batches)]
    return StoredRows(sum(rows for _, _, rows in files), _head(table_name, files, hidden_columns))


def _head(table_name: str, files: list[tuple[str | None, Path, int]], hidden_columns: tuple[str, ...]) -> pl.DataFrame:
    table = REGISTRY[table_name]
    shown = {f.name: POLARS_TYPES[f.type] for f in table.fields if f.name not in hidden_columns}
    stored = [name for name in shown if name != table.partition_by]
    parts, wanted = [], PREVIEW_ROWS
    for batch, path, rows in files:
        if wanted <= 0:
            break
        if rows:
            part = pl.read_parquet(path, columns=stored, n_rows=wanted)
            if table.partition_by in shown:
                part = part.with_columns(pl.lit(batch).alias(table.partition_by))
            parts.append(part.select([pl.col(name).cast(dtype) for name, dtype in shown.items()]))
            wanted -= part.height
    return pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=shown)


def stored_columns(warehouse: Path, table_name: str, columns: list[str]) -> pl.DataFrame:
    """Named columns of every row of a stored table, read from each file without the others (for a chart)."""
    table = REGISTRY[table_name]
    schema = {name: POLARS_TYPES[table.field(name).type] for name in columns}
    stored = [name for name in columns if name != table.partition_by]
    parts = [pl.read_parquet(path, columns=stored).with_columns(pl.lit(batch).alias("batch"))
             .select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
             for batch, path in stored_files(warehouse, table_name)]
    return pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=schema)


def table_metadata(table_name: str, rows: pl.DataFrame | StoredRows, **extra) -> dict:
    """Metadata of a table's rows: a frame in memory, or the `stored_rows` of rows on disk."""
    count, head = (rows.count, rows.head) if isinstance(rows, StoredRows) else (rows.height, rows)
    return {
        "dagster/row_count": dg.MetadataValue.int(count),
        "dagster/column_schema": column_schema(table_name),
        "preview": dg.MetadataValue.md(markdown_preview(head)),
        **extra,
    }
