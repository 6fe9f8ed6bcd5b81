"""`index.html`: the headline charts, the caveat, and every body that has figures, each linked to its page."""

from __future__ import annotations

import polars as pl

from pipeline.report.markup import Html, element, escape, page, table
from pipeline.report.money import NO_VALUE
from pipeline.report.style import STYLESHEET
from pipeline.report.summaries import TOP_DEFICITS

TITLE = "NHS savings and deficits as reported in the press"

# What each headline chart counts, in the words of its caption; `build` draws them in this order.
CAPTIONS = {
    "totals": "The sum of the best value of every figure reported for one body (scope `org`), per financial year "
              "and body type; a figure spanning several years counts in its last. Collectives (a region, \"the "
              "NHS\") are left out, since their figures overlap their members'; so are figures reported only as a "
              "range. Sums add a body's forecast to its actual and its target to its achievement, so they show "
              "where the reporting is, not what the NHS spent or saved.",
    "largest": f"The {TOP_DEFICITS} largest deficit figures of one body (scope `org`), by best value, each "
               "labelled with its body, financial year and measure (forecast, actual or planned).",
    "bodies": "How many bodies (scope `org`) have at least one figure for the financial year, in each table: how "
              "far the reporting reaches, year by year.",
}
CHART_TITLES = {
    "totals": "Reported deficits and savings by financial year and body type",
    "largest": "The largest reported deficits",
    "bodies": "How many bodies report each year",
}


def body_href(org_id: str, *, from_index: bool) -> str:
    return f"bodies/{org_id}.html" if from_index else f"{org_id}.html"


def render_index(figures: pl.DataFrame, bodies: pl.DataFrame, charts: dict[str, Html]) -> bytes:
    """The index page: `bodies` are the rows of `summaries.bodies_with_figures`, `charts` the drawn headline
    charts by the keys of CAPTIONS."""
    if figures.is_empty():
        return page(TITLE, element("h1", TITLE), element(
            "p", "There are no figures yet: this warehouse has no saving or deficit of a body with a financial "
                 "year. Build it from articles (", element("code", "nhs-ledger build"), ") and run the report "
                 "again.", class_="empty"), stylesheet=STYLESHEET)
    sections = [
        element("section",
                element("h2", CHART_TITLES[key]),
                element("figure", charts[key], element("figcaption", _caption(CAPTIONS[key])), class_="chart"),
                id=key)
        for key in CAPTIONS if key in charts
    ]
    return page(TITLE, element("h1", TITLE), _lede(figures, bodies), _caveat(figures), *sections,
                element("section", element("h2", f"Bodies with figures ({bodies.height:,})"), _body_table(bodies),
                        id="bodies"),
                stylesheet=STYLESHEET)


def _lede(figures: pl.DataFrame, bodies: pl.DataFrame) -> Html:
    years = sorted(set(figures["report_year"].drop_nulls().to_list()))
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else years[0]
    return element("p", f"{figures.height:,} figures of savings and deficits for {bodies.height:,} bodies, "
                        f"financial years {span}, reconciled from {int(figures['n_reports'].sum()):,} reports in "
                        "news articles: each figure is one body's saving or deficit of one kind for one year, with "
                        "the best of the values its reports state.", class_="lede")


def _caveat(figures: pl.DataFrame) -> Html:
    disputed = int(figures["disputed"].sum())
    return element("p", element("strong", "These are figures as reported by the press,"),
                   " not audited accounts: an article can misquote, round or confuse a body. ",
                   f"{disputed:,} figures are flagged ", element("span", "disputed", class_="badge disputed"),
                   " on their body's page: their reports differ by more than a tenth, so read the claims (each "
                   "with its sentence and article) before using one.", class_="caveat")


def _caption(text: str) -> Html:
    # Backticks mark a column's value in the captions: shown as code, as in the data dictionary.
    parts = text.split("`")
    return Html("".join(element("code", part) if i % 2 else escape(part) for i, part in enumerate(parts)))


def _body_table(bodies: pl.DataFrame) -> Html:
    rows = [
        [element("a", body["name"], href=body_href(body["org_id"], from_index=True)), body["org_type"],
         body["ods_code"] or NO_VALUE, body["n_figures"],
         element("span", body["n_disputed"], class_="badge disputed") if body["n_disputed"] else ""]
        for body in bodies.iter_rows(named=True)
    ]
    return table(["body", "type", "ODS code", "figures", "disputed"], rows, numeric=frozenset({3, 4}))
