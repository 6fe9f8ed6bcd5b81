"""The order of work of a report: read, sum, draw the charts, write the pages; the folder is replaced whole.

The pages are written into a hidden folder beside `out` and swapped in at the end, so a reader (or a crash) sees
the previous report or the new one, never a report whose index links to pages not yet written.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from pipeline.report import charts, summaries
from pipeline.report.body_chart import draw_body_chart
from pipeline.report.body_page import Body, body_name, render_body
from pipeline.report.claim_rows import ROW_COLUMN, with_claim_rows
from pipeline.report.index_page import CHART_TITLES, render_index
from pipeline.report.reading import ReportData, ReportReader
from pipeline.report.style import STYLESHEET, stylesheet
from pipeline.report.svg import render_many
from pipeline.warehouse import atomic

INDEX = "index.html"
BODIES = "bodies"


# The claims of a group of bodies are read, and their pages written, at a time; a group stops at about this many
# claims (as its figures count them), so memory holds a group's sentences, never every claim of a national
# warehouse. Fewer, larger groups cost a scan of the fact tables less each.
CLAIMS_PER_READ = 25_000


def build_report(warehouse: Path, out: Path) -> Path:
    """Write the report of `warehouse` to the folder `out` (replacing what is there); the index page's path."""
    with ReportReader(Path(warehouse)) as reader:
        data = reader.data()
        figures = data.figures
        bodies = summaries.bodies_with_figures(figures, data.organisations)
        headline = []
        if not figures.is_empty():
            headline = [
                (charts.totals_chart(summaries.totals_by_year(figures)), "totals", CHART_TITLES["totals"]),
                (charts.largest_deficits_chart(summaries.largest_deficits(figures)), "largest",
                 CHART_TITLES["largest"]),
                (charts.bodies_per_year_chart(summaries.bodies_per_year(figures)), "bodies", CHART_TITLES["bodies"]),
            ]
        pages = _bodies(data, bodies)
        headline_svgs = dict(zip((name for _, name, _ in headline), render_many(headline)))

        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic.as_machine_fault(out):
            building = Path(tempfile.mkdtemp(prefix=f".building-{out.name}-", dir=out.parent))
            try:
                (building / BODIES).mkdir()
                (building / STYLESHEET).write_bytes(stylesheet())
                (building / INDEX).write_bytes(render_index(figures, bodies, headline_svgs))
                keep = _page_rows(figures)
                for group in _groups(pages, CLAIMS_PER_READ):
                    rows = reader.claims([body.org_id for body in group], keep)
                    claims = summaries.claims_by_body(rows)
                    for body in group:
                        body = dataclasses.replace(body, claims=claims.get(body.org_id, rows.clear()))
                        chart = draw_body_chart(body.figures, name=f"body-{body.org_id}",
                                                label=f"Figures of {body_name(body)} by financial year")
                        (building / BODIES / f"{body.org_id}.html").write_bytes(render_body(body, chart))
                atomic.replace_folder(building, out)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
    return out / INDEX


def _groups(pages: list[Body], claims: int) -> Iterator[list[Body]]:
    """`pages` in runs whose figures count about `claims` claims (a body with more is a run of its own)."""
    group, counted = [], 0
    for body in pages:
        group.append(body)
        counted += int(body.figures["n_reports"].sum())
        if counted >= claims:
            yield group
            group, counted = [], 0
    if group:
        yield group


def _page_rows(figures: pl.DataFrame) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """What a page needs of its claims: each one's row of HTML (`claim_rows`, its measure marked when it is a
    figure's best value) and what orders them."""
    best = figures["best_fact_id"].to_list() if not figures.is_empty() else []
    return lambda claims: with_claim_rows(claims, best).select(*summaries.CLAIM_ORDER_COLUMNS, ROW_COLUMN)


def _bodies(data: ReportData, bodies: pl.DataFrame) -> list[Body]:
    """A Body per body with figures, its claims not read yet (an empty frame: each group's are read in turn)."""
    names = dict(zip(data.organisations["org_id"], data.organisations["name"]))
    names.update({org_id: name for org_id, name in zip(bodies["org_id"], bodies["name"])})
    pages = frozenset(bodies["org_id"].to_list())
    registers = {row["org_id"]: row for row in data.organisations.iter_rows(named=True)}
    figures = {key[0]: part for key, part in data.figures.partition_by("org_id", as_dict=True).items()} \
        if not data.figures.is_empty() else {}
    successions = summaries.successions_by_body(data.successions)
    no_claims, no_successions = pl.DataFrame(), data.successions.clear()
    return [Body(org_id, registers.get(org_id, {}), summaries.figures_of_body(figures[org_id]), no_claims,
                 successions.get(org_id, no_successions), names, pages)
            for org_id in bodies["org_id"].to_list()]
