"""The ingest stage: raw folder in, `articles` and `rejected_inputs` partitions out, batch by batch.

Only batches whose inputs or code changed are read again (their run id differs
from the one stored in their partition); batches that left the raw folder have
their partitions removed from every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import progress, runs, store
from pipeline.ingest.inventory import RawFile, list_raw_files, sha256_hex
from pipeline.ingest.readers import Article, Rejection, read_batch
from schemas import REGISTRY

PARTITIONED_TABLES = [t.name for t in REGISTRY.tables.values() if t.partition_by]


@dataclass
class IngestReport:
    batches: list[str] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    inputs_seen: int = 0
    articles: int = 0
    rejected: int = 0


def batch_inputs(files: list[RawFile]) -> list[tuple[str, str]]:
    """(source path, content hash) of each file: what a run id is derived from."""
    inputs = []
    for raw in files:
        try:
            digest = "problem:" + raw.problem if raw.problem else sha256_hex(raw.path.read_bytes())
        except OSError as exc:
            digest = f"unreadable:{exc.strerror}"
        inputs.append((raw.source_path, digest))
    return inputs


def ingest_raw(raw_dir: Path, warehouse: Path, *, full: bool = False,
               dagster_run_id: str | None = None) -> IngestReport:
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    files = list_raw_files(raw_dir)
    by_batch: dict[str, list[RawFile]] = {}
    for raw in files:
        by_batch.setdefault(raw.batch, []).append(raw)
    report = IngestReport(batches=sorted(by_batch))
    files_done = 0
    for gone in sorted(set(store.list_partitions(warehouse, "articles")) - set(by_batch)):
        for table in PARTITIONED_TABLES:
            store.drop_partition(warehouse, table, gone)
        report.removed.append(gone)
    for batch in report.batches:
        batch_files = by_batch[batch]
        run_id = runs.run_id_for(batch, batch_inputs(batch_files))
        if not full and store.partition_run_id(warehouse, "articles", batch) == run_id \
                and store.partition_run_id(warehouse, "rejected_inputs", batch) == run_id:
            files_done += len(batch_files)
            progress.report("read inputs", files_done, len(files))
            continue
        runs.open_run(warehouse, run_id, batch, 0, dagster_run_id)
        known = _known_article_ids(warehouse, exclude_batch=batch)
        articles, rejections = read_batch(batch_files, known)
        runs.open_run(warehouse, run_id, batch, len(articles) + len(rejections), dagster_run_id)
        store.write_partition(warehouse, "articles", batch, _articles_frame(articles, run_id), run_id)
        store.write_partition(warehouse, "rejected_inputs", batch, _rejections_frame(rejections, run_id), run_id)
        report.processed.append(batch)
        files_done += len(batch_files)
        progress.report("read inputs", files_done, len(files))
    for batch in report.batches:
        report.articles += store.partition_rows(warehouse, "articles", batch)
        report.rejected += store.partition_rows(warehouse, "rejected_inputs", batch)
    report.inputs_seen = report.articles + report.rejected
    return report


def _known_article_ids(warehouse: Path, exclude_batch: str) -> dict[str, str]:
    """Articles of batches that sort before this one, so the first copy of a duplicate wins whatever the order
    in which batches are processed."""
    known: dict[str, str] = {}
    for batch in store.list_partitions(warehouse, "articles"):
        if batch >= exclude_batch:
            continue
        frame = store.read_partition(warehouse, "articles", batch).select("article_id", "source_path")
        known.update(dict(zip(frame["article_id"], frame["source_path"])))
    return known


def _articles_frame(articles: list[Article], run_id: str) -> pl.DataFrame:
    rows = [{name: getattr(a, name) for name in Article.__slots__} | {"run_id": run_id} for a in articles]
    return pl.DataFrame(rows, schema=_schema("articles"))


def _rejections_frame(rejections: list[Rejection], run_id: str) -> pl.DataFrame:
    rows = [{name: getattr(r, name) for name in Rejection.__slots__} | {"run_id": run_id} for r in rejections]
    return pl.DataFrame(rows, schema=_schema("rejected_inputs"))


def _schema(table: str) -> pl.Schema:
    from schemas.polars_types import polars_schema
    return polars_schema(REGISTRY[table])
