"""Publish layer: the fact tables with resolved bodies, the runs table, and the DuckDB file."""

import dagster as dg

from assets.charts import DEFICIT_CHART_COLUMNS, deficits_by_year_markdown
from assets.metadata import definition_metadata, stored_columns, stored_rows, table_metadata, table_spec
from assets.resources import LedgerPaths
from pipeline import __version__
from pipeline.publish.database import DUCKDB_FILE, build_duckdb
from pipeline.publish.figures import write_figures_table
from pipeline.publish.run_table import write_runs_table
from pipeline.publish.stage import PUBLISHED, publish_tables
from schemas import REGISTRY

@dg.multi_asset(
    specs=[
        table_spec(name, group_name="publish", deps=["organisations", "mention_candidates", "fact_candidates"],
                   code_version=__version__)
        for name in PUBLISHED
    ],
)
def published_facts(ledger: LedgerPaths):
    publish_tables(ledger.warehouse)
    for table in PUBLISHED:
        chart = ({"deficits_by_year": dg.MetadataValue.md(deficits_chart(ledger.warehouse))}
                 if table == "deficits" else {})
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(
            table, stored_rows(ledger.warehouse, table), **chart))

def deficits_chart(warehouse) -> str:
    """The deficits-by-year chart, from the four columns it sums rather than the whole table."""
    return deficits_by_year_markdown(stored_columns(warehouse, "deficits", DEFICIT_CHART_COLUMNS))

@dg.asset(
    group_name="publish",
    deps=["articles", *PUBLISHED],
    code_version=__version__,
    description=REGISTRY["figures"].description,
    metadata=definition_metadata("figures"),
)
def figures(ledger: LedgerPaths) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=table_metadata("figures", write_figures_table(ledger.warehouse)))

@dg.asset(
    group_name="publish",
    deps=["articles", "rejected_inputs", *PUBLISHED],
    code_version=__version__,
    description=REGISTRY["runs"].description,
    metadata=definition_metadata("runs"),
)
def runs(ledger: LedgerPaths) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=table_metadata("runs", write_runs_table(ledger.warehouse)))

@dg.asset(
    group_name="publish",
    deps=["articles", "rejected_inputs", "organisations", "org_successions", *PUBLISHED, "fact_evidence", "figures",
          "runs"],
    code_version=__version__,
    description=f"The DuckDB file `{DUCKDB_FILE}`, built from the Parquet tables in one transaction and swapped "
                "in atomically, with COMMENTs on every table and column and a `facts` view.",
)
def nhs_ledger_duckdb(ledger: LedgerPaths) -> dg.MaterializeResult:
    path = build_duckdb(ledger.warehouse)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "size_bytes": dg.MetadataValue.int(path.stat().st_size),
    })
