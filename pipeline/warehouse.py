"""Build the DuckDB file from the published Parquet tables, in one writer, atomically.

The file is built beside its final place and renamed over it, so a reader (or a
crash) sees either the previous complete warehouse or the new one. Tables get
their types, primary keys and COMMENTs from `schemas/`; views answer the common
questions.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.faults import crash_point
from schemas import REGISTRY, Table

DUCKDB_FILE = "nhs_ledger.duckdb"
DUCKDB_TYPES = {
    "string": "VARCHAR", "integer": "INTEGER", "number": "DOUBLE", "date": "DATE",
    "datetime": "TIMESTAMPTZ", "boolean": "BOOLEAN", "list[string]": "VARCHAR[]",
}
VIEWS = {
    "facts": """
        SELECT 'savings' AS fact_table, s.saving_id AS fact_id, s.article_id, s.org_id, o.name AS org_name,
               o.org_type, s.scope, s.measure, s.amount_gbp, s.amount_low_gbp, s.amount_high_gbp, s.qualifier,
               s.fy_start, s.fy_end, s.horizon_years, s.evidence, s.char_start, s.char_end,
               a.source_path, a.title, a.url, a.published_on, s.rule_id, s.run_id
        FROM savings s JOIN organisations o USING (org_id) JOIN articles a USING (article_id)
        UNION ALL
        SELECT 'deficits', d.deficit_id, d.article_id, d.org_id, o.name, o.org_type, d.scope, d.measure,
               d.amount_gbp, d.amount_low_gbp, d.amount_high_gbp, d.qualifier, d.fy_start, d.fy_end,
               d.horizon_years, d.evidence, d.char_start, d.char_end,
               a.source_path, a.title, a.url, a.published_on, d.rule_id, d.run_id
        FROM deficits d JOIN organisations o USING (org_id) JOIN articles a USING (article_id)
    """,
}
# One row per body and financial year. A plan reported in several articles would be counted twice by a sum,
# so each measure takes the largest reported figure; components of a plan are left out of the target.
VIEWS["org_finances"] = """
    WITH dated AS (
        SELECT f.*, COALESCE(f.fy_end, f.fy_start) AS fy,
               COALESCE(f.amount_gbp, f.amount_low_gbp) AS amount,
               s.parent_saving_id
        FROM facts f LEFT JOIN savings s ON s.saving_id = f.fact_id
    ),
    savings_by_year AS (
        SELECT org_id, fy,
               max(amount) FILTER (WHERE measure = 'target' AND parent_saving_id IS NULL) AS savings_target_gbp,
               max(amount) FILTER (WHERE measure = 'achieved') AS savings_achieved_gbp,
               max(amount) FILTER (WHERE measure = 'shortfall') AS savings_shortfall_gbp,
               max(amount) FILTER (WHERE measure = 'potential') AS savings_potential_gbp,
               count(*) AS n_saving_facts
        FROM dated WHERE fact_table = 'savings' GROUP BY org_id, fy
    ),
    deficits_ranked AS (
        SELECT org_id, fy, amount, measure, fact_id,
               count(*) OVER (PARTITION BY org_id, fy) AS n_deficit_facts,
               row_number() OVER (PARTITION BY org_id, fy ORDER BY published_on DESC NULLS LAST,
                   CASE measure WHEN 'actual' THEN 0 WHEN 'forecast' THEN 1 ELSE 2 END, amount DESC, fact_id) AS recency
        FROM dated WHERE fact_table = 'deficits'
    ),
    deficits_by_year AS (
        SELECT org_id, fy, amount AS latest_deficit_gbp, measure AS latest_deficit_measure,
               fact_id AS latest_deficit_fact_id, n_deficit_facts
        FROM deficits_ranked WHERE recency = 1
    )
    SELECT o.org_id, o.name AS org_name, o.org_type, COALESCE(s.fy, d.fy) AS fy,
           s.savings_target_gbp, s.savings_achieved_gbp, s.savings_shortfall_gbp, s.savings_potential_gbp,
           d.latest_deficit_gbp, d.latest_deficit_measure, d.latest_deficit_fact_id,
           COALESCE(s.n_saving_facts, 0) AS n_saving_facts, COALESCE(d.n_deficit_facts, 0) AS n_deficit_facts
    FROM savings_by_year s FULL OUTER JOIN deficits_by_year d ON s.org_id = d.org_id AND s.fy IS NOT DISTINCT FROM d.fy
    JOIN organisations o ON o.org_id = COALESCE(s.org_id, d.org_id)
"""
VIEW_COMMENTS = {
    "facts": "One row per saving or deficit fact, with its organisation's name and its source article.",
    "org_finances": "One row per organisation and financial year (fy = fy_end, else fy_start; null when the "
                    "text gives no year): the largest savings target (plan totals only), achieved, shortfall "
                    "and potential reported, and the latest deficit (most recent article; actual before "
                    "forecast before planned). Ranges count at their lower bound.",
}


def sql_literal(value: str) -> str:
    """DDL such as COMMENT takes no bound parameters, so text is quoted here, doubling quotes."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: Table) -> str:
    columns = [
        f"{sql_identifier(f.name)} {DUCKDB_TYPES[f.type]}{'' if f.nullable else ' NOT NULL'}" for f in table.fields
    ]
    columns.append(f"PRIMARY KEY ({', '.join(sql_identifier(c) for c in table.primary_key)})")
    return f"CREATE TABLE {sql_identifier(table.name)} (\n  " + ",\n  ".join(columns) + "\n)"


def comment_sql(table: Table) -> list[str]:
    statements = [f"COMMENT ON TABLE {sql_identifier(table.name)} IS {sql_literal(table.description)}"]
    for f in table.fields:
        text = f.description + (f" Unit: {f.unit}." if f.unit else "")
        statements.append(f"COMMENT ON COLUMN {sql_identifier(table.name)}.{sql_identifier(f.name)} IS {sql_literal(text)}")
    return statements


def build_duckdb(warehouse: Path) -> Path:
    target = warehouse / DUCKDB_FILE
    building = warehouse / f".{DUCKDB_FILE}.building"
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    connection = duckdb.connect(str(building))
    try:
        connection.execute("BEGIN TRANSACTION")
        for table in REGISTRY.public():
            _load_table(connection, warehouse, table)
        for name, sql in VIEWS.items():
            connection.execute(f"CREATE VIEW {sql_identifier(name)} AS {sql}")
            connection.execute(f"COMMENT ON VIEW {sql_identifier(name)} IS {sql_literal(VIEW_COMMENTS[name])}")
        connection.execute("COMMIT")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    crash_point("duckdb")
    os.replace(building, target)
    return target


def _load_table(connection: duckdb.DuckDBPyConnection, warehouse: Path, table: Table) -> None:
    connection.execute(create_table_sql(table))
    for statement in comment_sql(table):
        connection.execute(statement)
    files = _parquet_files(warehouse, table)
    if not files:
        return
    columns = ", ".join(sql_identifier(f.name) for f in table.fields)
    options = "hive_partitioning = true, hive_types = {'batch': 'VARCHAR'}" if table.partition_by else \
        "hive_partitioning = false"
    connection.execute(
        f"INSERT INTO {sql_identifier(table.name)} SELECT {columns} FROM read_parquet($files, {options})",
        {"files": files},
    )


def _parquet_files(warehouse: Path, table: Table) -> list[str]:
    root = store.table_dir(warehouse, table.name)
    if table.partition_by:
        return sorted(str(p) for p in root.glob(f"batch=*/{store.PART_FILE}"))
    single = root / store.PART_FILE
    return [str(single)] if single.is_file() else []
