"""The static report of a warehouse: `index.html` with the headline charts and every body that has figures, and
`bodies/<org_id>.html` per body, with `style.css`. It opens offline: the charts are inline SVG, the stylesheet is
the one local file, and nothing is loaded from anywhere.

`build_report(warehouse, out)` is the entry point (`nhs-ledger report`, `make report`, and every release). One
job per module: `reading` (the columns it reads), `summaries` (the numbers behind charts and lists), `charts`
(the index's Vega-Lite specs), `svg` (drawing them), `body_chart` (a body's chart, by pygal), `index_page`
and `body_page` (the pages), `claim_rows` (every claim's row of a body page, written column-wise), `markup`
(escaped HTML), `money` (sums and dates as printed), `style` (the stylesheet). The same warehouse gives the same bytes.
"""

__all__ = ["build_report"]


def __getattr__(name: str):
    # Imported when asked for, not with the package: importing the report (polars, DuckDB, Altair, vl-convert)
    # takes a while, and a command that never writes one need not wait for it.
    if name == "build_report":
        from pipeline.report.build import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
