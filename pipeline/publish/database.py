"""Build the DuckDB file from the published Parquet tables, in one writer, atomically, loading only what changed.

The file is built beside its final place and renamed over it, so a reader (or a
crash) sees either the previous complete warehouse or the new one, and a reader
holding the old file open never blocks a build. Tables get their types, primary
keys and COMMENTs from `schemas/`; views answer the common questions.

A build records, once the new file is in place, which Parquet files it holds:
a hidden manifest beside it (`.nhs_ledger.duckdb.loaded.json`) names the loader's
fingerprint (this module, the DuckDB version, every public table's DDL), the
identity of the DuckDB file it describes, and each file's path, stat, SHA-256
and row count. The next build, when the fingerprint and the file's identity
still match, copies the file and, in one transaction on the copy, deletes the
rows of the Parquet files that changed or went and inserts those of the changed
or new ones. Files are compared in the order a full build loads them and
everything after the first difference is reloaded, so the rows keep the physical
order of a full build (a new batch is appended). Anything else (no manifest, a
crash between the rename and the manifest, a WAL beside the file, another code
or schema version, counts that disagree, or more than half the rows to load again)
builds the file from scratch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.faults import crash_point
from pipeline.warehouse import atomic, store
from pipeline.warehouse.layout import DUCKDB_FILE, Warehouse
from schemas import REGISTRY, Table
from schemas.types import TYPES

VIEWS = {
    "facts": """
        SELECT 'savings' AS fact_table, s.saving_id AS fact_id, s.article_id, s.org_id, o.name AS org_name,
               o.org_type, s.scope, s.measure, s.amount_gbp, s.amount_low_gbp, s.amount_high_gbp, s.qualifier,
               s.fy_start, s.fy_end, s.horizon_years, s.evidence, s.char_start, s.char_end,
               a.source_path, a.title, a.url, a.published_on, s.rule_id, s.run_id
        FROM savings s JOIN organisations o USING (org_id) JOIN articles a USING (article_id)
        UNION ALL
        SELECT 'deficits', d.deficit_id, d.article_id, d.org_id, o.name, o.org_type, d.scope, d.measure,
               d.amount_gbp, d.amount_low_gbp, d.amount_high_gbp, d.qualifier, d.fy_start, d.fy_end,
               d.horizon_years, d.evidence, d.char_start, d.char_end,
               a.source_path, a.title, a.url, a.published_on, d.rule_id, d.run_id
        FROM deficits d JOIN organisations o USING (org_id) JOIN articles a USING (article_id)
    """,
}
# One row per body and financial year. A plan reported in several articles would be counted twice by a sum,
# so each measure takes the largest reported figure; components of a plan are left out of the target.
VIEWS["org_finances"] = """
    WITH dated AS (
        SELECT f.*, COALESCE(f.fy_end, f.fy_start) AS fy,
               COALESCE(f.amount_gbp, f.amount_low_gbp) AS amount,
               s.parent_saving_id
        FROM facts f LEFT JOIN savings s ON s.saving_id = f.fact_id
    ),
    savings_by_year AS (
        SELECT org_id, fy,
               max(amount) FILTER (WHERE measure = 'target' AND parent_saving_id IS NULL) AS savings_target_gbp,
               max(amount) FILTER (WHERE measure = 'achieved') AS savings_achieved_gbp,
               max(amount) FILTER (WHERE measure = 'shortfall') AS savings_shortfall_gbp,
               max(amount) FILTER (WHERE measure = 'potential') AS savings_potential_gbp,
               count(*) AS n_saving_facts
        FROM dated WHERE fact_table = 'savings' GROUP BY org_id, fy
    ),
    deficits_ranked AS (
        SELECT org_id, fy, amount, measure, fact_id,
               count(*) OVER (PARTITION BY org_id, fy) AS n_deficit_facts,
               row_number() OVER (PARTITION BY org_id, fy ORDER BY published_on DESC NULLS LAST,
                   CASE measure WHEN 'actual' THEN 0 WHEN 'forecast' THEN 1 ELSE 2 END, amount DESC, fact_id) AS recency
        FROM dated WHERE fact_table = 'deficits'
    ),
    deficits_by_year AS (
        SELECT org_id, fy, amount AS latest_deficit_gbp, measure AS latest_deficit_measure,
               fact_id AS latest_deficit_fact_id, n_deficit_facts
        FROM deficits_ranked WHERE recency = 1
    )
    SELECT o.org_id, o.name AS org_name, o.org_type, COALESCE(s.fy, d.fy) AS fy,
           s.savings_target_gbp, s.savings_achieved_gbp, s.savings_shortfall_gbp, s.savings_potential_gbp,
           d.latest_deficit_gbp, d.latest_deficit_measure, d.latest_deficit_fact_id,
           COALESCE(s.n_saving_facts, 0) AS n_saving_facts, COALESCE(d.n_deficit_facts, 0) AS n_deficit_facts
    FROM savings_by_year s FULL OUTER JOIN deficits_by_year d ON s.org_id = d.org_id AND s.fy IS NOT DISTINCT FROM d.fy
    JOIN organisations o ON o.org_id = COALESCE(s.org_id, d.org_id)
"""
VIEW_COMMENTS = {
    "facts": "One row per saving or deficit fact, with its organisation's name and its source article.",
    "org_finances": "One row per organisation and financial year (fy = fy_end, else fy_start; null when the "
                    "text gives no year): the largest savings target (plan totals only), achieved, shortfall "
                    "and potential reported, and the latest deficit (most recent article; actual before "
                    "forecast before planned). Ranges count at their lower bound.",
}


def open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse's DuckDB file, read-only: the last build whose checks all passed, as one snapshot (a build
    running meanwhile replaces the file by a rename, which an open connection never sees)."""
    path = Path(warehouse) / DUCKDB_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no DuckDB file at {path}: build the warehouse first (nhs-ledger build)")
    connection = duckdb.connect(str(path), read_only=True)
    # Timestamps leave DuckDB in the session's zone; UTC keeps them as the registry stores them.
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def sql_literal(value: str) -> str:
    """DDL such as COMMENT takes no bound parameters, so text is quoted here, doubling quotes."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: Table) -> str:
    columns = [
        f"{sql_identifier(f.name)} {TYPES[f.type].duckdb}{'' if f.nullable else ' NOT NULL'}" for f in table.fields
    ]
    columns.append(f"PRIMARY KEY ({', '.join(sql_identifier(c) for c in table.primary_key)})")
    return f"CREATE TABLE {sql_identifier(table.name)} (\n  " + ",\n  ".join(columns) + "\n)"


def comment_sql(table: Table) -> list[str]:
    statements = [f"COMMENT ON TABLE {sql_identifier(table.name)} IS {sql_literal(table.description)}"]
    for f in table.fields:
        text = f.description + (f" Unit: {f.unit}." if f.unit else "")
        statements.append(f"COMMENT ON COLUMN {sql_identifier(table.name)}.{sql_identifier(f.name)} IS {sql_literal(text)}")
    return statements


MANIFEST_FILE = f".{DUCKDB_FILE}.loaded.json"
MEMORY_ENV = "NHS_LEDGER_DUCKDB_MEMORY"
MEMORY_LIMIT = "512MB"
MANIFEST_FORMAT = 1
# Loading more than this share of the warehouse's rows again costs about what a full build does, and a full
# build also leaves a compact file (deleted rows free blocks that only later appends reuse).
MAX_INCREMENTAL_SHARE = 0.5
# A file changed within the file system's timestamp granularity of when its stat was recorded could keep the same
# stat (git's "racy" entries): such a file is hashed again rather than trusted.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class ParquetFile:
    """One Parquet file as loaded: where it is, which version of it (stat), and what it holds."""

    path: str  # relative to the warehouse, POSIX
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str
    rows: int

    def same_stat(self, stat: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode) == _stat_key(stat)

    def changed_after(self, moment_ns: int) -> bool:
        return max(self.mtime_ns, self.ctime_ns) >= moment_ns

    def same_content(self, other: ParquetFile) -> bool:
        return (self.path, self.size, self.sha256) == (other.path, other.size, other.sha256)


@dataclass(frozen=True)
class Manifest:
    """What the DuckDB file identified by `duckdb_file` (size, mtime_ns, ctime_ns, inode) was loaded from, the
    Parquet files' stats as taken at `recorded_ns`."""

    fingerprint: str
    duckdb_file: tuple[int, ...]
    recorded_ns: int
    tables: dict[str, tuple[ParquetFile, ...]]

    def trusted_files(self) -> dict[str, ParquetFile]:
        """The files whose recorded stat is old enough to tell a change."""
        return {f.path: f for files in self.tables.values() for f in files
                if not f.changed_after(self.recorded_ns - RACY_NS)}


@dataclass(frozen=True)
class TableChange:
    """A table's rows to delete (files loaded before) and to insert (files to load), in load order."""

    table: Table
    dropped: tuple[ParquetFile, ...]
    added: tuple[ParquetFile, ...]
    rows_after: int  # the rows of all the table's current files

    @property
    def rows_to_load(self) -> int:
        return sum(f.rows for f in self.added)


class LoadMismatch(Exception):
    """The DuckDB file does not hold what the manifest says: the update is abandoned for a full build."""


def build_duckdb(warehouse: Path) -> Path:
    target = Warehouse.at(warehouse).duckdb_file
    building = warehouse / f".{DUCKDB_FILE}.building"
    recorded_ns = time.time_ns()
    manifest = read_manifest(warehouse)
    files = current_files(warehouse, manifest)
    changes = plan_changes(manifest, files, target)
    if changes == []:
        # Nothing to load, but the file now stands for partitions that may have been rewritten with the same
        # bytes: batches.needs_publish compares its mtime with theirs.
        os.utime(target)
    else:
        try:
            with atomic.as_machine_fault(target, duckdb.IOException):
                if changes is None or not _update_copy(target, manifest.duckdb_file, building, warehouse, changes):
                    _build_from_scratch(building, warehouse, files)
                crash_point("duckdb", target)
                # A log left by a writer of the old file would be replayed onto the new one when it is next opened.
                _wal(target).unlink(missing_ok=True)
                os.replace(building, target)
        except BaseException:  # a full disk, an interrupt: the old file stays, the half-built copy goes
            building.unlink(missing_ok=True)
            _wal(building).unlink(missing_ok=True)
            raise
    _write_manifest(warehouse, files, target, recorded_ns)
    return target


def last_build(warehouse: Path) -> str | None:
    """What the DuckDB file holds, for a message: `run_… (finished 2026-12-03 13:12 UTC)`, its latest run;
    None when there is no file yet (or it cannot be read)."""
    target = Warehouse.at(warehouse).duckdb_file
    if not target.exists():
        return None
    try:
        with duckdb.connect(str(target), read_only=True) as connection:
            row = connection.execute(
                "SELECT run_id, strftime(finished_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') FROM runs "
                "ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1").fetchone()
    except duckdb.Error:
        return None
    return None if row is None else f"{row[0]} (finished {row[1]} UTC)"


# ------------------------------------------------------------------------------------------ what changed

@cache
def loader_fingerprint() -> str:
    """Changes with this module, the DuckDB version or any public table's DDL: then every build starts afresh."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(duckdb.__version__.encode())
    for table in REGISTRY.public():
        for statement in (create_table_sql(table), *comment_sql(table), f"partition_by={table.partition_by}"):
            digest.update(b"\x1f" + statement.encode())
    return digest.hexdigest()


def current_files(warehouse: Path, manifest: Manifest | None) -> dict[str, tuple[ParquetFile, ...]]:
    """Every public table's Parquet files in load order; a file whose stat is unchanged is not read again."""
    known = manifest.trusted_files() if manifest else {}
    files = {}
    for table in REGISTRY.public():
        described = []
        for path in _parquet_files(warehouse, table):
            relative = Path(path).relative_to(warehouse).as_posix()
            previous = known.get(relative)
            if previous is None or not previous.same_stat(os.stat(path)):
                previous = describe_file(warehouse, relative)
            described.append(previous)
        files[table.name] = tuple(described)
    return files


def describe_file(warehouse: Path, relative: str) -> ParquetFile:
    # The stat, the digest and the row count all come from one open file, so they describe one version of it.
    with open(warehouse / relative, "rb") as handle:
        stat = os.fstat(handle.fileno())
        data = handle.read()
    rows = pq.read_metadata(pa.BufferReader(data)).num_rows
    size, mtime_ns, ctime_ns, inode = _stat_key(stat)
    return ParquetFile(relative, size, mtime_ns, ctime_ns, inode, hashlib.sha256(data).hexdigest(), rows)


def plan_changes(manifest: Manifest | None, files: dict[str, tuple[ParquetFile, ...]],
                 target: Path) -> list[TableChange] | None:
    """The tables to update in the existing DuckDB file, or None when it must be built from scratch."""
    if manifest is None or manifest.fingerprint != loader_fingerprint() or manifest.tables.keys() != files.keys():
        return None
    if not target.is_file() or _wal(target).exists() or _identity(target) != manifest.duckdb_file:
        return None
    changes = [change for table in REGISTRY.public()
               if (change := table_change(table, manifest.tables[table.name], files[table.name]))]
    all_rows = sum(f.rows for table_files in files.values() for f in table_files)
    if sum(change.rows_to_load for change in changes) > MAX_INCREMENTAL_SHARE * all_rows:
        return None
    return changes


def table_change(table: Table, loaded: tuple[ParquetFile, ...],
                 current: tuple[ParquetFile, ...]) -> TableChange | None:
    """Reload everything from the first file that differs, so the rows stay in the order a full build gives."""
    same = 0
    while same < min(len(loaded), len(current)) and loaded[same].same_content(current[same]):
        same += 1
    if same == len(loaded) == len(current):
        return None
    return TableChange(table, loaded[same:], current[same:], sum(f.rows for f in current))


# ------------------------------------------------------------------------------------------ building

def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    """A connection whose memory is bounded (NHS_LEDGER_DUCKDB_MEMORY, default 512MB): DuckDB's own default, 80%
    of the machine, lets a 100,000-article build cache about 1.5 GB of pages it will not read again; with a
    limit it writes them out and evicts them (about 0.6 GB, for some 40% more CPU in this step)."""
    connection = duckdb.connect(str(database))
    connection.execute("SET memory_limit = $limit", {"limit": os.environ.get(MEMORY_ENV, "").strip() or MEMORY_LIMIT})
    return connection


def _build_from_scratch(building: Path, warehouse: Path, files: dict[str, tuple[ParquetFile, ...]]) -> None:
    _remove_database(building)
    connection = _connect(building)
    try:
        connection.execute("BEGIN TRANSACTION")
        for table in REGISTRY.public():
            _create_table(connection, table)
            _insert_files(connection, warehouse, table, files[table.name])
        for name, sql in VIEWS.items():
            connection.execute(f"CREATE VIEW {sql_identifier(name)} AS {sql}")
            connection.execute(f"COMMENT ON VIEW {sql_identifier(name)} IS {sql_literal(VIEW_COMMENTS[name])}")
        connection.execute("COMMIT")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    _assert_checkpointed(building)


def _update_copy(target: Path, identity: tuple[int, ...], building: Path, warehouse: Path,
                 changes: list[TableChange]) -> bool:
    """Apply `changes` to a copy of the DuckDB file in one transaction; False if the file was not as recorded."""
    _remove_database(building)
    shutil.copyfile(target, building)
    if _identity(target) != identity:  # written to since the plan: not the file the manifest describes
        return False
    connection = _connect(building)
    try:
        connection.execute("BEGIN TRANSACTION")
        try:
            for change in changes:
                _apply_change(connection, warehouse, change)
        except (LoadMismatch, duckdb.ConstraintException):
            connection.execute("ROLLBACK")
            return False
        connection.execute("COMMIT")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    _assert_checkpointed(building)
    return True


def _apply_change(connection: duckdb.DuckDBPyConnection, warehouse: Path, change: TableChange) -> None:
    table = change.table
    deleted = _delete_rows(connection, table, change.dropped)
    if deleted != sum(f.rows for f in change.dropped):
        raise LoadMismatch(f"{table.name}: deleted {deleted} rows, the manifest recorded "
                           f"{sum(f.rows for f in change.dropped)}")
    inserted = _insert_files(connection, warehouse, table, change.added)
    if inserted != sum(f.rows for f in change.added):
        raise LoadMismatch(f"{table.name}: inserted {inserted} rows, the files' footers say "
                           f"{sum(f.rows for f in change.added)}")
    # Rows the manifest does not account for (a file loaded outside it) would show here.
    (count,) = connection.execute(f"SELECT count(*) FROM {sql_identifier(table.name)}").fetchone()
    if count != change.rows_after:
        raise LoadMismatch(f"{table.name}: {count} rows after the update, its files hold {change.rows_after}")


def _create_table(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    connection.execute(create_table_sql(table))
    for statement in comment_sql(table):
        connection.execute(statement)


def _insert_files(connection: duckdb.DuckDBPyConnection, warehouse: Path, table: Table,
                  files: tuple[ParquetFile, ...]) -> int:
    if not files:
        return 0
    columns = ", ".join(sql_identifier(f.name) for f in table.fields)
    options = "hive_partitioning = true, hive_types = {'batch': 'VARCHAR'}" if table.partition_by else \
        "hive_partitioning = false"
    (inserted,) = connection.execute(
        f"INSERT INTO {sql_identifier(table.name)} SELECT {columns} FROM read_parquet($files, {options})",
        {"files": [str(warehouse / f.path) for f in files]},
    ).fetchone()
    return inserted


def _delete_rows(connection: duckdb.DuckDBPyConnection, table: Table, files: tuple[ParquetFile, ...]) -> int:
    if not files:
        return 0
    if table.partition_by is None:  # one file holds the whole table
        (deleted,) = connection.execute(f"DELETE FROM {sql_identifier(table.name)}").fetchone()
        return deleted
    (deleted,) = connection.execute(
        f"DELETE FROM {sql_identifier(table.name)} WHERE list_contains($batches, {sql_identifier(table.partition_by)})",
        {"batches": [partition_value(f.path) for f in files]},
    ).fetchone()
    return deleted


def partition_value(relative: str) -> str:
    """The batch a partition file holds, decoded from its folder name as DuckDB's Hive reader does."""
    return unquote(Path(relative).parent.name.removeprefix("batch="))


def _parquet_files(warehouse: Path, table: Table) -> list[str]:
    root = store.table_dir(warehouse, table.name)
    if table.partition_by:
        return sorted(str(p) for p in root.glob(f"batch=*/{store.PART_FILE}"))
    single = root / store.PART_FILE
    return [str(single)] if single.is_file() else []


# ------------------------------------------------------------------------------------------ the manifest

def read_manifest(warehouse: Path) -> Manifest | None:
    """The record of the last build, or None when it is missing or unreadable (then the build starts afresh)."""
    try:
        record = json.loads((warehouse / MANIFEST_FILE).read_text(encoding="utf-8"))
        if record["format"] != MANIFEST_FORMAT:
            return None
        return Manifest(
            fingerprint=str(record["fingerprint"]),
            duckdb_file=tuple(int(v) for v in record["duckdb_file"]),
            recorded_ns=int(record["recorded_ns"]),
            tables={name: tuple(ParquetFile(**entry) for entry in entries)
                    for name, entries in record["tables"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_manifest(warehouse: Path, files: dict[str, tuple[ParquetFile, ...]], target: Path,
                    recorded_ns: int) -> None:
    record = {
        "format": MANIFEST_FORMAT,
        "fingerprint": loader_fingerprint(),
        "duckdb_file": list(_identity(target)),
        "recorded_ns": recorded_ns,
        "tables": {name: [asdict(f) for f in table_files] for name, table_files in files.items()},
    }
    atomic.write_bytes(warehouse / MANIFEST_FILE, json.dumps(record, separators=(",", ":")).encode("utf-8"),
                       mode=0o644)  # readable by all, as the DuckDB file it describes


def _identity(path: Path) -> tuple[int, ...]:
    return _stat_key(path.stat())


def _stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _remove_database(path: Path) -> None:
    for leftover in (path, _wal(path)):
        leftover.unlink(missing_ok=True)


def _assert_checkpointed(database: Path) -> None:
    # A WAL left beside the file would not follow it through the rename: its changes would be lost.
    if _wal(database).exists():
        raise RuntimeError(f"{database} kept a write-ahead log after its checkpoint")
