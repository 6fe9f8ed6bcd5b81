"""The DuckDB file is updated, not rebuilt, when some Parquet files changed (issue 7), and the result is the file a
full build of the same Parquet gives: the same tables, rows (in the same physical order), COMMENTs and views.

Each test starts from the sample's warehouse grown to six batches (copies of the sample's two under new ids) and
changes its Parquet files directly, so the DuckDB build is tested on its own. `no_full_build` makes a test fail if
the update fell back to building from scratch; the fallbacks (no or stale manifest, another code version, a file
that does not hold what the manifest says) are tested to build from scratch and still give the right file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline import faults
from pipeline.warehouse import store
from pipeline.publish import database as duckdb_build
from cli.main import main
from pipeline.publish.database import DUCKDB_FILE, MANIFEST_FILE, build_duckdb, current_files, plan_changes, read_manifest
from schemas import REGISTRY
from tests.support.warehouse_tables import duckdb_tables

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"
# The columns that make a copied batch's rows new rows (primary keys and the references to them).
ID_COLUMNS = ("article_id", "source_path", "mention_id", "saving_id", "deficit_id", "fact_id", "parent_saving_id",
              "run_id")
PARTITIONED = tuple(t.name for t in REGISTRY.public() if t.partition_by)
GROWN_BATCHES = ("2025-08", "2025-09", "2025-10", "2025-11")
METADATA_QUERIES = (
    "SELECT table_name, comment, sql FROM duckdb_tables() ORDER BY ALL",
    "SELECT view_name, comment, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
    "SELECT table_name, column_name, comment, data_type, is_nullable FROM duckdb_columns() ORDER BY ALL",
    "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() ORDER BY ALL",
)


# ------------------------------------------------------------------------------------------ helpers

def add_batch_copy(warehouse: Path, source: str, batch: str) -> None:
    """A new batch holding `source`'s rows under new ids, and its row of `runs`."""
    tag = f"~{batch}"
    for table in PARTITIONED:
        frame = store.read_partition(warehouse, table, source)
        frame = frame.with_columns([pl.col(c) + tag for c in ID_COLUMNS if c in frame.columns])
        run_id = store.partition_run_id(warehouse, table, source) or "run"
        store.write_partition(warehouse, table, batch, frame.with_columns(pl.lit(batch).alias("batch")), run_id + tag)
    runs = store.read_table(warehouse, "runs")
    copied = runs.filter(pl.col("batch") == source).with_columns(pl.lit(batch).alias("batch"), pl.col("run_id") + tag)
    store.write_table(warehouse, "runs", pl.concat([runs, copied]))


def remove_batch(warehouse: Path, batch: str) -> None:
    for table in PARTITIONED:
        store.drop_partition(warehouse, table, batch)
    runs = store.read_table(warehouse, "runs")
    store.write_table(warehouse, "runs", runs.filter(pl.col("batch") != batch))


def edit_articles(warehouse: Path, batch: str) -> None:
    articles = store.read_partition(warehouse, "articles", batch)
    edited = articles.with_columns(pl.col("title").fill_null("") + " (corrected)")
    store.write_partition(warehouse, "articles", batch, edited, store.partition_run_id(warehouse, "articles", batch))


def rewrite_with_the_same_bytes(path: Path) -> None:
    """What a publish of unchanged rows does: a new file (new inode and mtime) with the same bytes."""
    data = path.read_bytes()
    temporary = path.with_name(".rewrite")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def plan(warehouse: Path):
    manifest = read_manifest(warehouse)
    return plan_changes(manifest, current_files(warehouse, manifest), warehouse / DUCKDB_FILE)


def planned_files(changes) -> dict[str, tuple[list[str], list[str]]]:
    """Table -> (batches whose rows are deleted, batches whose rows are inserted); '*' for an unpartitioned file."""
    def names(files):
        return [duckdb_build.partition_value(f.path) if "batch=" in f.path else "*" for f in files]
    return {c.table.name: (names(c.dropped), names(c.added)) for c in changes}


def built_from_scratch(warehouse: Path, tmp_path: Path) -> Path:
    """The DuckDB file a full build of the same Parquet files gives."""
    scratch = tmp_path / "from-scratch"
    shutil.copytree(warehouse / "parquet", scratch / "parquet")
    return build_duckdb(scratch)


def rows_in_file_order(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {t.name: con.execute(f'SELECT * FROM "{t.name}"').fetchall() for t in REGISTRY.public()}


def assert_same_database(database: Path, expected: Path) -> None:
    """Same metadata, same rows in the same physical order (a SELECT without ORDER BY), same view contents."""
    with duckdb.connect(str(database), read_only=True) as a, duckdb.connect(str(expected), read_only=True) as b:
        for query in METADATA_QUERIES:
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), query
        for view in ("facts", "org_finances"):
            query = f"SELECT * FROM {view} ORDER BY ALL"
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), view
    ours, theirs = rows_in_file_order(database), rows_in_file_order(expected)
    for name in theirs:
        assert ours[name] == theirs[name], f"{name} differs from a full build"


def assert_manifest_describes(warehouse: Path) -> None:
    """After any build, the manifest names the file in place and every Parquet file as it is now."""
    manifest = read_manifest(warehouse)
    assert manifest is not None and manifest.fingerprint == duckdb_build.loader_fingerprint()
    assert plan(warehouse) == []


# ------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("grown") / "warehouse"
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(warehouse)]) == 0
    for number, batch in enumerate(GROWN_BATCHES):
        add_batch_copy(warehouse, ("2025-06", "2025-07")[number % 2], batch)
    return warehouse


@pytest.fixture
def warehouse(grown, tmp_path) -> Path:
    """A copy of the grown warehouse with its DuckDB file and manifest built from scratch (a copy has new inodes)."""
    copy = tmp_path / "warehouse"
    shutil.copytree(grown, copy)
    (copy / MANIFEST_FILE).unlink(missing_ok=True)
    build_duckdb(copy)
    assert_manifest_describes(copy)
    return copy


@pytest.fixture
def no_full_build(warehouse, monkeypatch):
    """Fails the test if `warehouse`'s DuckDB file is built from scratch (the reference builds still may)."""
    build_from_scratch = duckdb_build._build_from_scratch

    def refuse(building: Path, parquet_root: Path, files) -> None:
        if parquet_root == warehouse:
            raise AssertionError("the DuckDB file was built from scratch instead of updated")
        build_from_scratch(building, parquet_root, files)
    monkeypatch.setattr(duckdb_build, "_build_from_scratch", refuse)


# ------------------------------------------------------------------------------------------ updates

def test_a_new_batch_is_appended(warehouse, tmp_path, no_full_build):
    add_batch_copy(warehouse, "2025-06", "2025-12")

    changes = plan(warehouse)
    assert planned_files(changes) == {**{t: ([], ["2025-12"]) for t in PARTITIONED}, "runs": (["*"], ["*"])}
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    assert_manifest_describes(warehouse)


def test_a_removed_batch_loses_its_rows(warehouse, tmp_path, no_full_build):
    remove_batch(warehouse, "2025-11")

    assert planned_files(plan(warehouse)) == {**{t: (["2025-11"], []) for t in PARTITIONED}, "runs": (["*"], ["*"])}
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles WHERE batch = '2025-11'").fetchone() == (0,)


def test_an_edited_batch_is_reloaded_with_the_batches_after_it_so_rows_keep_the_full_build_order(
        warehouse, tmp_path, no_full_build):
    edit_articles(warehouse, "2025-10")

    assert planned_files(plan(warehouse)) == {"articles": (["2025-10", "2025-11"], ["2025-10", "2025-11"])}
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        titles = con.execute("SELECT title FROM articles WHERE batch = '2025-10'").fetchall()
    assert titles and all(title.endswith(" (corrected)") for (title,) in titles)


def test_a_changed_unpartitioned_table_is_reloaded_whole(warehouse, tmp_path, no_full_build):
    organisations = store.read_table(warehouse, "organisations")
    renamed = organisations.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.col("name") + " (renamed)").otherwise(pl.col("name")).alias("name"))
    store.write_table(warehouse, "organisations", renamed)

    assert planned_files(plan(warehouse)) == {"organisations": (["*"], ["*"])}
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))


def test_odd_batch_names_are_deleted_by_the_name_duckdb_decodes(warehouse, tmp_path, no_full_build):
    odd = ("2026 a/b", "2026-50%", "2026-ü'x=\"y\"")
    for batch in odd:
        add_batch_copy(warehouse, "2025-07", batch)
    build_duckdb(warehouse)
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        assert {b for (b,) in con.execute("SELECT DISTINCT batch FROM articles").fetchall()} >= set(odd)
    for batch in odd:
        remove_batch(warehouse, batch)

    assert planned_files(plan(warehouse))["articles"] == (sorted(odd, key=lambda b: str(
        store.partition_dir(warehouse, "articles", b))), [])
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))


def test_files_rewritten_with_the_same_bytes_load_nothing_but_the_file_is_marked_current(warehouse, monkeypatch):
    before = rows_in_file_order(warehouse / DUCKDB_FILE)
    rewritten = sorted((warehouse / "parquet").rglob("*.parquet"))
    for path in rewritten:
        rewrite_with_the_same_bytes(path)

    assert plan(warehouse) == []
    build_duckdb(warehouse)

    assert rows_in_file_order(warehouse / DUCKDB_FILE) == before
    # batches.needs_publish takes a DuckDB file older than a partition for one that lags it.
    built = (warehouse / DUCKDB_FILE).stat().st_mtime_ns
    assert all(path.stat().st_mtime_ns <= built for path in rewritten)
    # The manifest now has the new stats: once they are older than the clock could hide a change, the next build
    # reads no Parquet file to know nothing changed; until then the files just written are hashed again.
    hashed = []
    describe = duckdb_build.describe_file
    monkeypatch.setattr(duckdb_build, "describe_file", lambda *a: hashed.append(a[1]) or describe(*a))
    assert plan(warehouse) == [] and len(hashed) == len(rewritten)
    hashed.clear()
    monkeypatch.setattr(duckdb_build, "RACY_NS", 0)
    assert plan(warehouse) == [] and hashed == []


def test_a_reader_holding_the_old_file_open_neither_blocks_the_update_nor_sees_it(warehouse, no_full_build):
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as reader:
        before = reader.execute("SELECT count(*) FROM articles").fetchone()
        add_batch_copy(warehouse, "2025-06", "2025-12")
        build_duckdb(warehouse)
        assert reader.execute("SELECT count(*) FROM articles").fetchone() == before
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] > before[0]


# ------------------------------------------------------------------------------------------ fallbacks

def _no_manifest(warehouse: Path) -> None:
    (warehouse / MANIFEST_FILE).unlink()


def _unreadable_manifest(warehouse: Path) -> None:
    (warehouse / MANIFEST_FILE).write_text('{"format": 1, "tables": ', encoding="utf-8")


def _other_code_version(warehouse: Path) -> None:
    record = json.loads((warehouse / MANIFEST_FILE).read_text(encoding="utf-8"))
    record["fingerprint"] = "0" * 64
    (warehouse / MANIFEST_FILE).write_text(json.dumps(record), encoding="utf-8")


def _duckdb_file_written_by_someone_else(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / DUCKDB_FILE)) as con:
        con.execute("DELETE FROM savings")


def _write_ahead_log_beside_the_file(warehouse: Path) -> None:
    (warehouse / f"{DUCKDB_FILE}.wal").write_bytes(b"")


def _manifest_of_the_file_before_the_last_rename(warehouse: Path) -> None:
    """A crash between the rename of the new file and the writing of its manifest."""
    old = (warehouse / MANIFEST_FILE).read_bytes()
    add_batch_copy(warehouse, "2025-07", "2026-01")
    build_duckdb(warehouse)
    (warehouse / MANIFEST_FILE).write_bytes(old)


def _more_than_half_the_rows_to_load_again(warehouse: Path) -> None:
    for table in PARTITIONED:  # the first batch differs (its run id), so every batch after it is loaded again
        store.write_partition(warehouse, table, "2025-06", store.read_partition(warehouse, table, "2025-06"), "other")


FALLBACKS = [_no_manifest, _unreadable_manifest, _other_code_version, _duckdb_file_written_by_someone_else,
             _write_ahead_log_beside_the_file, _manifest_of_the_file_before_the_last_rename,
             _more_than_half_the_rows_to_load_again]


@pytest.mark.parametrize("situation", FALLBACKS, ids=lambda f: f.__name__.strip("_"))
def test_anything_but_a_matching_manifest_builds_from_scratch(situation, warehouse, tmp_path):
    add_batch_copy(warehouse, "2025-06", "2025-12")
    situation(warehouse)

    assert plan(warehouse) is None
    build_duckdb(warehouse)

    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    assert_manifest_describes(warehouse)
    assert not (warehouse / f"{DUCKDB_FILE}.wal").exists()  # a stale log would be replayed onto the new file


def test_a_file_that_does_not_hold_what_the_manifest_says_is_built_from_scratch(warehouse, tmp_path, monkeypatch):
    remove_batch(warehouse, "2025-11")
    record = json.loads((warehouse / MANIFEST_FILE).read_text(encoding="utf-8"))
    for entry in record["tables"]["savings"]:
        if "batch=2025-11" in entry["path"]:
            entry["rows"] += 1  # the DELETE will remove one row fewer than recorded
    (warehouse / MANIFEST_FILE).write_text(json.dumps(record), encoding="utf-8")
    assert plan(warehouse) is not None
    full_builds = []
    build_from_scratch = duckdb_build._build_from_scratch
    monkeypatch.setattr(duckdb_build, "_build_from_scratch", lambda *a: full_builds.append(a) or build_from_scratch(*a))

    build_duckdb(warehouse)

    assert len(full_builds) == 1
    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    assert not (warehouse / f".{DUCKDB_FILE}.building.wal").exists()


# ------------------------------------------------------------------------------------------ crash safety

def test_a_crash_after_the_update_commits_leaves_the_previous_file_and_the_next_build_recovers(warehouse, tmp_path):
    before = duckdb_tables(warehouse)
    add_batch_copy(warehouse, "2025-06", "2025-12")
    script = f"from pathlib import Path\nfrom pipeline.publish.database import build_duckdb\nbuild_duckdb(Path({str(warehouse)!r}))\n"
    env = {k: v for k, v in os.environ.items() if k not in (faults.CRASH_ENV, faults.TRACE_ENV)}
    crashed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env=env | {faults.CRASH_ENV: "duckdb"})

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert (warehouse / f".{DUCKDB_FILE}.building").exists()
    after_crash = duckdb_tables(warehouse)
    assert after_crash.keys() == before.keys()
    for name, frame in after_crash.items():
        assert frame.equals(before[name]), name
    # The manifest still describes the file in place, so the next build updates it again.
    assert plan(warehouse) not in (None, [])
    build_duckdb(warehouse)
    assert_same_database(warehouse / DUCKDB_FILE, built_from_scratch(warehouse, tmp_path))
    assert not (warehouse / f".{DUCKDB_FILE}.building").exists()


def test_rows_that_break_a_primary_key_fail_the_build_and_leave_the_previous_file(warehouse):
    before = duckdb_tables(warehouse)
    duplicates = store.read_partition(warehouse, "articles", "2025-06").with_columns(pl.lit("2025-12").alias("batch"))
    store.write_partition(warehouse, "articles", "2025-12", duplicates, "run")

    with pytest.raises(duckdb.ConstraintException):
        build_duckdb(warehouse)

    after = duckdb_tables(warehouse)
    assert after.keys() == before.keys() and all(after[name].equals(before[name]) for name in before)
