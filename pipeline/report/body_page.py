"""`bodies/<org_id>.html`: one body's register entry, successions, figures (charted and listed) and every claim.

A claim is a fact of `savings` or `deficits`: one sentence of one article stating a sum for the body. The figures
table links each best value to the claim it comes from, so a reader can go from a number to its sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.report.charts import MEASURES
from pipeline.report.claim_rows import ROW_COLUMN
from pipeline.report.index_page import body_href
from pipeline.report.markup import Html, element, page, table
from pipeline.report.money import NO_VALUE, format_amount, format_date, format_gbp, format_years
from pipeline.report.style import STYLESHEET

CHART_CAPTION = ("Each bar is one figure: the best value the reports give for the body, financial year and measure "
                 "(the last year, for a figure spanning several). A figure reported only as a range is drawn pale "
                 "up to its high end, with a line from its low end to its high end.")
# The kinds of `org_successions`, as a sentence would say them.
_SUCCESSION_WORDS = {"ccg to icb": "CCG to ICB", "pct to ccg (inferred from names)": "PCT to CCG, inferred from "
                     "names", "ods successor": "ODS successor"}


@dataclass(frozen=True)
class Body:
    """What a body's page shows; `names` and `pages` cover the whole register, for the succession links."""
    org_id: str
    register: dict             # the body's row of `reading.ORGANISATION_COLUMNS` (empty when the register lacks it)
    figures: pl.DataFrame      # its rows of `figures`, in `summaries.figures_of_body` order
    claims: pl.DataFrame       # its claims in `summaries.claims_of_body` order, each with its row
                               # (`claim_rows.ROW_COLUMN`)
    successions: pl.DataFrame  # the rows of `org_successions` that name it, either side
    names: dict[str, str]      # org_id -> name
    pages: frozenset[str]      # the org_ids that have a page


def body_name(body: Body) -> str:
    return body.register.get("name") or (body.figures["org_name"][0] if body.figures.height else body.org_id)


def render_body(body: Body, chart: Html | None) -> bytes:
    name = body_name(body)
    measures = [m for m in MEASURES if m in set(body.figures["measure"].to_list())]
    chart_section = element(
        "figure",
        element("ul", [element("li", element("span", class_=f"swatch m-{m}"), m) for m in measures],
                class_="legend", aria_label="measures"),
        chart, element("figcaption", CHART_CAPTION), class_="chart",
    ) if chart is not None else element("p", "No figure of this body has a value to chart.", class_="empty")
    return page(
        f"{name}: NHS Ledger report",
        element("p", element("a", "← all bodies", href="../index.html")),
        element("h1", name),
        _register_facts(body),
        _successions(body),
        element("h2", "Figures by year"), chart_section,
        element("h2", f"Figures ({body.figures.height})"), _figure_table(body),
        element("h2", f"Every claim ({body.claims.height})"),
        element("p", "Each sentence of an article that states a saving or deficit of this body, as extracted. "
                     "Claims without a financial year are listed here but are in no figure."),
        _claim_table(body),
        stylesheet=f"../{STYLESHEET}", home="../index.html",
    )


def _register_facts(body: Body) -> Html:
    register = body.register
    org_type = register.get("org_type") or (body.figures["org_type"][0] if body.figures.height else NO_VALUE)
    return element("dl", [
        (element("dt", label), element("dd", value)) for label, value in (
            ("type", org_type),
            ("ODS code", register.get("ods_code") or "none known"),
            ("existed", existence(register.get("valid_from"), register.get("valid_to"))),
            ("body id", element("code", body.org_id)),
        )
    ], class_="facts")


def existence(valid_from, valid_to) -> str:
    """The dates a body existed, as far as the reference data says."""
    if valid_from and valid_to:
        return f"{format_date(valid_from)} to {format_date(valid_to)}"
    if valid_from:
        return f"since {format_date(valid_from)}"
    if valid_to:
        return f"until {format_date(valid_to)}"
    return "not known (no reference data for it)"


def _successions(body: Body) -> Html | None:
    if body.successions.is_empty():
        return None
    items = []
    for row in body.successions.sort("effective_on", "predecessor_org_id", "successor_org_id").iter_rows(named=True):
        is_successor = row["predecessor_org_id"] == body.org_id
        other = row["successor_org_id"] if is_successor else row["predecessor_org_id"]
        other_name = body.names.get(other, other)
        target = element("a", other_name, href=body_href(other, from_index=False)) if other in body.pages \
            else other_name
        verb = "Succeeded by " if is_successor else "Took over from "
        kind = _SUCCESSION_WORDS.get(row["kind"], row["kind"])
        items.append(element("li", verb, target, f" on {format_date(row['effective_on'])} ({kind})"))
    return element("section", element("h2", "Successions"), element("ul", items))


def _figure_table(body: Body) -> Html:
    rows = []
    for figure in body.figures.iter_rows(named=True):
        best = format_amount(figure["amount_gbp"], figure["amount_low_gbp"], figure["amount_high_gbp"],
                             figure["qualifier"])
        spread = format_gbp(figure["min_gbp"]) if figure["min_gbp"] == figure["max_gbp"] else \
            f"{format_gbp(figure['min_gbp'])} to {format_gbp(figure['max_gbp'])}"
        rows.append([
            format_years(figure["fy_start"], figure["fy_end"]),
            figure["fact_table"].removesuffix("s"),
            figure["measure"] + (" (collective)" if figure["scope"] == "aggregate" else ""),
            element("a", best, href=f"#{figure['best_fact_id']}"),
            spread, figure["n_reports"], figure["n_articles"],
            element("span", "disputed", class_="badge disputed") if figure["disputed"] else "",
        ])
    return table(["financial year", "table", "measure", "best value", "reports state", "reports", "articles",
                  "disputed"], rows, numeric=frozenset({3, 4, 5, 6}))


def _claim_table(body: Body) -> Html:
    """Every claim as its row (`claim_rows.ROW_COLUMN`, written for a group of bodies at once by the report)."""
    head = element("thead", element("tr", [element("th", h, scope="col") for h in
                                           ("sentence", "measure", "amount", "period", "article", "date")]))
    return Html(f'<table class="claims">{head}<tbody>{"".join(body.claims[ROW_COLUMN].to_list())}</tbody></table>')
