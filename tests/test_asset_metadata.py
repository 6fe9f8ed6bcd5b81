"""Asset metadata from Parquet footers and the first rows of a file: the same figures as the whole tables give,
without reading them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from assets import metadata
from assets.charts import deficits_by_year_markdown
from assets.publish import deficits_chart
from pipeline.warehouse import store
from schemas import REGISTRY
from tests.test_stored_checks import BATCHES, RUN_ID, _articles, _deficits

BATCH_ROWS = {"2011-01": 3, "2011-02": 4, "2011-03": 2}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Articles in three batches (3, 4 and 2 rows), deficits in two."""
    for batch, rows in BATCH_ROWS.items():
        frame = pl.concat([_articles(BATCHES[0]).with_columns(pl.lit(f"{batch[-1]}{i}" * 8).alias("article_id"),
                                                              pl.lit(batch).alias("batch")) for i in range(rows)])
        store.write_partition(tmp_path, "articles", batch, frame, RUN_ID)
    for batch, fy_end in zip(BATCHES, ("2015/16", None)):
        store.write_partition(tmp_path, "deficits", batch, _deficits(batch, fy_start=fy_end, fy_end=fy_end), RUN_ID)
    return tmp_path


@pytest.fixture
def no_table_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("metadata must not read whole partitions or tables")
    monkeypatch.setattr(store, "read_partition", refuse)
    monkeypatch.setattr(store, "read_table", refuse)


def test_row_count_and_preview_of_a_run_come_from_footers_and_first_rows(warehouse, no_table_reads):
    rows = metadata.stored_rows(warehouse, "articles", ["2011-01", "2011-02", "2099-12"],
                                hidden_columns=("body_text",))
    assert rows.count == 7
    # The preview is the first rows of the run's batches in order, however few each partition holds.
    assert rows.head.height == metadata.PREVIEW_ROWS
    assert rows.head["batch"].to_list() == ["2011-01"] * 3 + ["2011-02"] * 2
    assert "body_text" not in rows.head.columns
    assert rows.head.columns == [f.name for f in REGISTRY["articles"].fields if f.name != "body_text"]


def test_stored_rows_match_the_whole_table(warehouse):
    whole = store.read_table(warehouse, "articles")
    rows = metadata.stored_rows(warehouse, "articles")
    assert rows.count == whole.height
    assert rows.head.equals(whole.head(metadata.PREVIEW_ROWS))
    assert metadata.table_metadata("articles", rows)["preview"] == metadata.table_metadata("articles", whole)["preview"]


def test_a_table_not_written_yet_has_no_rows(tmp_path, no_table_reads):
    rows = metadata.stored_rows(tmp_path, "savings")
    assert rows.count == 0 and rows.head.height == 0
    assert metadata.table_metadata("savings", rows)["dagster/row_count"].value == 0


def test_the_deficits_chart_reads_only_its_columns(warehouse, monkeypatch):
    expected = deficits_by_year_markdown(store.read_table(warehouse, "deficits"))
    monkeypatch.setattr(store, "read_table", lambda *a, **k: pytest.fail("the chart read the whole table"))
    assert deficits_chart(warehouse) == expected
    assert "2015/16" in expected and "no year" in expected
