"""Pandera (polars) schemas generated from the registry, one per table."""

from __future__ import annotations

from functools import cache

import pandera.polars as pa

from schemas.polars_types import POLARS_TYPES
from schemas.registry import Field, Table
from schemas.tables import REGISTRY


def _checks(field: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if field.enum is not None:
        checks.append(pa.Check.isin(list(field.enum), name=f"{field.name} in {list(field.enum)}"))
    if field.pattern is not None:
        checks.append(pa.Check.str_matches(field.pattern, name=f"{field.name} matches {field.pattern}"))
    if field.minimum is not None:
        if field.exclusive_minimum:
            checks.append(pa.Check.gt(field.minimum, name=f"{field.name} > {field.minimum:g}"))
        else:
            checks.append(pa.Check.ge(field.minimum, name=f"{field.name} >= {field.minimum:g}"))
    return checks


@cache
def pandera_schema(table_name: str, *, stored_only: bool = False) -> pa.DataFrameSchema:
    table: Table = REGISTRY[table_name]
    fields = table.stored_fields if stored_only else table.fields
    columns = {
        f.name: pa.Column(
            POLARS_TYPES[f.type],
            checks=_checks(f),
            nullable=f.nullable,
            unique=f.unique,
            description=f.description,
        )
        for f in fields
    }
    return pa.DataFrameSchema(
        columns,
        name=table.name,
        description=table.description,
        strict=True,
        ordered=True,
        unique=list(table.primary_key) if len(table.primary_key) > 1 else None,
    )
