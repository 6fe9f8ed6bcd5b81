"""The fixed cost of an incremental build (issue 7): planning, the register, publishing, the runs table and the
summary do work in proportion to what changed, through sidecars that remember what was derived from each batch,
and give exactly what doing everything again gives.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from pipeline import batches
from pipeline.warehouse import batch_state
from pipeline.publish import stage as publish
from pipeline.register import stage as resolve
from pipeline.publish import run_table
from pipeline.warehouse import store
from pipeline.publish import summary
from cli.main import main
from pipeline.ingest import inventory
from pipeline.register.observations import merge, observe
from schemas import REGISTRY
from schemas.polars_types import empty_frame

SAMPLE = Path(__file__).resolve().parent.parent / "raw"


def forget_process_caches() -> None:
    """What a fresh process would know: nothing but the warehouse's files."""
    batches._DIGESTS.clear()
    batches._LISTED.clear()
    batch_state._STATES.clear()
    batch_state._COLUMNS_CACHE.clear()
    store._FOOTERS.clear()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cost")
    raw, warehouse = root / "raw", root / "warehouse"
    shutil.copytree(SAMPLE, raw)
    os.environ.pop("DAGSTER_HOME", None)
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    return raw, warehouse


@pytest.fixture
def warehouse_copy(built, tmp_path) -> tuple[Path, Path]:
    raw, warehouse = built
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    return raw, copy


# ---------------------------------------------------------------------------------------------- planning

def walked(raw_dir: Path) -> list:
    """The listing as `os.walk` gives it, each file described by the inventory's rules: what the scandir
    listing of `inventory.list_raw_files` must reproduce."""
    raw_dir = raw_dir.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in inventory.IGNORED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name not in inventory.IGNORED_NAMES and not name.startswith("."):
                found.append(inventory._describe(raw_dir, here / name))
    return sorted(found, key=lambda f: f.source_path)


def test_the_fast_listing_lists_what_a_walk_lists(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2025-01" / "deeper").mkdir(parents=True)
    (raw / "2025-01" / "a.txt").write_text("a")
    (raw / "2025-01" / "deeper" / "b.html").write_text("<p>b</p>")
    (raw / "2025-01" / ".hidden.txt").write_text("h")
    (raw / "2025-01" / "README.md").write_text("r")
    (raw / "root.txt").write_text("root")
    (raw / "reference").mkdir()
    (raw / "reference" / "etr.csv").write_text("x")
    (raw / ".git").mkdir()
    (raw / ".git" / "HEAD").write_text("x")
    (raw / "2025-02").mkdir()
    (raw / "2025-02" / "inside.txt").symlink_to(raw / "2025-01" / "a.txt")
    outside = tmp_path / "outside.txt"
    outside.write_text("o")
    (raw / "2025-02" / "outside.txt").symlink_to(outside)
    (raw / "2025-02" / "broken.txt").symlink_to(raw / "nowhere.txt")
    (raw / "2025-02" / "folder-link").symlink_to(raw / "2025-01", target_is_directory=True)
    os.mkfifo(raw / "2025-02" / "pipe.txt")
    (raw / "2025-02" / "empty.txt").write_bytes(b"")

    assert inventory.list_raw_files(raw) == walked(raw)
    assert batches.list_raw_files(raw) == walked(raw)
    assert batches.list_batches(raw) == {
        b: [f for f in walked(raw) if f.batch == b] for b in ("2025-01", "2025-02", "_root")}


def test_a_plan_of_an_unchanged_archive_reads_no_input_and_no_partition(warehouse_copy, monkeypatch):
    raw, warehouse = warehouse_copy
    expected = batches.plan_batches(raw, warehouse)
    assert expected.todo == []
    forget_process_caches()
    # The files were copied just before the build: within the racy margin of the digest index's time.
    monkeypatch.setattr(batches, "_RACY_NS", 0)
    batches.plan_batches(raw, warehouse)  # the index now postdates every file
    forget_process_caches()

    def no_hashing(raw_file):
        raise AssertionError(f"hashed {raw_file.source_path}")

    def no_reading(*args, **kwargs):
        raise AssertionError("read a partition's data")

    monkeypatch.setattr(batches, "file_digest", no_hashing)
    monkeypatch.setattr(batches.pl, "read_parquet", no_reading)
    plan = batches.plan_batches(raw, warehouse)
    assert [(b.name, b.run_id, b.reason, b.basis) for b in plan.batches] == \
        [(b.name, b.run_id, b.reason, b.basis) for b in expected.batches]


def test_the_digest_index_trusts_no_file_written_just_before_it(warehouse_copy, monkeypatch):
    raw, warehouse = warehouse_copy
    article = sorted((raw / "2025-06").glob("*.txt"))[0]
    before = batches.plan_batches(raw, warehouse).status("2025-06").run_id
    article.write_text(article.read_text(encoding="utf-8").replace("NHS", "NSH", 1), encoding="utf-8")
    forget_process_caches()
    hashed: list[str] = []
    real = batches.file_digest
    monkeypatch.setattr(batches, "file_digest", lambda f: hashed.append(f.source_path) or real(f))
    status = batches.plan_batches(raw, warehouse).status("2025-06")
    assert status.run_id != before and status.reason == batches.CHANGED
    assert article.relative_to(raw).as_posix() in hashed
    # Written within the racy margin of the index: looked at again, the file is hashed again.
    forget_process_caches()
    hashed.clear()
    assert batches.plan_batches(raw, warehouse).status("2025-06").run_id == status.run_id
    assert article.relative_to(raw).as_posix() in hashed
    # Once the index postdates the files by the margin, their digests are trusted. (Every batch's index: the
    # fixture's raw folder was copied just before it was built, so on a loaded machine the other batch's files
    # can be within the margin of their index too.)
    later = time.time_ns() + 10 * batches._RACY_NS
    for batch in ("2025-06", "2025-07"):
        os.utime(store.sidecar_path(warehouse, store.DIGEST_INDEX, batch), ns=(later, later))
    forget_process_caches()
    hashed.clear()
    assert batches.plan_batches(raw, warehouse).status("2025-06").run_id == status.run_id
    assert hashed == []


def test_the_digest_index_is_not_trusted_across_a_code_change(warehouse_copy, monkeypatch):
    raw, warehouse = warehouse_copy
    monkeypatch.setattr(batches, "_RACY_NS", 0)
    batches.plan_batches(raw, warehouse)
    forget_process_caches()
    hashed: list[str] = []
    real = batches.file_digest
    monkeypatch.setattr(batches, "file_digest", lambda f: hashed.append(f.source_path) or real(f))
    batches.plan_batches(raw, warehouse)
    assert hashed == []
    monkeypatch.setattr(batches, "code_fingerprint", lambda: "another version")
    forget_process_caches()
    batches.plan_batches(raw, warehouse)
    assert sorted(hashed) == sorted(f.source_path for f in batches.list_raw_files(raw))


def test_a_state_without_an_index_is_given_one_from_its_partitions(warehouse_copy):
    raw, warehouse = warehouse_copy
    expected = batches.plan_batches(raw, warehouse)
    state_file = warehouse / "staging" / "batch_state" / "2025-07.json"
    recorded = state_file.read_bytes()
    state = batch_state.read_batch_state(warehouse, "2025-07")
    batch_state._write_state(warehouse, "2025-07", state["run_id"], state["earlier_copies"], {})
    old_format = {k: v for k, v in state.items() if k != "index"}
    state_file.write_text(__import__("json").dumps(old_format, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    forget_process_caches()
    plan = batches.plan_batches(raw, warehouse)
    assert [(b.name, b.reason) for b in plan.batches] == [(b.name, b.reason) for b in expected.batches]
    assert state_file.read_bytes() == recorded


# ---------------------------------------------------------------------------------------------- the register

def _frames(mention_rows: list[dict], fact_rows: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    mentions = empty_frame(REGISTRY["mention_candidates"])
    facts = empty_frame(REGISTRY["fact_candidates"])
    m = pl.DataFrame([{c: r.get(c) for c in mentions.columns} for r in mention_rows], schema=mentions.schema)
    f = pl.DataFrame([{c: r.get(c) for c in facts.columns} for r in fact_rows], schema=facts.schema)
    return m, f


def _mention(key: str, name: str, article: str, surface: str | None = None) -> dict:
    return {"org_key": key, "org_name": name, "org_type": key.split(":")[0], "article_id": article,
            "surface": surface or name}


def _fact(key: str, name: str, article: str, members=()) -> dict:
    return {"org_key": key, "org_name": name, "org_type": key.split(":")[0], "article_id": article,
            "member_org_keys": [m[0] for m in members], "member_names": [m[1] for m in members],
            "member_types": [m[0].split(":")[0] for m in members]}


def test_merged_observations_of_batches_equal_one_pass_over_all_their_rows():
    first = _frames([_mention("CCG:salford", "Salford CCG", "a1"), _mention("trust:x", "X Trust", "a1")],
                    [_fact("group:g", "G", "a1", [("CCG:salford", "NHS Salford CCG"), ("trust:x", "X")])])
    second = _frames([_mention("CCG:salford", "NHS Salford CCG", "a2"), _mention("PCT:y", "Y PCT", "a2"),
                      _mention("CCG:salford", "Salford CCG", "a3")],
                     [_fact("PCT:y", "NHS Y", "a2"), _fact("group:g", "G", "a3", [("PCT:y", "Y")])])
    together = merge([observe(pl.concat([first[0], second[0]]), pl.concat([first[1], second[1]]))])
    apart = merge([observe(*first), observe(*second)])
    assert list(together) == list(apart)
    for key, entry in together.items():
        other = apart[key]
        assert (entry.org_type, list(entry.names.items()), entry.aliases, entry.articles, entry.members) == \
            (other.org_type, list(other.names.items()), other.aliases, other.articles, other.members), key
    assert apart["group:g"].members == ["PCT:y"]  # the last fact naming members wins


def test_the_register_from_sidecars_equals_the_register_from_every_row(warehouse_copy):
    _, warehouse = warehouse_copy
    every_row = resolve.register(store.read_table(warehouse, "mention_candidates"),
                                 store.read_table(warehouse, "fact_candidates"))
    assert store.list_sidecars(warehouse, store.REGISTER_INPUTS) == ["2025-06", "2025-07"]
    forget_process_caches()
    from_sidecars = resolve.resolve_register(warehouse)
    assert from_sidecars.organisations.equals(every_row.organisations)
    assert from_sidecars.org_keys.equals(every_row.org_keys)


def test_a_stale_or_damaged_register_sidecar_is_derived_again(warehouse_copy):
    _, warehouse = warehouse_copy
    expected = resolve.resolve_register(warehouse).organisations
    path = store.sidecar_path(warehouse, store.REGISTER_INPUTS, "2025-06")
    recorded = path.read_bytes()
    path.write_bytes(recorded.replace(b'"basis":{', b'"basis":{"stale":1,'))
    assert resolve.resolve_register(warehouse).organisations.equals(expected)
    assert path.read_bytes() == recorded
    path.write_bytes(b"{not json")
    assert resolve.resolve_register(warehouse).organisations.equals(expected)
    assert path.read_bytes() == recorded


# ---------------------------------------------------------------------------------------------- publishing

def _published_files(warehouse: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(warehouse)): (p.read_bytes(), p.stat().st_mtime_ns)
            for table in publish.PUBLISHED for p in store.table_dir(warehouse, table).rglob("*.parquet")}


def test_publishing_again_rewrites_only_batches_whose_org_ids_changed(warehouse_copy):
    _, warehouse = warehouse_copy
    before = _published_files(warehouse)
    assert publish.publish_tables(warehouse).written == []
    assert _published_files(warehouse) == before

    # A register change that touches one key of 2025-07 only.
    only_july = set(store.read_partition(warehouse, "mention_candidates", "2025-07")["org_key"]) - \
        set(store.read_partition(warehouse, "mention_candidates", "2025-06")["org_key"]) - \
        set(store.read_partition(warehouse, "fact_candidates", "2025-06")["org_key"])
    key = sorted(only_july)[0]
    org_keys = store.read_table(warehouse, "org_keys")
    store.write_table(warehouse, "org_keys", org_keys.with_columns(
        pl.when(pl.col("org_key") == key).then(pl.lit("org_changed")).otherwise(pl.col("org_id")).alias("org_id")))
    report = publish.publish_tables(warehouse)
    assert report.written == ["2025-07"]
    after = _published_files(warehouse)
    assert {k: v for k, v in after.items() if "2025-06" in k} == {k: v for k, v in before.items() if "2025-06" in k}
    assert "org_changed" in store.read_partition(warehouse, "org_mentions", "2025-07")["org_id"].to_list()
    assert report.rows == {t: store.read_table(warehouse, t).height for t in publish.PUBLISHED}

    # And back: the bytes are those of the first build.
    store.write_table(warehouse, "org_keys", org_keys)
    assert publish.publish_tables(warehouse).written == ["2025-07"]
    assert {k: v[0] for k, v in _published_files(warehouse).items()} == {k: v[0] for k, v in before.items()}


def test_a_published_batch_without_its_sidecar_or_partition_is_published_again(warehouse_copy):
    _, warehouse = warehouse_copy
    store.drop_sidecar(warehouse, store.PUBLISH_STATE, "2025-06")
    store.drop_partition(warehouse, "savings", "2025-07")
    assert publish.publish_tables(warehouse).written == ["2025-06", "2025-07"]
    assert publish.publish_tables(warehouse).written == []


def test_a_dropped_batch_leaves_no_sidecar(warehouse_copy):
    _, warehouse = warehouse_copy
    for kind in store.SIDECARS:
        assert "2025-06" in store.list_sidecars(warehouse, kind), kind
    batches.drop_batch(warehouse, "2025-06")
    for kind in store.SIDECARS:
        assert "2025-06" not in store.list_sidecars(warehouse, kind), kind


# ---------------------------------------------------------------------------------------------- runs, summary

def test_runs_and_summary_counts_from_footers_equal_the_rows(warehouse_copy):
    _, warehouse = warehouse_copy
    runs = run_table.write_runs_table(warehouse)
    for row in runs.iter_rows(named=True):
        for column, table in run_table.COUNTED.items():
            assert row[column] == store.read_partition(warehouse, table, row["batch"]).height, (column, row["batch"])
    built = summary.build_summary(warehouse, [], [])
    assert built.rows == {t: store.read_table(warehouse, t).height for t in summary.COUNTED_TABLES}
    assert built.rejected.equals(store.read_table(warehouse, "rejected_inputs", ["source_path", "reason", "detail"]))
