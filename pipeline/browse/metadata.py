"""Datasette's metadata for the edition, rendered from the registry: what the instance is, its licence and its
caveat, each table's and column's description (with its unit), the facets readers filter by, the label that names
a body where a row points at it, and the cookbook as canned queries.

`figures` is the front door: the instance's description leads there, and it opens with the largest figures.
"""

from __future__ import annotations

import html

from pipeline.browse.queries import CANNED_QUERIES
from pipeline.publish.database import VIEW_COMMENTS
from pipeline.licence import LICENCE_NOTE, LICENSE
from schemas.registry import Field, Table

TITLE = "NHS Ledger"
CAVEAT = ("Every figure is as reported by the press: NHS Ledger reads UK trade and local news articles and records "
          "what they say a body plans to save, saved, missed or expects to overspend, with the sentence that says "
          "it. These are reports, not audited accounts; follow a row to its article before relying on it.")
# The columns readers narrow a table by, where a table has them: body type, measure, year first.
FACETS = ("org_type", "measure", "fy_end", "fact_table", "scope", "match_status", "reason")
# The column that names a row where another table points at it (Datasette shows it beside the key).
LABELS = {"organisations": "name", "articles": "title"}
# How a table opens: the rows a reader wants first.
SORTS = {"figures": {"sort_desc": "max_gbp"}, "savings": {"sort_desc": "amount_gbp"},
         "deficits": {"sort_desc": "amount_gbp"}, "organisations": {"sort_desc": "n_articles"}}


def datasette_metadata(database: str, tables: list[Table], *, version: str | None = None) -> dict:
    """The metadata of a Datasette instance serving one database of `tables` (as the edition wrote them)."""
    return {
        "title": TITLE + (f" {version}" if version else ""),
        "description_html": _front_door(database),
        "license": LICENSE["title"],
        "license_url": LICENSE["path"],
        "source": "UK news articles on NHS finances (each row links to its article)",
        "databases": {database: {
            "description_html": f"<p>{html.escape(CAVEAT)}</p><p>{html.escape(LICENCE_NOTE)}</p>",
            "tables": {**{table.name: _table(table) for table in tables},
                       **{name: {"description": comment} for name, comment in VIEW_COMMENTS.items()}},
            "queries": {query.name: {"title": query.title, "sql": query.sql.strip(),
                                     **({"description": query.description} if query.description else {})}
                        for query in CANNED_QUERIES},
        }},
    }


def _front_door(database: str) -> str:
    return (f'<p><strong>Start with <a href="/{database}/figures">figures</a></strong>: one figure per body, '
            "financial year and measure, reconciled from every article that reported it, with the claims "
            f'behind it and a flag where they disagree. Then the <a href="/{database}#queries">cookbook\'s '
            "queries</a>, or any table.</p>"
            f"<p>{html.escape(CAVEAT)}</p>")


def _table(table: Table) -> dict:
    names = set(table.field_names)
    described = {
        "description": table.description,
        "columns": {f.name: _column(f) for f in table.fields},
        "facets": [name for name in FACETS if name in names],
        **SORTS.get(table.name, {}),
    }
    if table.name in LABELS and LABELS[table.name] in names:
        described["label_column"] = LABELS[table.name]
    return described


def _column(field: Field) -> str:
    unit = f" Unit: {field.unit}." if field.unit else ""
    allowed = f" One of: {', '.join(field.enum)}." if field.enum else ""
    return field.description + unit + allowed
