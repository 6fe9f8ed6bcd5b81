"""The `runs` table: one row per run that produced the warehouse's current partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipeline.warehouse import run_log as runs
from pipeline.warehouse import store
from pipeline.versions import CODE_VERSION, EXTRACTOR_VERSION, code_fingerprint
from schemas import REGISTRY
from schemas.polars_types import polars_schema

COUNTED = {
    "articles_written": "articles", "rejected_written": "rejected_inputs", "org_mentions_written": "org_mentions",
    "savings_written": "savings", "deficits_written": "deficits",
}


def write_runs_table(warehouse: Path) -> pl.DataFrame:
    rows = []
    for batch in store.list_partitions(warehouse, "articles"):
        run_id = store.partition_run_id(warehouse, "articles", batch)
        entry = runs.close_run(warehouse, run_id) or {}
        started = _parse(entry.get("started_at"))
        row = {
            "run_id": run_id,
            "batch": batch,
            "dagster_run_id": entry.get("dagster_run_id"),
            "started_at": started,
            "finished_at": _parse(entry.get("finished_at")) or started,
            "code_version": f"{CODE_VERSION}+{code_fingerprint()}",
            "extractor_version": EXTRACTOR_VERSION,
            "inputs_seen": entry.get("inputs_seen", 0),
        }
        for column, table in COUNTED.items():
            row[column] = store.partition_rows(warehouse, table, batch)  # from the footer: no data read
        rows.append(row)
    frame = pl.DataFrame(rows, schema=polars_schema(REGISTRY["runs"]))
    store.write_table(warehouse, "runs", frame)
    return frame


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else runs.utc_now()
