"""The data contract's checks: schema rules from `schemas/` and the invariants of CONTRACT.md.

Each check returns a `CheckResult` naming the rule and, when it fails, the offending rows, so a failure says what
failed and where, not just "failed". The same functions run as Dagster asset checks, in `nhs-ledger build`'s
summary and in the tests.

The modules, one job each:

* `results`: `CheckResult`, and failure frames put together;
* `schema`: the schema's rules, generated from the registry (row rules by pandera, uniqueness on key columns);
* `derived`: the rules derived from the declarations in `schemas/` (spans, key checks, references);
* `invariants`: the invariants no declaration expresses, by hand;
* `sources`: where rows come from (frames in memory, a warehouse's Parquet files);
* `cache`: the cache of passes, and the rules' version it is valid under;
* `passes`: a partitioned table in two passes, row rules a few partitions at a time and key rules on key columns;
* `run`: the entry points, per table, in memory and on a warehouse.

On a warehouse of any size the checks hold only a bounded slice of it in memory (see `passes`). The small tables
that span every batch (`organisations`, `org_successions`, `runs`) are checked whole.

Every name other code uses is here. The checks read `passes.CHUNK_BYTES` and `cache.rules_version` from their own
modules when they run, so setting them there takes effect.
"""

from pipeline.checks.cache import CACHE_DIR, PassCache, rules_version
from pipeline.checks.derived import foreign_key_check, span_check, unique_check
from pipeline.checks.invariants import amounts_check, periods_check
from pipeline.checks.passes import CHUNK_BYTES
from pipeline.checks.results import CheckResult
from pipeline.checks.run import (
    PUBLIC_TABLES,
    TABLE_CHECKS,
    contract_checks,
    stored_table_checks,
    table_checks,
    warehouse_checks,
)
from pipeline.checks.schema import schema_check, schema_row_failures, uniqueness_failures
from pipeline.checks.sources import FrameTables, Part, StoredTables, Tables

__all__ = [
    "CACHE_DIR", "CHUNK_BYTES", "PUBLIC_TABLES", "TABLE_CHECKS", "CheckResult", "FrameTables", "Part", "PassCache",
    "StoredTables", "Tables", "amounts_check", "contract_checks", "foreign_key_check", "periods_check",
    "rules_version", "schema_check", "schema_row_failures", "span_check", "stored_table_checks", "table_checks",
    "uniqueness_failures", "unique_check", "warehouse_checks",
]
