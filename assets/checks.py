"""The data contract as Dagster asset checks, generated from `pipeline.checks`.

Each public table gets its checks right after it is materialised; a failure
carries the offending rows. They are blocking: a table that breaks the contract
stops everything downstream of it, so the DuckDB file is never rebuilt from it.
The checks read the warehouse's Parquet files a partition or a few key columns at a
time (`pipeline.checks.stored_table_checks`), never whole tables.
"""

import dagster as dg

from assets.metadata import markdown_preview
from assets.resources import LedgerPaths
from pipeline.checks import TABLE_CHECKS, stored_table_checks, table_checks
from schemas import REGISTRY
from schemas.polars_types import empty_frame


def _checks_for(table: str) -> dg.AssetChecksDefinition:
    needs, _ = TABLE_CHECKS[table]
    # The checks' names are fixed, so they are found by running them once on empty tables.
    upstream = [name for name in needs if name != table]
    specs = [dg.AssetCheckSpec(r.name, asset=table, description=r.description, blocking=True,
                               additional_deps=upstream)
             for r in table_checks(table, {name: empty_frame(REGISTRY[name]) for name in needs})]

    @dg.multi_asset_check(specs=specs, name=f"{table}_contract")
    def _check(ledger: LedgerPaths):
        for result in stored_table_checks(ledger.warehouse, table):
            yield dg.AssetCheckResult(
                asset_key=table,
                check_name=result.name,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "failing_rows": dg.MetadataValue.int(result.failures.height),
                    "rule": dg.MetadataValue.text(result.description),
                    **({"failures": dg.MetadataValue.md(markdown_preview(result.failures, 20))}
                       if not result.passed else {}),
                },
            )

    return _check


CONTRACT_CHECKS = [_checks_for(table) for table in TABLE_CHECKS]
