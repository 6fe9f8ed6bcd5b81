"""The published fact tables: candidates joined to the register's org ids, batch by batch.

`org_mentions`, `savings` and `deficits` are the extract layer's candidates with
each org key replaced by its `org_id`; savings keep their plan totals as
`parent_saving_id`. Rewritten for every batch on each build because a register
change can touch any batch, and cheap because it is a join.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import store

FACT_ID_COLUMN = {"savings": "saving_id", "deficits": "deficit_id"}


@dataclass
class PublishReport:
    rows: dict[str, int] = field(default_factory=lambda: {"org_mentions": 0, "savings": 0, "deficits": 0})


def publish_tables(warehouse: Path) -> PublishReport:
    org_keys = store.read_table(warehouse, "org_keys")
    report = PublishReport()
    batches = store.list_partitions(warehouse, "mention_candidates")
    for table in report.rows:
        for stale in set(store.list_partitions(warehouse, table)) - set(batches):
            store.drop_partition(warehouse, table, stale)
    for batch in batches:
        run_id = store.partition_run_id(warehouse, "mention_candidates", batch)
        mentions = store.read_partition(warehouse, "mention_candidates", batch)
        facts = store.read_partition(warehouse, "fact_candidates", batch)
        published = {"org_mentions": _with_org_id(mentions, org_keys)}
        for table, id_column in FACT_ID_COLUMN.items():
            rows = _with_org_id(facts.filter(pl.col("fact_table") == table), org_keys).rename({"fact_id": id_column})
            if table == "savings":
                rows = rows.rename({"parent_fact_id": "parent_saving_id"})
            published[table] = rows
        for table, frame in published.items():
            store.write_partition(warehouse, table, batch, frame, run_id)
            report.rows[table] += frame.height
    return report


def _with_org_id(frame: pl.DataFrame, org_keys: pl.DataFrame) -> pl.DataFrame:
    joined = frame.join(org_keys, on="org_key", how="left")
    unresolved = joined.filter(pl.col("org_id").is_null())
    if unresolved.height:
        raise ValueError(f"{unresolved.height} rows have org keys missing from the register, "
                         f"e.g. {unresolved['org_key'][0]!r}: run the resolve stage first")
    return joined
