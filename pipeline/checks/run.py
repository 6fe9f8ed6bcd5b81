"""The entry points: every check of a table, of a set of tables in memory, or of a warehouse's Parquet files.

The same functions run as Dagster asset checks (assets/checks.py), in `nhs-ledger build`'s summary and in the
tests. Which checks a table has follows from its declaration in `schemas/` (see `derived.py`) and from the
hand-written invariants (`invariants.py`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

import pipeline.checks.cache as pass_cache
import pipeline.checks.passes as passes
from pipeline.checks.cache import PassCache
from pipeline.checks.derived import derived_key_checks, referenced_tables
from pipeline.checks.invariants import table_invariants
from pipeline.checks.passes import partitioned_checks
from pipeline.checks.results import CheckResult
from pipeline.checks.schema import schema_check
from pipeline.checks.sources import FrameTables, StoredTables, Tables
from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import empty_frame


def _whole_checks(table: str, frame: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    return [schema_check(table, frame), *derived_key_checks(table, frame, tables),
            *table_invariants(table, frame, tables)]


def _whole_table_checks(table: str):
    """The checks of a table that spans every batch; such tables are small (one row per body, per run, per
    figure) and are checked whole."""
    def checks(frames: dict[str, pl.DataFrame]) -> list[CheckResult]:
        return _whole_checks(table, frames[table], FrameTables(frames))
    return checks


class _Beside(Tables):
    """A table in memory, and the warehouse's other tables as stored."""

    def __init__(self, table: str, frame: pl.DataFrame, stored: Tables):
        self.table, self.frame, self.stored = table, frame, stored

    def columns(self, table: str, columns: list[str]) -> pl.DataFrame:
        return self.frame.select(columns) if table == self.table else self.stored.columns(table, columns)


def _in_memory(table: str):
    """The checks of a partitioned table on frames in memory: one part, never cached."""
    def checks(frames: dict[str, pl.DataFrame]) -> list[CheckResult]:
        return partitioned_checks(table, FrameTables(frames), PassCache(None), passes.CHUNK_BYTES)
    return checks


# For each public table: the tables its checks read, and the checks over frames in memory.
TABLE_CHECKS = {
    spec.name: ((spec.name, *referenced_tables(spec.name)),
                _whole_table_checks(spec.name) if spec.partition_by is None else _in_memory(spec.name))
    for spec in REGISTRY.public()
}
PUBLIC_TABLES = tuple(TABLE_CHECKS)


def table_checks(table: str, tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    # A table the caller did not pass is an empty one (as an unwritten table reads back).
    needs = TABLE_CHECKS[table][0]
    tables = {**{name: empty_frame(REGISTRY[name]) for name in needs if name not in tables}, **tables}
    return TABLE_CHECKS[table][1](tables)


def stored_table_checks(warehouse: Path, table: str, *, use_cache: bool = True) -> list[CheckResult]:
    """A table's checks on the warehouse's Parquet files, in bounded memory (see `passes.py`)."""
    if REGISTRY[table].partition_by is not None:
        cache = PassCache.load(warehouse if use_cache else None, table, pass_cache.rules_version())
        return partitioned_checks(table, StoredTables(warehouse), cache, passes.CHUNK_BYTES)
    # The tables that span every batch are small (one row per body, per run, per figure): read whole; the tables
    # they refer to are read a few key columns at a time.
    frame = store.read_table(warehouse, table)
    return _whole_checks(table, frame, _Beside(table, frame, StoredTables(warehouse)))


def contract_checks(tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    """Every invariant of CONTRACT.md over a set of public tables."""
    return [result for table in TABLE_CHECKS for result in table_checks(table, tables)]


def warehouse_checks(warehouse: Path, *, use_cache: bool = True) -> list[CheckResult]:
    return [result for table in TABLE_CHECKS for result in stored_table_checks(warehouse, table, use_cache=use_cache)]
