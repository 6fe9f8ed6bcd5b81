"""`figures`: every claim of the fact tables reconciled into one figure per body, financial year, table, measure
and scope, with the claims behind it.

A figure's best value is one claim's amount, chosen by the rule of its measure (`pipeline/data/figure_rules.csv`,
printed by `nhs-ledger rules`): the latest report for an expectation, the most precise statement for an outturn or
a target. Claims are never averaged: how far they disagree is a column of its own, and a figure whose claims differ
by more than `DISPUTE_THRESHOLD` is flagged `disputed`.

The table is made whole from the published tables on every build, so an incremental build gives what a full one
does; it reads only the columns it needs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from pipeline.data import read_rows
from pipeline.extract.extractor import stable_id
from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import conform, empty_frame
from schemas.tables import FACT_ID_COLUMNS

# A figure is one of these: claims that agree on all of them are claims of one figure.
FIGURE_KEY = ["org_id", "fact_table", "measure", "fy_start", "fy_end", "scope"]
# Claims whose spread is over a tenth of the largest disagree beyond rounding ("£35m" against "£35.4m" do not).
DISPUTE_THRESHOLD = 0.1
CLAIM_COLUMNS = ["fact_id", "fact_table", "article_id", "org_id", "scope", "measure", "amount_gbp",
                 "amount_low_gbp", "amount_high_gbp", "qualifier", "fy_start", "fy_end", "published_on"]
_FACT_COLUMNS = CLAIM_COLUMNS[2:-1]


@cache
def _rule_rows() -> tuple[dict[str, str], ...]:
    return tuple(read_rows("figure_rules.csv", strip=True,
                           header=["rule_id", "kind", "measures", "description", "example"]))


def figure_rules() -> dict[str, tuple[str, str]]:
    """measure -> (rule id, kind) for figures of several claims; the kind `only` is the rule of a single claim."""
    return {measure: (row["rule_id"], row["kind"]) for row in _rule_rows() if row["kind"] != "only"
            for measure in row["measures"].split()}


def single_claim_rule() -> str:
    return next(row["rule_id"] for row in _rule_rows() if row["kind"] == "only")


def read_claims(warehouse: Path) -> pl.DataFrame:
    """The claims a figure can be made of, from the published tables: every fact with a financial year, less the
    components of a savings plan (a part of a plan is not a claim of its total), with its article's date."""
    frames = []
    for table, id_column in FACT_ID_COLUMNS.items():
        extra = ["parent_saving_id"] if table == "savings" else []
        facts = store.read_columns(warehouse, table, [id_column, *_FACT_COLUMNS, *extra])
        if extra:
            facts = facts.filter(pl.col("parent_saving_id").is_null()).drop(extra)
        frames.append(facts.rename({id_column: "fact_id"}).with_columns(fact_table=pl.lit(table)))
    dates = store.read_columns(warehouse, "articles", ["article_id", "published_on"])
    claims = pl.concat(frames, how="diagonal").join(dates, on="article_id", how="left")
    return claims.select(CLAIM_COLUMNS)


def reconcile(claims: pl.DataFrame, organisations: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row of `figures` per figure the claims (rows of `CLAIM_COLUMNS`) make; `organisations` (org_id, name,
    org_type) names their bodies (a body it lacks is named by its id, of type `group`)."""
    claims = claims.filter(pl.col("fy_start").is_not_null() | pl.col("fy_end").is_not_null())
    if claims.is_empty():
        return empty_frame(REGISTRY["figures"])
    rules = figure_rules()
    kinds = {measure: kind for measure, (_, kind) in rules.items()}
    ranked = claims.with_columns(
        _precision().alias("_imprecision"),
        (-_significant_digits()).alias("_digits"),
        (-pl.col("published_on").cast(pl.Int32)).alias("_recency"),
        pl.col("measure").replace_strict(kinds, default="precise").alias("_kind"),
    )
    latest = pl.col("_kind") == "latest"
    # The sort keys in the order the measure's rule reads them; nulls (an undated article) sort last.
    ranked = ranked.with_columns(
        pl.when(latest).then(pl.col("_recency")).otherwise(pl.col("_imprecision")).alias("_k1"),
        pl.when(latest).then(pl.col("_imprecision")).otherwise(pl.col("_digits")).alias("_k2"),
        pl.when(latest).then(pl.col("_digits")).otherwise(pl.col("_recency")).alias("_k3"),
        # Claims of one day and one precision are mostly of one article, where two sums of one key are a total
        # and a part of it (or a figure and its revision) more often than two reports of one number: the total.
        (-pl.coalesce("amount_gbp", "amount_high_gbp")).alias("_k4"),
    ).sort([*FIGURE_KEY, "_k1", "_k2", "_k3", "_k4", "fact_id"], nulls_last=True)
    low = pl.coalesce("amount_gbp", "amount_low_gbp")
    high = pl.coalesce("amount_gbp", "amount_high_gbp")
    figures = ranked.group_by(FIGURE_KEY, maintain_order=True).agg(
        pl.col("amount_gbp", "amount_low_gbp", "amount_high_gbp", "qualifier").first(),
        pl.col("fact_id").first().alias("best_fact_id"),
        pl.col("fact_id").sort().alias("fact_ids"),
        pl.len().alias("n_reports"),
        pl.col("article_id").n_unique().alias("n_articles"),
        low.min().alias("min_gbp"),
        high.max().alias("max_gbp"),
        pl.col("published_on").min().alias("first_reported_on"),
        pl.col("published_on").max().alias("last_reported_on"),
    )
    rule_ids = {measure: rule_id for measure, (rule_id, _) in rules.items()}
    figures = figures.with_columns(
        ((pl.col("max_gbp") - pl.col("min_gbp")) / pl.col("max_gbp")).alias("disagreement"),
        pl.when(pl.col("n_reports") == 1).then(pl.lit(single_claim_rule()))
        .otherwise(pl.col("measure").replace_strict(rule_ids)).alias("rule_id"),
        pl.struct(FIGURE_KEY).map_elements(_figure_id, return_dtype=pl.Utf8).alias("figure_id"),
    ).with_columns((pl.col("disagreement") > DISPUTE_THRESHOLD).alias("disputed"))
    return conform(_named(figures, organisations), REGISTRY["figures"])


def _named(figures: pl.DataFrame, organisations: pl.DataFrame | None) -> pl.DataFrame:
    if organisations is None:
        organisations = pl.DataFrame(schema={"org_id": pl.Utf8, "name": pl.Utf8, "org_type": pl.Utf8})
    named = figures.join(organisations.rename({"name": "org_name"}), on="org_id", how="left", maintain_order="left")
    return named.with_columns(pl.col("org_name").fill_null(pl.col("org_id")), pl.col("org_type").fill_null("group"))


def write_figures_table(warehouse: Path) -> pl.DataFrame:
    figures = reconcile(read_claims(warehouse), store.read_table(warehouse, "organisations",
                                                                 ["org_id", "name", "org_type"]))
    store.write_table(warehouse, "figures", figures)
    return figures


def _precision() -> pl.Expr:
    """0 for a point amount as written, 1 for a hedged one ("nearly £9m"), 2 for a range."""
    return (pl.when(pl.col("amount_gbp").is_null()).then(2)
            .when(pl.col("qualifier").is_not_null()).then(1).otherwise(0))


def _significant_digits() -> pl.Expr:
    """How many significant digits the amount is stated to: £35m has 2, £35.4m has 3, £35,412,000 has 5."""
    whole = pl.coalesce("amount_gbp", "amount_low_gbp").round(0).cast(pl.Int64).cast(pl.Utf8)
    return whole.str.strip_chars_end("0").str.len_chars().cast(pl.Int32)


def _figure_id(key: dict) -> str:
    return stable_id("fig", *("" if key[name] is None else key[name] for name in FIGURE_KEY))
