"""One SQLite file of the published tables, typed, keyed and indexed from the registry.

SQLite stores what the registry's types say in `schemas/types.py` (`LogicalType.sqlite`): dates as ISO text,
booleans as 0 and 1, lists as JSON arrays, which Datasette renders and facets as arrays. Primary and foreign keys
are declared, so Datasette links a fact to its body and names the body by its `label_column`; each foreign key
and each column a reader filters by is indexed; the articles' titles and texts and the facts' sentences get
full-text indexes, which Datasette finds and offers as a search box. The file is written beside its place and
renamed over it, so a running Datasette (or a crash) never sees half of one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import adbc_driver_sqlite.dbapi as adbc_sqlite
import polars as pl

from pipeline.publish.database import VIEWS, sql_identifier
from pipeline.warehouse import atomic
from schemas.registry import Field, Table
from schemas.types import TYPES

# Columns of text that a reader searches in: a full-text index each, over the table's rows.
SEARCHED = {"articles": ("title", "body_text"), "savings": ("evidence",), "deficits": ("evidence",)}
# Columns besides the foreign keys that readers filter and facet by (an enum column always is).
FILTERED = ("fy_start", "fy_end", "published_on", "batch")


@dataclass(frozen=True)
class TableRows:
    """A table to write: its declaration, and its rows in one or more frames (the columns a release leaves out,
    such as the articles' text, are simply absent from them)."""
    table: Table
    frames: Iterable[pl.DataFrame]


def write_sqlite(target: Path, tables: Iterable[TableRows]) -> Path:
    tables = list(tables)
    with atomic.replacing(Path(target), suffix=".sqlite", point="record", mode=0o644) as temporary:
        written = _load_tables(temporary, tables)
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            for rows in tables:
                _index(connection, rows.table, written[rows.table.name])
            _views(connection)
            connection.commit()
        finally:
            connection.close()
    return Path(target)


def _load_tables(path: Path, tables: list[TableRows]) -> dict[str, list[Field]]:
    """Create each table and load its rows through ADBC, which binds a whole Arrow batch in C: Python's sqlite3
    binds each value of each row (a release has millions of rows, and that was most of the file's cost)."""
    connection = adbc_sqlite.connect(str(path), autocommit=True)
    try:
        cursor = connection.cursor()
        try:
            # A new file written once: no journal to keep, nothing to recover; one transaction for every row.
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.fetchall()
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("BEGIN")
            written = {rows.table.name: _write_table(cursor, rows) for rows in tables}
            cursor.execute("COMMIT")
        finally:
            cursor.close()
    finally:
        connection.close()
    return written


def create_table_sql(table: Table, fields: list[Field]) -> str:
    """SQLite checks no foreign key unless asked; they are declared for Datasette, which links rows by them."""
    columns = [f"{sql_identifier(f.name)} {TYPES[f.type].sqlite}{'' if f.nullable else ' NOT NULL'}"
               for f in fields]
    columns.append(f"PRIMARY KEY ({', '.join(sql_identifier(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        columns.append(f"FOREIGN KEY ({', '.join(map(sql_identifier, fk.fields))}) REFERENCES "
                       f"{sql_identifier(fk.table)} ({', '.join(map(sql_identifier, fk.reference_fields))})")
    return f"CREATE TABLE {sql_identifier(table.name)} (\n  " + ",\n  ".join(columns) + "\n)"


def _write_table(cursor, rows: TableRows) -> list[Field]:
    """Create the table (with the columns its first frame has) and append every frame; the fields written."""
    table, fields = rows.table, None
    for frame in rows.frames:
        if fields is None:
            fields = [f for f in table.fields if f.name in frame.columns]
            cursor.execute(create_table_sql(table, fields))
        if frame.height:
            storable = _storable(frame.select([f.name for f in fields]), fields)
            cursor.adbc_ingest(table.name, storable.to_arrow(), mode="append")
    if fields is None:  # no frame at all: the table as declared, empty
        fields = list(table.fields)
        cursor.execute(create_table_sql(table, fields))
    return fields


def _storable(frame: pl.DataFrame, fields: list[Field]) -> pl.DataFrame:
    """The frame in SQLite's storage classes."""
    converted = []
    for f in fields:
        column = pl.col(f.name)
        if f.type == "date":
            column = column.dt.strftime("%Y-%m-%d")
        elif f.type == "datetime":
            column = column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        elif f.type == "boolean":
            column = column.cast(pl.Int8)
        elif f.type == "list[string]":
            column = column.map_elements(lambda items: json.dumps(items.to_list(), ensure_ascii=False),
                                         return_dtype=pl.Utf8, skip_nulls=True)
        converted.append(column.alias(f.name))
    return frame.select(converted)


def _index(connection: sqlite3.Connection, table: Table, fields: list[Field]) -> None:
    names = [f.name for f in fields]
    keyed = {fk.fields[0] for fk in table.foreign_keys if len(fk.fields) == 1}
    filtered = {f.name for f in fields if f.enum or f.name in FILTERED}
    for column in sorted((keyed | filtered) & set(names) - set(table.primary_key[:1])):
        connection.execute(f"CREATE INDEX {sql_identifier(f'idx_{table.name}_{column}')} ON "
                           f"{sql_identifier(table.name)} ({sql_identifier(column)})")
    searched = [c for c in SEARCHED.get(table.name, ()) if c in names]
    if searched:
        fts = sql_identifier(f"{table.name}_fts")
        connection.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(map(sql_identifier, searched))}, "
                           f"content={sql_identifier(table.name)}, content_rowid='rowid')")
        connection.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def _views(connection: sqlite3.Connection) -> None:
    """The DuckDB file's views, whose SQL SQLite reads as well (a test keeps it so), over the tables written."""
    for name, sql in VIEWS.items():
        try:
            connection.execute(f"CREATE VIEW {sql_identifier(name)} AS {sql}")
        except sqlite3.OperationalError as error:
            raise RuntimeError(f"the view {name} does not read as SQLite: {error}") from error
