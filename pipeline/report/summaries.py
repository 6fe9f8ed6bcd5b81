"""The numbers behind the report's charts and lists: plain functions over the frames of `reading.ReportData`.

The headline charts count figures of one body (scope `org`): a collective's figure ("trusts in the North West",
"the NHS") overlaps its members', and adding both would count the same money twice. They chart best values
(`amount_gbp`); a figure whose best claim is a range has none and is left out of sums, but not of counts.
Every frame comes back sorted, so that the charts and pages made from it are the same bytes on every run.
"""

from __future__ import annotations

import polars as pl

TOP_DEFICITS = 15


def single_body_figures(figures: pl.DataFrame) -> pl.DataFrame:
    return figures.filter(pl.col("scope") == "org")


def totals_by_year(figures: pl.DataFrame) -> pl.DataFrame:
    """fact_table, report_year, org_type, amount_gbp (the sum of best values), n_figures."""
    summed = single_body_figures(figures).filter(pl.col("amount_gbp").is_not_null())
    return (summed.group_by("fact_table", "report_year", "org_type")
            .agg(pl.col("amount_gbp").sum(), pl.len().alias("n_figures"))
            .sort("fact_table", "report_year", "org_type"))


def largest_deficits(figures: pl.DataFrame, count: int = TOP_DEFICITS) -> pl.DataFrame:
    """The `count` deficit figures of one body with the largest best values, largest first (ties by body and year),
    each with a `label` naming body, year and measure (a body can have a forecast and an actual of one year)."""
    deficits = single_body_figures(figures).filter((pl.col("fact_table") == "deficits")
                                                   & pl.col("amount_gbp").is_not_null())
    top = deficits.sort(["amount_gbp", "org_name", "report_year", "measure", "figure_id"],
                        descending=[True, False, False, False, False]).head(count)
    return top.select(
        "figure_id", "org_id", "org_name", "report_year", "measure", "amount_gbp", "disputed",
        pl.format("{} ({} {})", "org_name", "report_year", "measure").alias("label"),
    )


def bodies_per_year(figures: pl.DataFrame) -> pl.DataFrame:
    """fact_table, report_year, n_bodies: how many distinct bodies have a figure of the table for the year."""
    return (single_body_figures(figures).group_by("fact_table", "report_year")
            .agg(pl.col("org_id").n_unique().alias("n_bodies"))
            .sort("fact_table", "report_year"))


def bodies_with_figures(figures: pl.DataFrame, organisations: pl.DataFrame) -> pl.DataFrame:
    """One row per body that has a figure: org_id, name, org_type, ods_code, n_figures, n_disputed; by name."""
    counts = figures.group_by("org_id").agg(
        pl.col("org_name").first().alias("figure_name"),
        pl.col("org_type").first().alias("figure_type"),
        pl.len().alias("n_figures"),
        pl.col("disputed").sum().cast(pl.Int64).alias("n_disputed"),
    )
    bodies = counts.join(organisations.select("org_id", "name", "org_type", "ods_code"), on="org_id", how="left")
    # `figures` names a body the register lacks by its id, of type `group`; the register's name wins when it has one.
    bodies = bodies.with_columns(pl.coalesce("name", "figure_name").alias("name"),
                                 pl.coalesce("org_type", "figure_type").alias("org_type"))
    return (bodies.select("org_id", "name", "org_type", "ods_code", "n_figures", "n_disputed")
            .sort(pl.col("name").str.to_lowercase(), "org_id"))


def figures_of_body(figures: pl.DataFrame) -> pl.DataFrame:
    """A body's figures in the order its page lists them: by year, then table and measure."""
    return figures.sort("report_year", "fy_start", "fact_table", "measure", "scope", "figure_id", nulls_last=True)


def claims_of_body(claims: pl.DataFrame, org_id: str) -> pl.DataFrame:
    """Every claim (fact of `savings` or `deficits`) of one body, as its page lists them: deficits then savings,
    each by financial year (claims with none last), then by the article's date (undated last)."""
    return sort_claims(claims.filter(pl.col("org_id") == org_id))


def _claim_order(by_body: bool) -> list[pl.Expr]:
    return [*([pl.col("org_id")] if by_body else []), pl.col("fact_table"), pl.coalesce("fy_end", "fy_start"),
            pl.col("published_on"), pl.col("title"), pl.col("fact_id")]


# The columns `sort_claims` reads (by body): all a page keeps of its claims besides their rows.
CLAIM_ORDER_COLUMNS = tuple(dict.fromkeys(name for key in _claim_order(by_body=True) for name in key.meta.root_names()))


def sort_claims(claims: pl.DataFrame, *, by_body: bool = False) -> pl.DataFrame:
    return claims.sort(_claim_order(by_body), nulls_last=True)


def successions_by_body(successions: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """org_id -> the successions that name it, on either side: one pass, as for the claims."""
    sides = pl.concat([successions.with_columns(pl.col(side).alias("_body"))
                       for side in ("predecessor_org_id", "successor_org_id")])
    if sides.is_empty():
        return {}
    return {key[0]: part.drop("_body").unique(maintain_order=True)
            for key, part in sides.partition_by("_body", as_dict=True).items()}


def claims_by_body(claims: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """org_id -> its claims in page order: one sort of all claims by body and page order, each body's claims a
    slice of it (no copy), where filtering per body would be one pass each. The page order ends on `fact_id`,
    which is unique, so a body's slice is in the order `sort_claims` gives it."""
    if claims.is_empty():
        return {}
    ordered = sort_claims(claims, by_body=True)
    runs = ordered.select(pl.col("org_id").rle()).unnest("org_id")
    slices, start = {}, 0
    for length, org_id in runs.iter_rows():
        slices[org_id] = ordered.slice(start, length)
        start += length
    return slices
