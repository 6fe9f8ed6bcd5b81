"""The checks derived from the table declarations in `schemas/`, so that a rule declared there is checked
without a line of code here:

* `Table.spans`: the span rule, `body_text[char_start:char_end]` of the row's article equals the text column;
* `Table.key_check`: duplicated primary keys, reported as a check of their own;
* `Table.foreign_keys` and `Table.checked_references`: every value of the column exists where it points.

The schema's own rules (types, enums, ..., `Field.unique`) are in `schema.py`; the rules no declaration
expresses are written by hand in `invariants.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.checks.results import CheckResult
from pipeline.checks.sources import Tables
from schemas import REGISTRY


def report_key(table: str) -> list[str]:
    """The columns a failure report names a row by: its primary key, less a character offset (a statement of
    `fact_evidence` is named by its fact)."""
    spec = REGISTRY[table]
    return [name for name in spec.primary_key if spec.field(name).unit != "characters"]


# ------------------------------------------------------------------------------------------ spans

def span_check(table: str, frame: pl.DataFrame, articles: pl.DataFrame, text_column: str) -> CheckResult:
    """body_text[char_start:char_end] equals the evidence (or the surface) on every row."""
    joined = frame.select("article_id", "char_start", "char_end", text_column, *report_key(table)).join(
        articles.select("article_id", "body_text"), on="article_id", how="left")
    bad = joined.filter(
        pl.col("body_text").is_null()
        | (pl.col("char_start") < 0)
        | (pl.col("char_end") < pl.col("char_start"))
        | (pl.col("body_text").str.slice(pl.col("char_start"), pl.col("char_end") - pl.col("char_start"))
           != pl.col(text_column))
    ).drop("body_text")
    return CheckResult(f"{table}_{text_column}_matches_body_text", table,
                       f"body_text[char_start:char_end] == {text_column}", bad)


def span_checks(table: str, rows: pl.DataFrame, bodies: pl.DataFrame | None) -> list[CheckResult]:
    """The table's span rule, if it declares one; `bodies` holds the text of the articles the rows point into."""
    text_column = REGISTRY[table].spans
    return [] if text_column is None else [span_check(table, rows, bodies, text_column)]


# ------------------------------------------------------------------------------------------ keys

def unique_check(table: str, frame: pl.DataFrame, column: str) -> CheckResult:
    dupes = frame.group_by(column).len().filter(pl.col("len") > 1)
    return CheckResult(f"{table}_{column}_unique", table, f"{column} is unique", dupes)


def key_checks(table: str, keys: pl.DataFrame) -> list[CheckResult]:
    """The table's key check, if it declares one: each duplicated primary key with its count."""
    spec = REGISTRY[table]
    if spec.key_check is None:
        return []
    if len(spec.primary_key) == 1:
        return [unique_check(table, keys, spec.primary_key[0])]
    dupes = keys.group_by(list(spec.primary_key)).len().filter(pl.col("len") > 1)
    return [CheckResult(f"{table}_key_unique", table, f"{spec.key_check} is unique", dupes)]


# ------------------------------------------------------------------------------------------ references

@dataclass(frozen=True)
class Reference:
    """A column whose values must each be a key in one of `parents` ((table, column) pairs), named `name`."""
    column: str
    parents: tuple[tuple[str, str], ...]
    name: str


def references(table: str) -> list[Reference]:
    """The table's declared references, foreign keys and the others alike, in the order of their columns."""
    spec = REGISTRY[table]
    found = []
    for fk in spec.foreign_keys:
        if len(fk.fields) != 1:
            raise ValueError(f"{table}: the checks compare one column per foreign key, not {fk.fields}")
        found.append(Reference(fk.fields[0], ((fk.table, fk.reference_fields[0]),), fk.table))
    for one_of in spec.checked_references:
        found.append(Reference(one_of.field, tuple((name, REGISTRY[name].primary_key[0]) for name in one_of.tables),
                               one_of.name))
    return sorted(found, key=lambda ref: spec.field_names.index(ref.column))


def referenced_tables(table: str) -> list[str]:
    """The other tables the table's checks read: those it refers to, and `articles` for a span rule."""
    names = [parent for ref in references(table) for parent, _ in ref.parents]
    if REGISTRY[table].spans is not None:
        names.append("articles")
    return [name for name in dict.fromkeys(names) if name != table]


def referenced_keys(table: str, ref: Reference, keys: pl.DataFrame, tables: Tables) -> pl.DataFrame:
    """Every key `ref` may point at, in one column named as the referring column."""
    frames = []
    for parent, column in ref.parents:
        # A reference into the table itself (a saving's plan total) reads the key columns already read.
        values = keys.select(column) if parent == table and column in keys.columns else tables.columns(parent, [column])
        frames.append(values.select(pl.col(column).alias(ref.column)))
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def foreign_key_check(table: str, frame: pl.DataFrame, column: str, parent: pl.DataFrame,
                      parent_column: str, parent_name: str) -> CheckResult:
    reported = list(dict.fromkeys([*report_key(table), column]))
    values = frame.select(reported).filter(pl.col(column).is_not_null())
    bad = values.join(parent.select(pl.col(parent_column).alias(column)), on=column, how="anti")
    return CheckResult(f"{table}_{column}_exists_in_{parent_name}", table,
                       f"every {column} in {table} exists in {parent_name}", bad)


def reference_checks(table: str, keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    return [foreign_key_check(table, keys, ref.column, referenced_keys(table, ref, keys, tables), ref.column,
                              ref.name)
            for ref in references(table)]


def derived_key_checks(table: str, keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    """The declared rules that compare rows with rows: the key check, then the references."""
    return [*key_checks(table, keys), *reference_checks(table, keys, tables)]


def derived_columns(table: str) -> set[str]:
    """The columns `derived_key_checks` reads of the table itself."""
    spec, refs = REGISTRY[table], references(table)
    return {*report_key(table), *(spec.primary_key if spec.key_check else ()), *(ref.column for ref in refs),
            *(column for ref in refs for parent, column in ref.parents if parent == table)}
