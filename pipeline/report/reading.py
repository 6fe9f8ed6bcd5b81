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
import pyarrow as pa

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
# report keeps each claim's row of HTML and what orders them); DuckDB streams them rather than sorting them first.
CLAIM_BATCH_ROWS = 50_000
ClaimReduction = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class ReportData:
    figures: pl.DataFrame        # the `figures` table, with `report_year`
    organisations: pl.DataFrame  # ORGANISATION_COLUMNS of every body of the register
    successions: pl.DataFrame    # SUCCESSION_COLUMNS


def report_year() -> pl.Expr:
    """The one financial year a figure is drawn at: its last for a figure spanning several (a three-year savings
    target is due by its end), else the one it has."""
    return pl.coalesce("fy_end", "fy_start")


class ReportReader:
    """The warehouse's DuckDB file as the report reads it: the last build whose every check passed, held open as
    one snapshot for the whole report (so a release's report shows the rows its data files hold, and a build
    running meanwhile, which replaces the file by a rename, is never half in it). The claims are read a group of
    bodies at a time: a national warehouse's claims, sentences and all, need never be in memory at once."""

    def __init__(self, warehouse: Path):
        self._connection = open_warehouse(warehouse)

    def __enter__(self) -> ReportReader:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def data(self) -> ReportData:
        connection = self._connection
        figures = conform(connection.sql('SELECT * FROM figures ORDER BY figure_id').pl(), REGISTRY["figures"])
        return ReportData(figures.with_columns(report_year().alias("report_year")),
                          _select(connection, "organisations", ORGANISATION_COLUMNS),
                          _select(connection, "org_successions", SUCCESSION_COLUMNS))

    def claims(self, org_ids: list[str], keep: ClaimReduction | None = None) -> pl.DataFrame:
        """Every fact of `savings` and `deficits` of the bodies `org_ids`, with its article (CLAIM_COLUMNS, in no
        order), each batch of them reduced by `keep`."""
        columns = ", ".join(map(sql_identifier, _FACT_COLUMNS))
        facts = " UNION ALL ".join(
            f"SELECT {sql_identifier(id_column)} AS fact_id, {sql_literal(table)} AS fact_table, {columns} "
            f"FROM {sql_identifier(table)} WHERE org_id IN (SELECT UNNEST($bodies))"
            for table, id_column in FACT_ID_COLUMNS.items())
        articles = ", ".join(f"a.{sql_identifier(c)}" for c in ARTICLE_COLUMNS if c != "article_id")
        claims = self._connection.sql(f"SELECT f.*, {articles} FROM ({facts}) f LEFT JOIN articles a "
                                      "USING (article_id)", params={"bodies": list(org_ids)})
        keep = keep or _all
        reader = claims.to_arrow_reader(CLAIM_BATCH_ROWS)
        kept = [keep(pl.from_arrow(_copied(batch)).select(CLAIM_COLUMNS)) for batch in reader]
        if not kept:
            return keep(pl.from_arrow(reader.schema.empty_table()).select(CLAIM_COLUMNS))
        return pl.concat(kept, rechunk=False)


def _copied(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch in buffers of its own, column by column: DuckDB hands a batch over as one allocation, which any
    column kept of it (polars takes them without copying) would keep alive whole, sentences included."""
    return batch.take(pa.array(range(batch.num_rows), type=pa.int64()))


def _all(claims: pl.DataFrame) -> pl.DataFrame:
    return claims


def _select(connection: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pl.DataFrame:
    names = ", ".join(map(sql_identifier, columns))
    frame = connection.sql(f"SELECT {names} FROM {sql_identifier(table)} ORDER BY {sql_identifier(columns[0])}").pl()
    return frame.select([pl.col(c).cast(POLARS_TYPES[REGISTRY[table].field(c).type]) for c in columns])
