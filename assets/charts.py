"""Charts for materialisation metadata: plain functions over polars frames, rendered as markdown.

Dagster renders `MetadataValue.md` in the asset's materialisation panel, so a markdown table with a unicode bar is
a chart that needs no plotting library and reads the same in the UI, in the GraphQL API and in a terminal.
"""

from __future__ import annotations

import polars as pl

from schemas.tables import DEFICIT_MEASURES

NO_YEAR = "no year"
# The columns of `deficits` the chart reads: a caller need not load the rest.
DEFICIT_CHART_COLUMNS = ["fy_end", "measure", "amount_gbp", "amount_low_gbp"]
BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"  # index n: a cell n/8 full
_FULL = "█"


def deficits_by_year_markdown(deficits: pl.DataFrame) -> str:
    """Deficit facts per financial year (`fy_end`, or "no year"), as a markdown table with a bar chart.

    One row per year, oldest first and "no year" last: the number of facts, their total in £m, a bar scaled to
    the largest total, and the total of each measure (forecast, actual, planned). A fact stated as a range counts
    at its lower bound. The totals add figures as reported, so they overlap (a forecast and the actual of the same
    body, a region and its members): they show where the reporting is, not the NHS's deficit.
    """
    if deficits.height == 0:
        return "_(no deficits)_"
    frame = deficits.select(
        pl.col("fy_end").fill_null(NO_YEAR).alias("year"),
        pl.col("measure"),
        pl.coalesce("amount_gbp", "amount_low_gbp").fill_null(0.0).alias("amount"),
    )
    measures = [*DEFICIT_MEASURES, *sorted(set(frame["measure"].drop_nulls()) - set(DEFICIT_MEASURES))]
    by_year = frame.group_by("year").agg(
        pl.len().alias("count"),
        pl.col("amount").sum().alias("total"),
        *[pl.col("amount").filter(pl.col("measure") == m).sum().alias(m) for m in measures],
    ).sort(pl.col("year") == NO_YEAR, "year")
    largest = by_year["total"].max() or 0.0

    header = ["financial year", "facts", "total £m", "", *[f"{m} £m" for m in measures]]
    lines = ["| " + " | ".join(header) + " |",
             "|---|--:|--:|:--|" + "--:|" * len(measures)]
    for row in by_year.iter_rows(named=True):
        cells = [row["year"], str(row["count"]), _millions(row["total"]), _bar(row["total"], largest),
                 *[_millions(row[m]) if row[m] else "–" for m in measures]]
        lines.append("| " + " | ".join(cells) + " |")
    total = frame["amount"].sum()
    lines.append(f"\n{frame.height} deficit facts, £{_millions(total)}m as reported. Ranges count at their lower "
                 "bound; totals overlap (forecasts and actuals, regions and their members), so they are not the "
                 "NHS's deficit.")
    return "\n".join(lines)


def _millions(amount: float) -> str:
    return f"{amount / 1e6:,.1f}"


def _bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of `width` cells for `largest`, with eighth-cell resolution; never empty for a positive value."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return _FULL * full + (_EIGHTHS[rest] if rest else "")
