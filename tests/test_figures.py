"""`figures`: one reconciled figure per body, year, table, measure and scope, with every claim behind it.

The rules that choose a figure's best value (pipeline/data/figure_rules.csv) on made-up claims; the contract checks
of the table, each shown to fail on a broken row; and builds from articles that repeat and revise figures across
two batches, where an incremental build must give the bytes of a full one.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from cli.main import main
from pipeline.checks import table_checks
from pipeline.publish.figures import DISPUTE_THRESHOLD, reconcile
from pipeline.warehouse import store
from tests.support.claims import claim, claims

JUNE, JANUARY = dt.date(2016, 6, 1), dt.date(2017, 1, 15)


def one(frame: pl.DataFrame) -> dict:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


# ---------------------------------------------------------------------------------------------- the rules

def test_a_forecast_takes_the_latest_report_even_when_an_older_one_is_more_precise():
    figure = one(reconcile(claims(
        claim("forecast", 6.25e6, fact_id="def_" + "a" * 16, published_on=JUNE),
        claim("forecast", 9e6, fact_id="def_" + "b" * 16, published_on=JANUARY, qualifier="about"),
    )))
    assert (figure["amount_gbp"], figure["qualifier"], figure["rule_id"]) == (9e6, "about", "figure.latest_report")
    assert figure["best_fact_id"] == "def_" + "b" * 16


def test_an_outturn_takes_the_most_precise_statement_then_the_latest():
    figure = one(reconcile(claims(
        claim("actual", 9.2e6, fact_id="def_" + "a" * 16, published_on=JUNE),
        claim("actual", 9e6, fact_id="def_" + "b" * 16, published_on=JANUARY, qualifier="nearly"),
        claim("actual", 9e6, fact_id="def_" + "c" * 16, published_on=JANUARY),
    )))
    assert (figure["amount_gbp"], figure["rule_id"]) == (9.2e6, "figure.most_precise_report")  # 2 digits beat 1
    later = one(reconcile(claims(
        claim("target", 18.4e6, fact_id="sav_" + "a" * 16, published_on=JUNE),
        claim("target", 18.6e6, fact_id="sav_" + "b" * 16, published_on=JANUARY),
    )))
    assert later["amount_gbp"] == 18.6e6  # as precise: the later report


def test_a_point_amount_beats_a_hedged_one_and_a_hedged_one_beats_a_range():
    rows = [
        claim("achieved", None, fact_id="sav_" + "a" * 16, published_on=JANUARY, low=3e6, high=4e6),
        claim("achieved", 3.5e6, fact_id="sav_" + "b" * 16, published_on=JUNE, qualifier="more than"),
    ]
    assert one(reconcile(claims(*rows)))["best_fact_id"] == "sav_" + "b" * 16
    point = claim("achieved", 3.7e6, fact_id="sav_" + "c" * 16, published_on=dt.date(2016, 1, 1))
    assert one(reconcile(claims(*rows, point)))["best_fact_id"] == "sav_" + "c" * 16


def test_a_range_as_the_best_claim_gives_its_bounds_and_no_single_amount():
    figure = one(reconcile(claims(
        claim("forecast", 2e6, fact_id="def_" + "a" * 16, published_on=JUNE),
        claim("forecast", None, fact_id="def_" + "b" * 16, published_on=JANUARY, low=3e6, high=5e6),
    )))
    assert (figure["amount_gbp"], figure["amount_low_gbp"], figure["amount_high_gbp"]) == (None, 3e6, 5e6)
    assert (figure["min_gbp"], figure["max_gbp"]) == (2e6, 5e6)


def test_an_undated_report_is_never_the_latest_and_ties_go_to_the_lowest_fact_id():
    figure = one(reconcile(claims(
        claim("planned", 5e6, fact_id="def_" + "1" * 16),
        claim("planned", 4.5e6, fact_id="def_" + "3" * 16, published_on=JUNE),
        claim("planned", 4.5e6, fact_id="def_" + "2" * 16, published_on=JUNE),
    )))
    assert figure["best_fact_id"] == "def_" + "2" * 16  # one day, one precision, one amount: the lowest id
    assert (figure["first_reported_on"], figure["last_reported_on"]) == (JUNE, JUNE)


def test_claims_level_on_date_and_precision_go_to_the_largest_amount():
    # One article: "£5.5m more, on top of £67m of planned cuts" are a part and a total of one target.
    figure = one(reconcile(claims(
        claim("target", 67e6, fact_id="sav_" + "9" * 16, article_id="1" * 16, published_on=JUNE),
        claim("target", 5.5e6, fact_id="sav_" + "1" * 16, article_id="1" * 16, published_on=JUNE),
    )))
    assert (figure["amount_gbp"], figure["n_articles"], figure["disputed"]) == (67e6, 1, True)


def test_claims_are_never_averaged_and_a_spread_over_the_threshold_is_disputed():
    close = reconcile(claims(claim("actual", 10e6, fact_id="def_" + "a" * 16),
                             claim("actual", 10.5e6, fact_id="def_" + "b" * 16)))
    apart = reconcile(claims(claim("actual", 10e6, fact_id="def_" + "a" * 16),
                             claim("actual", 12.5e6, fact_id="def_" + "b" * 16)))
    assert one(close)["disagreement"] == pytest.approx(0.5 / 10.5) and not one(close)["disputed"]
    assert one(apart)["disagreement"] == pytest.approx(0.2) and 0.2 > DISPUTE_THRESHOLD
    assert one(apart)["disputed"]
    assert one(apart)["amount_gbp"] in (10e6, 12.5e6)


def test_a_single_claim_is_its_own_figure_and_undated_or_yearless_claims_make_none():
    frame = reconcile(claims(claim("shortfall", 3e6, fact_id="sav_" + "a" * 16, fy=None),
                             claim("shortfall", 2e6, fact_id="sav_" + "b" * 16)))
    figure = one(frame)
    assert (figure["rule_id"], figure["n_reports"], figure["disagreement"], figure["disputed"]) == \
        ("figure.single_report", 1, 0.0, False)
    assert figure["first_reported_on"] is None


def test_figures_are_keyed_by_body_year_measure_and_scope_with_stable_ids():
    rows = [claim("target", 5e6, fact_id="sav_" + "a" * 16, article_id="1" * 16),
            claim("target", 5e6, fact_id="sav_" + "b" * 16, article_id="1" * 16),
            claim("target", 5e6, fact_id="sav_" + "c" * 16, scope="aggregate"),
            claim("target", 5e6, fact_id="sav_" + "d" * 16, fy="2017/18"),
            claim("achieved", 5e6, fact_id="sav_" + "e" * 16),
            claim("target", 5e6, fact_id="sav_" + "f" * 16, org_id="org_" + "2" * 16)]
    figures = reconcile(claims(*rows))
    assert figures.height == 5
    both = figures.filter(pl.col("n_reports") == 2)
    assert one(both)["n_articles"] == 1 and one(both)["fact_ids"] == ["sav_" + "a" * 16, "sav_" + "b" * 16]
    again = reconcile(claims(*reversed(rows)))
    assert again.equals(figures)  # the order claims come in changes nothing, ids included
    assert figures["figure_id"].n_unique() == 5 and figures["figure_id"].str.contains(r"^fig_[0-9a-f]{16}$").all()


# ---------------------------------------------------------------------------------------------- the checks

def _tables() -> dict[str, pl.DataFrame]:
    rows = [claim("actual", 10e6, fact_id="def_" + "a" * 16), claim("actual", 12e6, fact_id="def_" + "b" * 16),
            claim("target", 3e6, fact_id="sav_" + "c" * 16)]
    figures = reconcile(claims(*rows), pl.DataFrame({"org_id": ["org_" + "1" * 16], "name": ["NHS Luton CCG"],
                                                     "org_type": ["CCG"]}))
    organisations = pl.DataFrame({"org_id": ["org_" + "1" * 16]})
    return {"figures": figures, "organisations": organisations,
            "deficits": pl.DataFrame({"deficit_id": ["def_" + "a" * 16, "def_" + "b" * 16]}),
            "savings": pl.DataFrame({"saving_id": ["sav_" + "c" * 16]})}


def _failed(tables: dict[str, pl.DataFrame]) -> set[str]:
    return {r.name for r in table_checks("figures", tables) if not r.passed}


def test_the_figures_of_sound_claims_pass_every_contract_check():
    assert _failed(_tables()) == set()


@pytest.mark.parametrize("breakage,checks", [
    # A claim that exists nowhere is also one claim more than the figure counts.
    (pl.col("fact_ids").list.concat(pl.lit(["def_" + "f" * 16])), {"figures_claims_exist", "figures_reports_counted"}),
    (pl.lit("def_" + "f" * 16).alias("best_fact_id"), {"figures_best_among_claims",
                                                       "figures_best_fact_id_exists_in_facts"}),
    ((pl.col("n_reports") + 1).alias("n_reports"), {"figures_reports_counted"}),
    ((pl.col("max_gbp") * 2).alias("amount_gbp"), {"figures_best_within_claims"}),
    (pl.lit("org_" + "9" * 16).alias("org_id"), {"figures_org_id_exists_in_organisations"}),
    (pl.lit(None, pl.Utf8).alias("fy_start"), set()),  # with fy_end still set: a figure of a year
])
def test_each_contract_check_fails_on_the_row_that_breaks_it(breakage, checks):
    tables = _tables()
    name = breakage.meta.output_name()
    tables["figures"] = tables["figures"].with_columns(breakage.alias(name))
    assert _failed(tables) == checks


def test_a_figure_without_any_year_fails_its_check():
    tables = _tables()
    tables["figures"] = tables["figures"].with_columns(pl.lit(None, pl.Utf8).alias(c) for c in ("fy_start", "fy_end"))
    assert _failed(tables) == {"figures_have_a_year"}


# ---------------------------------------------------------------------------------------------- builds

ARTICLES = {
    "2016-06": [
        ("NHS Luton CCG expects deficit", "2016-06-01", "NHS Luton Clinical Commissioning Group is forecasting a "
         "deficit of £6m for 2016/17, its board heard on Tuesday."),
        ("Stockport trust savings", "2016-06-10", "Stockport NHS Foundation Trust has been set a savings target of "
         "£18m for 2016/17. The trust said it was confident."),
    ],
    "2017-01": [
        ("Luton CCG deficit grows", "2017-01-15", "NHS Luton Clinical Commissioning Group is now forecasting a "
         "deficit of £9.2m for 2016/17, up from earlier estimates."),
        ("Stockport trust target", "2017-01-20", "Stockport NHS Foundation Trust has a savings target of nearly "
         "£18.4m for 2016/17, papers show."),
    ],
}


def _write_batch(raw: Path, batch: str) -> None:
    (raw / batch).mkdir(parents=True)
    records = [{"title": title, "published": day, "url": f"https://example.org/{batch}/{n}", "text": text}
               for n, (title, day, text) in enumerate(ARTICLES[batch])]
    (raw / batch / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _build(raw: Path, warehouse: Path) -> bytes:
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    return (store.table_dir(warehouse, "figures") / store.PART_FILE).read_bytes()


@pytest.mark.slow
def test_figures_reconcile_claims_across_batches_and_an_incremental_build_equals_a_full_one(tmp_path):
    raw = tmp_path / "raw"
    _write_batch(raw, "2016-06")
    first = store.read_table(_build_and_read(raw, tmp_path / "incremental"), "figures")
    assert set(first["n_reports"]) == {1}
    _write_batch(raw, "2017-01")
    incremental = _build(raw, tmp_path / "incremental")
    assert incremental == _build(raw, tmp_path / "full")

    figures = store.read_table(tmp_path / "full", "figures").sort("fact_table")
    deficit, target = figures.rows(named=True)
    assert (deficit["amount_gbp"], deficit["n_reports"], deficit["rule_id"]) == (9.2e6, 2, "figure.latest_report")
    assert deficit["disputed"] and (deficit["first_reported_on"], deficit["last_reported_on"]) == \
        (dt.date(2016, 6, 1), dt.date(2017, 1, 15))
    assert (target["amount_gbp"], target["rule_id"], target["disputed"]) == (18e6, "figure.most_precise_report",
                                                                            False)
    assert "Stockport" in target["org_name"] and target["org_type"] == "trust"
    # Removing the later batch takes its claims out of the figures again.
    shutil.rmtree(raw / "2017-01")
    assert set(store.read_table(_build_and_read(raw, tmp_path / "incremental"), "figures")["n_reports"]) == {1}


def _build_and_read(raw: Path, warehouse: Path) -> Path:
    _build(raw, warehouse)
    return warehouse
