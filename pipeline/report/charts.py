"""The report's charts: Vega-Lite specs made with Altair, drawn to SVG by vl-convert, inlined in the pages.

These are the index's three headline charts; a body's own chart, of which a report has hundreds, is drawn by
`body_chart`. Each chart gets its data as inline values, already summed and sorted by `summaries`, so the spec (and
so the SVG) depends on nothing but the warehouse. Colours are fixed per measure and per body type, so a colour
means the same on every page.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from pipeline.report.money import format_gbp
from schemas.tables import DEFICIT_MEASURES, ORG_TYPES, SAVING_MEASURES

# Deficits in warm colours, savings in cool ones: the two tables read apart at a glance.
MEASURE_COLOURS = {
    "forecast": "#e08214", "actual": "#b2182b", "planned": "#fdb863",
    "target": "#2166ac", "potential": "#92c5de", "achieved": "#1b7837", "shortfall": "#762a83",
}
MEASURES = (*DEFICIT_MEASURES, *SAVING_MEASURES)
TABLE_COLOURS = {"deficits": "#b2182b", "savings": "#2166ac"}
# Tableau's ten categorical colours, one per body type in the registry's order.
ORG_TYPE_COLOURS = dict(zip(ORG_TYPES, ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")))
FONT = "sans-serif"
# Pounds on an axis, as `money.format_gbp` prints them: `£1.25bn`, `£12.5m`, `£0.5m`.
_MONEY_LABELS = ("datum.value >= 1e9 ? '£' + format(datum.value / 1e9, ',.3~r') + 'bn' "
                 ": datum.value == 0 ? '£0' : '£' + format(datum.value / 1e6, ',.3~r') + 'm'")


def _config(chart: alt.TopLevelMixin) -> dict:
    return chart.configure(font=FONT).configure_view(stroke=None).to_dict()


def _years(frame: pl.DataFrame) -> list[str]:
    return sorted(set(frame["report_year"].drop_nulls().to_list()))


def totals_chart(totals: pl.DataFrame) -> dict:
    """Stacked bars: the sum of best values per financial year and body type, one row of bars per fact table
    (rows of `summaries.totals_by_year`)."""
    types = [t for t in ORG_TYPES if t in set(totals["org_type"].to_list())]
    data = totals.with_columns(pl.col("fact_table").str.to_titlecase()).to_dicts()
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("report_year:O", title="financial year", sort=_years(totals)),
        y=alt.Y("amount_gbp:Q", title="sum of best values", axis=alt.Axis(labelExpr=_MONEY_LABELS, tickCount=5)),
        color=alt.Color("org_type:N", title="body type",
                        scale=alt.Scale(domain=types, range=[ORG_TYPE_COLOURS[t] for t in types]),
                        legend=alt.Legend(orient="bottom", columns=5)),
        order=alt.Order("org_type:N"),
    ).properties(width=640, height=180).facet(
        row=alt.Row("fact_table:N", title=None, sort=["Deficits", "Savings"],
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold", labelFontSize=13)),
    ).resolve_scale(y="independent")
    return _config(chart)


def largest_deficits_chart(top: pl.DataFrame) -> dict:
    """Horizontal bars, largest at the top, with the sum at each bar's end (rows of `summaries.largest_deficits`)."""
    data = top.with_columns(pl.col("amount_gbp").map_elements(format_gbp, return_dtype=pl.Utf8).alias("text"))
    order = data["label"].to_list()
    base = alt.Chart(alt.Data(values=data.select("label", "measure", "amount_gbp", "text").to_dicts())).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=360)),
        x=alt.X("amount_gbp:Q", title="best value", axis=alt.Axis(labelExpr=_MONEY_LABELS, tickCount=5)),
    )
    present = [m for m in DEFICIT_MEASURES if m in set(data["measure"].to_list())]
    bars = base.mark_bar().encode(color=alt.Color(
        "measure:N", title="measure", scale=alt.Scale(domain=present, range=[MEASURE_COLOURS[m] for m in present]),
        legend=alt.Legend(orient="bottom")))
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(text="text:N")
    return _config((bars + labels).properties(width=360, height=alt.Step(20)))


def bodies_per_year_chart(counts: pl.DataFrame) -> dict:
    """Bars side by side, savings and deficits, per financial year (rows of `summaries.bodies_per_year`)."""
    tables = list(TABLE_COLOURS)
    chart = alt.Chart(alt.Data(values=counts.to_dicts())).mark_bar().encode(
        x=alt.X("report_year:O", title="financial year", sort=_years(counts)),
        xOffset=alt.XOffset("fact_table:N", sort=tables),
        y=alt.Y("n_bodies:Q", title="bodies with a figure", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("fact_table:N", title=None, scale=alt.Scale(domain=tables, range=list(TABLE_COLOURS.values())),
                        legend=alt.Legend(orient="bottom")),
    ).properties(width=640, height=200)
    return _config(chart)
