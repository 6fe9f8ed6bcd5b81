"""The order of work of a report: read, sum, draw the charts, write the pages; the folder is replaced whole.

The pages are written into a hidden folder beside `out` and swapped in at the end, so a reader (or a crash) sees
the previous report or the new one, never a report whose index links to pages not yet written.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipeline.report import charts, summaries
from pipeline.report.body_page import Body, body_name, render_body
from pipeline.report.claim_rows import ROW_COLUMN, with_claim_rows
from pipeline.report.index_page import CHART_TITLES, render_index
from pipeline.report.reading import read_report_data
from pipeline.report.style import STYLESHEET, stylesheet
from pipeline.report.svg import render_many
from pipeline.warehouse import atomic

INDEX = "index.html"
BODIES = "bodies"


def build_report(warehouse: Path, out: Path) -> Path:
    """Write the report of `warehouse` to the folder `out` (replacing what is there); the index page's path."""
    data = read_report_data(Path(warehouse), keep_of_claims=_page_rows)
    figures = data.figures
    bodies = summaries.bodies_with_figures(figures, data.organisations)
    headline = []
    if not figures.is_empty():
        headline = [
            (charts.totals_chart(summaries.totals_by_year(figures)), "totals", CHART_TITLES["totals"]),
            (charts.largest_deficits_chart(summaries.largest_deficits(figures)), "largest", CHART_TITLES["largest"]),
            (charts.bodies_per_year_chart(summaries.bodies_per_year(figures)), "bodies", CHART_TITLES["bodies"]),
        ]
    pages = _bodies(data, bodies)
    # The claims are now the bodies' (slices of one sorted copy): the frame read is let go.
    data = dataclasses.replace(data, claims=data.claims.clear())
    charted = [(body, charts.body_chart(body.figures)) for body in pages]
    # A body whose figures are all ranges without bounds has nothing to draw.
    to_draw = [(spec, f"body-{body.org_id}", f"Figures of {body_name(body)} by financial year")
               for body, spec in charted if spec["data"]["values"]]
    drawn = iter(render_many([*headline, *to_draw]))
    headline_svgs = {name: next(drawn) for _, name, _ in headline}
    body_svgs = {body.org_id: next(drawn) for body, spec in charted if spec["data"]["values"]}

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic.as_machine_fault(out):
        building = Path(tempfile.mkdtemp(prefix=f".building-{out.name}-", dir=out.parent))
        try:
            (building / BODIES).mkdir()
            (building / STYLESHEET).write_bytes(stylesheet())
            (building / INDEX).write_bytes(render_index(figures, bodies, headline_svgs))
            for body in pages:
                (building / BODIES / f"{body.org_id}.html").write_bytes(render_body(body, body_svgs.get(body.org_id)))
            atomic.replace_folder(building, out)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return out / INDEX


def _page_rows(figures: pl.DataFrame) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """What a page needs of its claims: each one's row of HTML (`claim_rows`, its measure marked when it is a
    figure's best value) and what orders them."""
    best = figures["best_fact_id"].to_list() if not figures.is_empty() else []
    return lambda claims: with_claim_rows(claims, best).select(*summaries.CLAIM_ORDER_COLUMNS, ROW_COLUMN)


def _bodies(data, bodies) -> list[Body]:
    names = dict(zip(data.organisations["org_id"], data.organisations["name"]))
    names.update({org_id: name for org_id, name in zip(bodies["org_id"], bodies["name"])})
    pages = frozenset(bodies["org_id"].to_list())
    registers = {row["org_id"]: row for row in data.organisations.iter_rows(named=True)}
    claims = summaries.claims_by_body(data.claims)
    figures = {key[0]: part for key, part in data.figures.partition_by("org_id", as_dict=True).items()} \
        if not data.figures.is_empty() else {}
    successions = summaries.successions_by_body(data.successions)
    empty_claims, no_successions = data.claims.clear(), data.successions.clear()
    return [Body(org_id, registers.get(org_id, {}), summaries.figures_of_body(figures[org_id]),
                 claims.get(org_id, empty_claims), successions.get(org_id, no_successions), names, pages)
            for org_id in bodies["org_id"].to_list()]
