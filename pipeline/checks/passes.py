"""The checks of a table partitioned by batch, in two passes:

* row rules (types, enums, patterns, bounds, nullability, spans, amounts, periods) look at one row at a time,
  so they run on a few partitions at once;
* key rules (unique keys, references, one primary statement per fact) span every batch, so they run on the
  whole table but read only the key columns they compare.

A partition whose row rules passed is remembered in the cache of passes (`cache.py`), by the identity of its
file and of the articles it points into, so an incremental build runs the row rules on the new partitions only.
"""

from __future__ import annotations

import polars as pl

from pipeline.checks.cache import PassCache
from pipeline.checks.derived import derived_columns, derived_key_checks, span_checks
from pipeline.checks.invariants import invariant_columns, row_invariants, table_invariants
from pipeline.checks.results import CheckResult, Results
from pipeline.checks.schema import schema_result, schema_row_failures, uniqueness_columns, uniqueness_failures
from pipeline.checks.sources import NO_BODIES, Part, Tables
from schemas import REGISTRY
from schemas.polars_types import empty_frame

# Partitions whose row rules run together: enough rows that pandera's fixed cost per call (about 20 ms) does not
# dominate, few enough that memory stays bounded (uncompressed bytes, as the Parquet footers count them).
CHUNK_BYTES = 32 * 1024 * 1024


def part_checks(table: str, rows: pl.DataFrame, bodies: pl.DataFrame | None) -> list[CheckResult]:
    """The rules about one row at a time besides the schema's (which pandera runs on several parts at once);
    `bodies` holds the text of the articles the rows point into."""
    return [*span_checks(table, rows, bodies), *row_invariants(table, rows)]


def key_columns(table: str) -> list[str]:
    """The columns the key rules read, in table order."""
    names = {*uniqueness_columns(table), *derived_columns(table), *invariant_columns(table)}
    return [name for name in REGISTRY[table].field_names if name in names]


def key_checks(table: str, keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    """The rules that compare rows across batches, on the key columns of every batch."""
    return [schema_result(table, uniqueness_failures(table, keys)), *derived_key_checks(table, keys, tables),
            *table_invariants(table, keys, tables)]


def _chunks(parts: list[tuple[Part, int]], budget: int) -> list[list[tuple[Part, int]]]:
    """Runs of neighbouring parts (by table order) of at most `budget` bytes (one part may exceed it alone)."""
    chunks: list[list[tuple[Part, int]]] = []
    size = 0
    for part, first_index in parts:
        last = chunks[-1][-1] if chunks else None
        neighbour = last is not None and last[1] + last[0].rows == first_index
        if neighbour and size + part.size <= budget:
            chunks[-1].append((part, first_index))
            size += part.size
        else:
            chunks.append([(part, first_index)])
            size = part.size
    return chunks


def _check_chunk(table: str, chunk: list[tuple[Part, int]], tables: Tables, cache: PassCache,
                 results: Results) -> None:
    """The row rules on a run of parts: span, amount and period rules part by part, the schema on all at once."""
    frames, passes = [], []
    for part, first_index in chunk:
        rows = tables.read(table, part)
        spans = REGISTRY[table].spans is not None
        bodies, cacheable = tables.bodies(part, rows["article_id"]) if spans else (None, True)
        per_part = part_checks(table, rows, bodies)
        results.add(per_part)
        frames.append(rows)
        passes.append(cacheable and all(r.passed for r in per_part))
    schema = schema_result(table, schema_row_failures(table, pl.concat(frames, how="vertical"), chunk[0][1]))
    results.add([schema])
    if schema.passed:
        for (part, _), passed in zip(chunk, passes):
            if passed:
                cache.keep(part.batch, _row_identity(table, part, tables))


def _row_identity(table: str, part: Part, tables: Tables) -> str | None:
    """What a part's row rules depend on: its file, and for a span rule the articles file of its batch."""
    if part.identity is None or REGISTRY[table].spans is None:
        return part.identity
    articles = tables.articles_identity(part)
    return f"{part.identity}|{articles}" if articles else None


def partitioned_checks(table: str, tables: Tables, cache: PassCache, budget: int) -> list[CheckResult]:
    """Every check of a partitioned table: row rules on the parts not cached, in chunks of at most `budget`
    bytes, then the key rules."""
    results = Results()
    # Every check is reported even when every part is cached: names and descriptions from an empty table.
    empty = empty_frame(REGISTRY[table])
    results.add([schema_result(table, pl.DataFrame()), *part_checks(table, empty, NO_BODIES)])
    to_check, first_index = [], 0
    for part in tables.parts(table):
        identity = _row_identity(table, part, tables)
        if cache.has_passed(part.batch, identity):
            cache.keep(part.batch, identity)
        else:
            to_check.append((part, first_index))
        first_index += part.rows
    for chunk in _chunks(to_check, budget):
        _check_chunk(table, chunk, tables, cache, results)
    results.add(key_checks(table, tables.columns(table, key_columns(table)), tables))
    cache.save()
    return results.results()
