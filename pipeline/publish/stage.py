"""The published fact tables: candidates joined to the register's org ids, batch by batch.

`org_mentions`, `savings` and `deficits` are the extract layer's candidates with
each org key replaced by its `org_id`; savings keep their plan totals as
`parent_saving_id`. A batch's published partitions are rewritten only when what
they are made of changed: its candidates, the org ids of the keys they name (a
register change can touch any batch), or this code. What each batch was last
published from is kept in a sidecar, written after its partitions and removed
before they are rewritten, so a crash in between leaves the batch to publish
again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from pipeline import batches
from pipeline.warehouse import batch_state, store
from schemas.tables import FACT_ID_COLUMNS

PUBLISHED = batches.PUBLISHED_TABLES
_SOURCES = ("mention_candidates", "fact_candidates")
_CODE = (Path(__file__), *sorted((Path(__file__).resolve().parents[2] / "schemas").glob("*.py")))


@dataclass
class PublishReport:
    rows: dict[str, int] = field(default_factory=lambda: {"org_mentions": 0, "savings": 0, "deficits": 0})
    written: list[str] = field(default_factory=list)  # batches whose partitions were (re)written


def publish_tables(warehouse: Path) -> PublishReport:
    org_keys = store.read_table(warehouse, "org_keys")
    org_ids = dict(zip(org_keys["org_key"], org_keys["org_id"]))
    report = PublishReport()
    names = store.list_partitions(warehouse, "mention_candidates")
    for table in PUBLISHED:
        for stale in set(store.list_partitions(warehouse, table)) - set(names):
            store.drop_partition(warehouse, table, stale)
    for stale in set(store.list_sidecars(warehouse, store.PUBLISH_STATE)) - set(names):
        store.drop_sidecar(warehouse, store.PUBLISH_STATE, stale)
    for batch in names:
        if not _up_to_date(warehouse, batch, org_ids):
            _publish_batch(warehouse, batch, org_keys, org_ids)
            report.written.append(batch)
        for table in PUBLISHED:
            report.rows[table] += store.partition_rows(warehouse, table, batch)
    return report


def _up_to_date(warehouse: Path, batch: str, org_ids: dict[str, str]) -> bool:
    """Whether the batch's published partitions are those its candidates and today's org ids give."""
    recorded = store.read_sidecar(warehouse, store.PUBLISH_STATE, batch)
    if recorded is None or {k: recorded.get(k) for k in ("batch", "state", "candidates", "code")} != \
            _sources(warehouse, batch):
        return False
    if recorded.get("org_ids") != _org_ids_digest(recorded.get("org_keys", []), org_ids):
        return False
    return all(store.partition_footer(warehouse, table, batch) is not None for table in PUBLISHED)


def _sources(warehouse: Path, batch: str) -> dict:
    """What a batch's published partitions are made of besides the org ids: its candidates (the state that
    fixes its articles' bytes, the candidates' footers) and the code that joins them."""
    return {
        "batch": batch,
        "state": batch_state.batch_state_digest(warehouse, batch),
        "candidates": [f.as_json() if (f := store.partition_footer(warehouse, t, batch)) else None for t in _SOURCES],
        "code": _code_digest(),
    }


def _org_ids_digest(org_keys: list[str], org_ids: dict[str, str]) -> str:
    mapping = "\x1e".join(f"{key}\x1f{org_ids.get(key)}" for key in org_keys)
    return hashlib.sha256(mapping.encode()).hexdigest()[:16]


def _publish_batch(warehouse: Path, batch: str, org_keys: pl.DataFrame, org_ids: dict[str, str]) -> None:
    store.drop_sidecar(warehouse, store.PUBLISH_STATE, batch)  # first: a crash below leaves it to publish again
    run_id = store.partition_run_id(warehouse, "mention_candidates", batch)
    mentions = store.read_partition(warehouse, "mention_candidates", batch)
    facts = store.read_partition(warehouse, "fact_candidates", batch)
    published = {"org_mentions": _with_org_id(mentions, org_keys)}
    for table, id_column in FACT_ID_COLUMNS.items():
        rows = _with_org_id(facts.filter(pl.col("fact_table") == table), org_keys).rename({"fact_id": id_column})
        if table == "savings":
            rows = rows.rename({"parent_fact_id": "parent_saving_id"})
        published[table] = rows
    for table, frame in published.items():
        store.write_partition(warehouse, table, batch, frame, run_id)
    sources = _sources(warehouse, batch)
    if sources["state"] is not None:  # without a state the batch is being read again: nothing to remember
        used = sorted({*mentions["org_key"].drop_nulls(), *facts["org_key"].drop_nulls()})
        store.write_sidecar(warehouse, store.PUBLISH_STATE, batch,
                            {**sources, "org_keys": used, "org_ids": _org_ids_digest(used, org_ids)})


def _with_org_id(frame: pl.DataFrame, org_keys: pl.DataFrame) -> pl.DataFrame:
    joined = frame.join(org_keys, on="org_key", how="left")
    unresolved = joined.filter(pl.col("org_id").is_null())
    if unresolved.height:
        raise ValueError(f"{unresolved.height} rows have org keys missing from the register, "
                         f"e.g. {unresolved['org_key'][0]!r}: run the resolve stage first")
    return joined


@cache
def _code_digest() -> str:
    """The code a published partition depends on besides its inputs: this module and the table schemas."""
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.name.encode() + b"\x1f" + path.read_bytes())
    return digest.hexdigest()[:16]
