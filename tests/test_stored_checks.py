"""The contract's checks on a warehouse's Parquet files: partition by partition and key columns only, with the
same verdicts and failure reports as on whole tables, and a cache of passes that never hides a new failure."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline import checks
from pipeline.warehouse import store
from pipeline.checks import CACHE_DIR, TABLE_CHECKS, stored_table_checks, table_checks, warehouse_checks
from schemas import REGISTRY
from schemas.polars_types import polars_schema

RUN_ID = "run_" + "1" * 16
ORG_ID = "org_" + "3" * 16
BATCHES = ("2011-01", "2011-02")


def _article_id(batch: str) -> str:
    return ("a1" if batch == BATCHES[0] else "b2") * 8


def _body(batch: str) -> str:
    return f"NHS Hull faces a deficit of £7.6m in {batch}."


def _articles(batch: str) -> pl.DataFrame:
    return pl.DataFrame([{
        "article_id": _article_id(batch), "source_path": f"{batch}/a.txt", "source_format": "txt", "url": None,
        "title": "Hull", "published_on": None, "body_text": _body(batch), "content_sha256": "a" * 64,
        "n_removed_chars": 0, "run_id": RUN_ID, "batch": batch,
    }], schema=polars_schema(REGISTRY["articles"]))


def _deficit_id(batch: str) -> str:
    return "def_" + ("2" if batch == BATCHES[0] else "4") * 16


def _deficits(batch: str, **overrides) -> pl.DataFrame:
    body = _body(batch)
    row = {
        "deficit_id": _deficit_id(batch), "article_id": _article_id(batch), "org_id": ORG_ID, "scope": "org",
        "measure": "forecast", "amount_gbp": 7_600_000.0, "amount_low_gbp": None, "amount_high_gbp": None,
        "qualifier": None, "fy_start": None, "fy_end": None, "horizon_years": None,
        "evidence": body, "char_start": 0, "char_end": len(body), "amount_text": "£7.6m", "period_text": None,
        "rule_id": "deficit.deficit", "extractor_version": "0.2.0", "run_id": RUN_ID, "batch": batch,
    } | overrides
    return pl.DataFrame([row], schema=polars_schema(REGISTRY["deficits"]))


def _evidence(batch: str) -> pl.DataFrame:
    body = _body(batch)
    return pl.DataFrame([{
        "fact_id": _deficit_id(batch), "fact_table": "deficits", "article_id": _article_id(batch), "evidence": body,
        "char_start": 0, "char_end": len(body), "amount_text": "£7.6m", "amount_char_start": body.index("£"),
        "amount_char_end": body.index("£") + 5, "is_primary": True, "batch": batch,
    }], schema=polars_schema(REGISTRY["fact_evidence"]))


def _mentions(batch: str, article_batch: str | None = None) -> pl.DataFrame:
    article_batch = article_batch or batch
    return pl.DataFrame([{
        "mention_id": "men_" + ("5" if batch == BATCHES[0] else "6") * 16, "article_id": _article_id(article_batch),
        "org_id": ORG_ID, "surface": "NHS Hull", "char_start": 0, "char_end": 8, "rule_id": "org.pattern",
        "extractor_version": "0.2.0", "run_id": RUN_ID, "batch": batch,
    }], schema=polars_schema(REGISTRY["org_mentions"]))


def _organisations() -> pl.DataFrame:
    return pl.DataFrame([{
        "org_id": ORG_ID, "name": "NHS Hull", "org_type": "PCT", "ods_code": None, "aliases": ["NHS Hull"],
        "member_org_ids": [], "n_articles": 2, "valid_from": None, "valid_to": None,
        "match_status": "no reference data", "match_score": None, "match_reason": None,
    }], schema=polars_schema(REGISTRY["organisations"]))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Two batches, each with an article, a mention of a body, a deficit and its statement: a valid warehouse."""
    store.write_table(tmp_path, "organisations", _organisations())
    for batch in BATCHES:
        store.write_partition(tmp_path, "articles", batch, _articles(batch), RUN_ID)
        store.write_partition(tmp_path, "org_mentions", batch, _mentions(batch), RUN_ID)
        store.write_partition(tmp_path, "deficits", batch, _deficits(batch), RUN_ID)
        store.write_partition(tmp_path, "fact_evidence", batch, _evidence(batch), RUN_ID)
    return tmp_path


def _whole_tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    return {name: store.read_table(warehouse, name) for name in TABLE_CHECKS}


def _by_name(results) -> dict[str, pl.DataFrame]:
    return {r.name: r.failures for r in results}


def _assert_same_verdicts(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The checks on the Parquet files report what the checks on the whole tables in memory report."""
    stored = _by_name(warehouse_checks(warehouse))
    whole = _by_name(r for table in TABLE_CHECKS for r in table_checks(table, _whole_tables(warehouse)))
    assert sorted(stored) == sorted(whole)
    for name, failures in whole.items():
        assert stored[name].height == failures.height, name
        if failures.height:
            assert stored[name].sort(stored[name].columns).equals(failures.sort(failures.columns)), name
    return stored


def test_a_valid_warehouse_passes_every_check_with_the_same_names_as_in_memory(warehouse):
    stored = _assert_same_verdicts(warehouse)
    assert all(f.height == 0 for f in stored.values()), {n: f for n, f in stored.items() if f.height}
    # Names, descriptions and order are those the Dagster check specs are generated from.
    for table in TABLE_CHECKS:
        expected = [(r.name, r.description) for r in table_checks(table, {})]
        assert [(r.name, r.description) for r in stored_table_checks(warehouse, table)] == expected


def test_a_corrupted_partition_fails_although_its_batch_passed_before(warehouse):
    assert all(r.passed for r in stored_table_checks(warehouse, "deficits"))  # the pass is now cached
    store.write_partition(warehouse, "deficits", BATCHES[1], _deficits(BATCHES[1], measure="guess", char_start=1),
                          RUN_ID)

    failed = {r.name: r for r in stored_table_checks(warehouse, "deficits") if not r.passed}

    assert set(failed) == {"deficits_schema", "deficits_evidence_matches_body_text"}
    row = failed["deficits_schema"].failures.row(0, named=True)
    # The column, the rule, the value, and the row: its key and its place in the whole table (the second row).
    assert row["column"] == "measure" and "isin" in row["check"] and row["failure_case"] == "guess"
    assert row["row_key"] == _deficit_id(BATCHES[1]) and row["index"] == "1"
    assert failed["deficits_evidence_matches_body_text"].failures["deficit_id"].to_list() == [_deficit_id(BATCHES[1])]
    # A failure is never cached: it fails again, and exactly as the whole table in memory fails.
    assert not all(r.passed for r in stored_table_checks(warehouse, "deficits"))
    _assert_same_verdicts(warehouse)


def test_a_file_replaced_under_the_same_run_id_and_size_is_checked_again(warehouse):
    assert all(r.passed for r in stored_table_checks(warehouse, "deficits"))
    path = store.partition_dir(warehouse, "deficits", BATCHES[0]) / store.PART_FILE
    size = path.stat().st_size
    # Same run id and the same number of bytes: only the file's identity on disk (inode, mtime) tells.
    store.write_partition(warehouse, "deficits", BATCHES[0], _deficits(BATCHES[0], measure="Forecast"), RUN_ID)
    assert path.stat().st_size == size
    failed = [r.name for r in stored_table_checks(warehouse, "deficits") if not r.passed]
    assert failed == ["deficits_schema"]


def test_rules_across_partitions_see_every_batch(warehouse):
    # The same deficit in both batches, and a mention of a body the register does not have.
    store.write_partition(warehouse, "deficits", BATCHES[1], _deficits(BATCHES[1], deficit_id=_deficit_id(BATCHES[0]),
                                                                        article_id=_article_id(BATCHES[1])), RUN_ID)
    store.write_partition(warehouse, "org_mentions", BATCHES[1],
                          _mentions(BATCHES[1]).with_columns(pl.lit("org_" + "9" * 16).alias("org_id")), RUN_ID)

    stored = _assert_same_verdicts(warehouse)

    duplicates = stored["deficits_schema"]
    assert duplicates["check"].to_list() == ["field_uniqueness", "field_uniqueness"]
    assert duplicates["index"].to_list() == ["0", "1"] and set(duplicates["row_key"]) == {_deficit_id(BATCHES[0])}
    assert stored["deficits_deficit_id_unique"].height == 1
    assert stored["org_mentions_org_id_exists_in_organisations"]["org_id"].to_list() == ["org_" + "9" * 16]
    # The second batch's statement now names a fact that is no longer there.
    assert stored["fact_evidence_fact_id_exists_in_facts"].height == 1


def test_a_composite_key_duplicated_across_partitions_fails_the_schema(warehouse):
    store.write_partition(warehouse, "fact_evidence", BATCHES[1], _evidence(BATCHES[0]).with_columns(
        pl.lit(BATCHES[1]).alias("batch")), RUN_ID)
    stored = _assert_same_verdicts(warehouse)
    failures = stored["fact_evidence_schema"]
    assert failures["check"].to_list() == ["multiple_fields_uniqueness"] * 2
    assert json.loads(failures["failure_case"][0]) == {"fact_id": _deficit_id(BATCHES[0]),
                                                       "amount_char_start": _body(BATCHES[0]).index("£")}


def test_unchanged_partitions_are_not_read_again(warehouse, monkeypatch):
    assert all(r.passed for r in warehouse_checks(warehouse))
    read = []
    original = store.read_partition
    monkeypatch.setattr(store, "read_partition", lambda w, table, batch: read.append((table, batch))
                        or original(w, table, batch))

    assert all(r.passed for r in warehouse_checks(warehouse))
    assert read == []  # only key columns were read

    batch = "2011-03"
    store.write_partition(warehouse, "articles", batch, _articles(BATCHES[0]).with_columns(
        pl.lit("c3" * 8).alias("article_id"), pl.lit(batch).alias("batch")), RUN_ID)
    assert all(r.passed for r in warehouse_checks(warehouse))
    assert read == [("articles", batch)]


def test_the_row_rules_run_again_when_the_rules_change(warehouse, monkeypatch):
    assert all(r.passed for r in stored_table_checks(warehouse, "deficits"))
    saved = json.loads((warehouse / CACHE_DIR / "deficits.json").read_text())
    assert sorted(saved["passed"]) == list(BATCHES)
    monkeypatch.setattr(checks.cache, "rules_version", lambda: "another version")
    read = []
    original = store.read_partition
    monkeypatch.setattr(store, "read_partition",
                        lambda w, table, batch: read.append(batch) or original(w, table, batch))
    assert all(r.passed for r in stored_table_checks(warehouse, "deficits"))
    assert read == list(BATCHES)


def test_a_row_pointing_into_another_batch_is_checked_against_that_article_and_not_cached(warehouse):
    store.write_partition(warehouse, "org_mentions", BATCHES[1], _mentions(BATCHES[1], article_batch=BATCHES[0]),
                          RUN_ID)
    assert all(r.passed for r in stored_table_checks(warehouse, "org_mentions"))
    saved = json.loads((warehouse / CACHE_DIR / "org_mentions.json").read_text())
    assert sorted(saved["passed"]) == [BATCHES[0]]
    _assert_same_verdicts(warehouse)


def test_an_empty_warehouse_reports_every_check(tmp_path):
    results = warehouse_checks(tmp_path)
    assert [r.name for r in results] == [r.name for table in TABLE_CHECKS for r in table_checks(table, {})]
    assert all(r.passed for r in results)


def test_many_partitions_are_validated_in_chunks_with_their_places_in_the_table(warehouse, monkeypatch):
    monkeypatch.setattr(checks.passes, "CHUNK_BYTES", 1)  # one partition per chunk
    store.write_partition(warehouse, "articles", BATCHES[1], _articles(BATCHES[1]).with_columns(
        pl.lit("pdf").alias("source_format")), RUN_ID)
    failures = _assert_same_verdicts(warehouse)["articles_schema"]
    assert failures.select("column", "failure_case", "index").rows() == [("source_format", "pdf", "1")]
