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


# INTEGER in the contract is DuckDB's 32-bit INTEGER; Parquet Int32 reads back as exactly that.
TYPES: dict[str, LogicalType] = {t.name: t for t in (
    LogicalType("string", pl.Utf8(), "VARCHAR", "string", "string"),
    LogicalType("integer", pl.Int32(), "INTEGER", "integer", "integer (32-bit)"),
    LogicalType("number", pl.Float64(), "DOUBLE", "number", "number (double)"),
    LogicalType("date", pl.Date(), "DATE", "date", "date"),
    LogicalType("datetime", pl.Datetime("us", "UTC"), "TIMESTAMPTZ", "datetime", "timestamp (UTC)"),
    LogicalType("boolean", pl.Boolean(), "BOOLEAN", "boolean", "boolean"),
    LogicalType("list[string]", pl.List(pl.Utf8()), "VARCHAR[]", "array", "list of strings"),
)}
