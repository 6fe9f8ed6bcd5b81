"""Polars dtypes for the registry's logical types, and empty frames of a table's shape."""

from __future__ import annotations

import polars as pl

from schemas.registry import Table
from schemas.types import TYPES

# The polars column of each logical type (schemas/types.py holds every system's form).
POLARS_TYPES: dict[str, pl.DataType] = {name: t.polars for name, t in TYPES.items()}


def polars_schema(table: Table, *, stored_only: bool = False) -> pl.Schema:
    fields = table.stored_fields if stored_only else table.fields
    return pl.Schema({f.name: POLARS_TYPES[f.type] for f in fields})


def empty_frame(table: Table, *, stored_only: bool = False) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table, stored_only=stored_only))


def conform(frame: pl.DataFrame, table: Table, *, stored_only: bool = False) -> pl.DataFrame:
    """Select the table's columns in registry order and cast them to its types.

    Raises KeyError naming the missing columns, so a wrong frame fails loudly here
    rather than as a puzzling schema error later.
    """
    schema = polars_schema(table, stored_only=stored_only)
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise KeyError(f"{table.name}: frame lacks columns {missing}")
    return frame.select([pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items()])
