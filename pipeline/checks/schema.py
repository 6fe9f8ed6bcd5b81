"""The schema's rules, generated from the registry in `schemas/`: types, enums, patterns, bounds and nullability
on each row (by pandera), and the uniqueness rules, which span a whole table, on its key columns.

Both report under one check, `<table>_schema`; each failure names the column, the rule, the failing value and
the row's key.
"""

from __future__ import annotations

from functools import cache

import pandera
import pandera.errors
import polars as pl

from pipeline.checks.results import CheckResult, concat_failures
from schemas import REGISTRY
from schemas.pandera_models import pandera_schema


def schema_check(table: str, frame: pl.DataFrame) -> CheckResult:
    """Types, enums, patterns, bounds, nullability and uniqueness, generated from the registry.

    Each failure names the column, the rule, the failing value and the row's key."""
    failures = concat_failures([schema_row_failures(table, frame), uniqueness_failures(table, frame)])
    return schema_result(table, failures)


def schema_result(table: str, failures: pl.DataFrame) -> CheckResult:
    return CheckResult(f"{table}_schema", table, f"{table} matches its schema in schemas/", failures)


@cache
def _row_schema(table: str):
    """The table's pandera schema without its uniqueness rules, which span partitions (see `uniqueness_failures`)."""
    schema = pandera_schema(table)
    schema = schema.update_columns({name: {"unique": False} for name, column in schema.columns.items()
                                    if column.unique})
    schema.unique = None
    return schema


def schema_row_failures(table: str, frame: pl.DataFrame, first_index: int = 0) -> pl.DataFrame:
    """The schema's rules on each row of `frame`; `first_index` is the frame's first row's index in its table."""
    try:
        _row_schema(table).validate(frame, lazy=True)
        return pl.DataFrame()
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failures = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        failures = failures.select([c for c in ("column", "check", "failure_case", "index") if c in failures.columns])
        failures = failures.with_columns([pl.col(c).cast(pl.Utf8) for c in failures.columns])
        return _shift_index(_with_row_keys(table, frame, failures), first_index)
    except pandera.errors.SchemaError as exc:
        return pl.DataFrame({"column": [str(getattr(exc, "column_name", ""))], "check": [str(exc)]})


def uniqueness_failures(table: str, keys: pl.DataFrame) -> pl.DataFrame:
    """The schema's uniqueness rules over a whole table, reported as pandera reports them.

    `keys` needs only the table's unique columns and its primary key, in table order."""
    spec = REGISTRY[table]
    # (column, rule, the columns compared, the value reported); only duplicated rows are ever turned into text.
    rules = [(f.name, "field_uniqueness", [f.name], pl.col(f.name).cast(pl.Utf8)) for f in spec.fields if f.unique]
    if len(spec.primary_key) > 1:
        composite = list(spec.primary_key)
        rules.append((table, "multiple_fields_uniqueness", composite, pl.struct(composite).struct.json_encode()))
    found = []
    for column, check, compared, shown in rules:
        duplicated = keys.select(compared).is_duplicated()
        if duplicated.any():
            found.append(keys.with_row_index("index").filter(duplicated).select(
                pl.lit(column).alias("column"), pl.lit(check).alias("check"), shown.alias("failure_case"),
                pl.col("index").cast(pl.Utf8)))
    return _with_row_keys(table, keys, concat_failures(found))


def uniqueness_columns(table: str) -> list[str]:
    """The columns `uniqueness_failures` reads: the unique ones and the primary key, in table order."""
    spec = REGISTRY[table]
    wanted = {spec.primary_key[0], *(f.name for f in spec.fields if f.unique)}
    if len(spec.primary_key) > 1:
        wanted |= set(spec.primary_key)
    return [name for name in spec.field_names if name in wanted]


def _with_row_keys(table: str, frame: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """Each failure with the key of the row it is about (`index` is the row's position in `frame`)."""
    key = REGISTRY[table].primary_key[0]
    if "index" not in failures.columns or key not in frame.columns:
        return failures
    keys = frame.select(pl.col(key).cast(pl.Utf8).alias("row_key")).with_row_index("_position")
    return (failures.with_columns(pl.col("index").cast(pl.UInt32, strict=False).alias("_position"))
            .join(keys, on="_position", how="left", maintain_order="left").drop("_position"))


def _shift_index(failures: pl.DataFrame, offset: int) -> pl.DataFrame:
    if not offset or "index" not in failures.columns:
        return failures
    return failures.with_columns((pl.col("index").cast(pl.Int64) + offset).cast(pl.Utf8))
