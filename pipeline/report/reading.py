"""What the report reads from a warehouse: the figures, the register's bodies and successions, and the claims of
the bodies that have figures, each claim with its article's headline, date and URL.

Everything comes from the DuckDB file. Only the columns the pages print are read (never an article's `body_text`,
the bulk of the warehouse), and only the claims of bodies with a page: a body with no figure gets none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipeline.publish.database import open_warehouse, sql_identifier, sql_literal
from schemas import REGISTRY
from schemas.polars_types import POLARS_TYPES, conform
from schemas.tables import FACT_ID_COLUMNS

ORGANISATION_COLUMNS = ["org_id", "name", "org_type", "ods_code", "valid_from", "valid_to"]
SUCCESSION_COLUMNS = ["predecessor_org_id", "successor_org_id", "effective_on", "kind"]
ARTICLE_COLUMNS = ["article_id", "title", "url", "published_on", "source_path"]
# A claim as its body's page lists it: `fact_id` is the saving_id or deficit_id, `fact_table` says which.
CLAIM_COLUMNS = ["fact_id", "fact_table", "org_id", "scope", "measure", "amount_gbp", "amount_low_gbp",
                 "amount_high_gbp", "qualifier", "fy_start", "fy_end", "period_text", "amount_text", "evidence",
                 "article_id", "title", "url", "published_on", "source_path"]
_FACT_COLUMNS = ["article_id", "org_id", "scope", "measure", "amount_gbp", "amount_low_gbp", "amount_high_gbp",
                 "qualifier", "fy_start", "fy_end", "period_text", "amount_text", "evidence"]


# Claims are read from DuckDB this many at a time, and each batch reduced to what the caller keeps of it (the
# report keeps each claim's row of HTML and what orders it): a large warehouse's claims are never all in memory
# with their sentences, and DuckDB streams them rather than sorting them first.
CLAIM_BATCH_ROWS = 50_000
ClaimReduction = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class ReportData:
    figures: pl.DataFrame        # the `figures` table, with `report_year`
    organisations: pl.DataFrame  # ORGANISATION_COLUMNS of every body of the register
    successions: pl.DataFrame    # SUCCESSION_COLUMNS
    claims: pl.DataFrame         # CLAIM_COLUMNS of every fact of a body that has figures (in no order), or what
                                 # `read_report_data`'s `keep_of_claims` kept of them


def report_year() -> pl.Expr:
    """The one financial year a figure is drawn at: its last for a figure spanning several (a three-year savings
    target is due by its end), else the one it has."""
    return pl.coalesce("fy_end", "fy_start")


def read_report_data(warehouse: Path, keep_of_claims: Callable[[pl.DataFrame], ClaimReduction] | None = None
                     ) -> ReportData:
    """From the warehouse's DuckDB file: the last build whose every check passed, read as one snapshot (so a
    release's report shows the rows its data files hold, and a build running meanwhile is never half in it).

    `keep_of_claims(figures)`, when given, says what to keep of each batch of claims (CLAIM_COLUMNS), knowing the
    figures; by default every column is kept."""
    connection = open_warehouse(warehouse)
    try:
        figures = conform(connection.sql('SELECT * FROM figures ORDER BY figure_id').pl(), REGISTRY["figures"])
        figures = figures.with_columns(report_year().alias("report_year"))
        organisations = _select(connection, "organisations", ORGANISATION_COLUMNS)
        successions = _select(connection, "org_successions", SUCCESSION_COLUMNS)
        claims = read_claims(connection, keep_of_claims(figures) if keep_of_claims else None)
    finally:
        connection.close()
    return ReportData(figures, organisations, successions, claims)


def read_claims(connection: duckdb.DuckDBPyConnection, keep: ClaimReduction | None = None) -> pl.DataFrame:
    """Every fact of `savings` and `deficits` whose body has a figure, with its article (CLAIM_COLUMNS, in no
    order), each batch of them reduced by `keep`."""
    columns = ", ".join(map(sql_identifier, _FACT_COLUMNS))
    facts = " UNION ALL ".join(
        f"SELECT {sql_identifier(id_column)} AS fact_id, {sql_literal(table)} AS fact_table, {columns} "
        f"FROM {sql_identifier(table)} WHERE org_id IN (SELECT org_id FROM figures)"
        for table, id_column in FACT_ID_COLUMNS.items())
    articles = ", ".join(f"a.{sql_identifier(c)}" for c in ARTICLE_COLUMNS if c != "article_id")
    claims = connection.sql(f"SELECT f.*, {articles} FROM ({facts}) f LEFT JOIN articles a USING (article_id)")
    reader = claims.to_arrow_reader(CLAIM_BATCH_ROWS)
    kept = [(keep or _all)(pl.from_arrow(batch).select(CLAIM_COLUMNS)) for batch in reader]
    if not kept:
        empty = pl.from_arrow(reader.schema.empty_table()).select(CLAIM_COLUMNS)
        return (keep or _all)(empty)
    return pl.concat(kept, rechunk=False)


def _all(claims: pl.DataFrame) -> pl.DataFrame:
    return claims


def _select(connection: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pl.DataFrame:
    names = ", ".join(map(sql_identifier, columns))
    frame = connection.sql(f"SELECT {names} FROM {sql_identifier(table)} ORDER BY {sql_identifier(columns[0])}").pl()
    return frame.select([pl.col(c).cast(POLARS_TYPES[REGISTRY[table].field(c).type]) for c in columns])
