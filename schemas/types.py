"""The registry's logical types and what each is in every system the registry renders to: the one type map.

A field's `type` names one of these; the polars schemas, the pandera models, the DuckDB DDL, the release's
data package and the data dictionary all read its form here, so a column has one type everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class LogicalType:
    name: str
    polars: pl.DataType
    duckdb: str
    frictionless: str
    described: str  # how the data dictionary names it
    # SQLite (the Datasette edition) has five storage classes: dates are ISO text, booleans 0 and 1, a list is a
    # JSON array, which Datasette shows and facets as one.
    sqlite: str


# INTEGER in the contract is DuckDB's 32-bit INTEGER; Parquet Int32 reads back as exactly that.
TYPES: dict[str, LogicalType] = {t.name: t for t in (
    LogicalType("string", pl.Utf8(), "VARCHAR", "string", "string", "TEXT"),
    LogicalType("integer", pl.Int32(), "INTEGER", "integer", "integer (32-bit)", "INTEGER"),
    # Counts that can pass two thousand million: the bytes of a month of a web archive.
    LogicalType("big integer", pl.Int64(), "BIGINT", "integer", "integer (64-bit)", "INTEGER"),
    LogicalType("number", pl.Float64(), "DOUBLE", "number", "number (double)", "REAL"),
    LogicalType("date", pl.Date(), "DATE", "date", "date", "TEXT"),
    LogicalType("datetime", pl.Datetime("us", "UTC"), "TIMESTAMPTZ", "datetime", "timestamp (UTC)", "TEXT"),
    LogicalType("boolean", pl.Boolean(), "BOOLEAN", "boolean", "boolean", "INTEGER"),
    LogicalType("list[string]", pl.List(pl.Utf8()), "VARCHAR[]", "array", "list of strings", "TEXT"),
)}
