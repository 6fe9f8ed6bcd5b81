"""The ingest stage: raw folder in, `articles` and `rejected_inputs` partitions out, batch by batch.

A batch is read again only when `batches.batch_status` says so: its files or the
code changed (its run id differs from the one stored in its partitions), or the
earlier articles its inputs are copies of appeared, moved or went away. Batches
that left the raw folder have their partitions removed from every table. One
batch is one Dagster partition: `ingest_batches` takes the partitions of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import batches, progress, runs, store
from pipeline.ingest.inventory import RawFile
from pipeline.ingest.readers import Article, Rejection, read_batch
from schemas import REGISTRY

PARTITIONED_TABLES = list(batches.PARTITIONED_TABLES)


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
    return batches.batch_inputs(files)


def ingest_raw(raw_dir: Path, warehouse: Path, *, full: bool = False,
               dagster_run_id: str | None = None) -> IngestReport:
    """Every batch of the raw folder."""
    by_batch = batches.list_batches(raw_dir)
    return ingest_batches(raw_dir, warehouse, list(by_batch), full=full, dagster_run_id=dagster_run_id,
                          by_batch=by_batch)


def ingest_batch(raw_dir: Path, warehouse: Path, batch: str, *, full: bool = False,
                 dagster_run_id: str | None = None) -> bool:
    """One batch (one Dagster partition); whether it was read (False: up to date, or gone and dropped)."""
    return batch in ingest_batches(raw_dir, warehouse, [batch], full=full, dagster_run_id=dagster_run_id).processed


def ingest_batches(raw_dir: Path, warehouse: Path, names: list[str], *, full: bool = False,
                   dagster_run_id: str | None = None,
                   by_batch: dict[str, list[RawFile]] | None = None) -> IngestReport:
    """The batches `names` that need it, in name order, after dropping the batches whose folder is gone.

    Name order makes the first copy of a duplicate win as in a full build; a batch processed out of order (two
    partition runs at once) is caught by its next plan, as `earlier copies changed`.
    """
    by_batch = batches.list_batches(raw_dir) if by_batch is None else by_batch
    report = IngestReport(batches=sorted(by_batch))
    for gone in batches.stored_batches(warehouse):
        if gone not in by_batch:
            batches.drop_batch(warehouse, gone)
            report.removed.append(gone)
    todo = [b for b in sorted(set(names)) if b in by_batch]
    total, done = sum(len(by_batch[b]) for b in todo), 0
    for batch in todo:
        files = by_batch[batch]
        if _ingest_one(warehouse, batch, files, full=full, dagster_run_id=dagster_run_id):
            report.processed.append(batch)
        done += len(files)
        progress.report("read inputs", done, total)
    for batch in report.batches:
        report.articles += store.partition_rows(warehouse, "articles", batch)
        report.rejected += store.partition_rows(warehouse, "rejected_inputs", batch)
    report.inputs_seen = report.articles + report.rejected
    return report


def _ingest_one(warehouse: Path, batch: str, files: list[RawFile], *, full: bool,
                dagster_run_id: str | None) -> bool:
    known = batches.known_before(warehouse, batch)
    status = batches.batch_status(warehouse, batch, files, known, full=full)
    if status.reason in (None, batches.NOT_EXTRACTED):
        return False
    run_id = status.run_id
    # Invalidate first: a crash from here on leaves the batch marked for reprocessing, and its candidates
    # (which may have been extracted from other articles under the same run id) for extraction.
    batches.forget_batch_state(warehouse, batch)
    for table in batches.EXTRACT_TABLES:
        store.drop_partition(warehouse, table, batch)
    runs.open_run(warehouse, run_id, batch, 0, dagster_run_id)
    articles, rejections = read_batch(files, known)
    runs.open_run(warehouse, run_id, batch, len(articles) + len(rejections), dagster_run_id)
    store.write_partition(warehouse, "articles", batch, _articles_frame(articles, run_id), run_id)
    store.write_partition(warehouse, "rejected_inputs", batch, _rejections_frame(rejections, run_id), run_id)
    ids = batches.input_ids([a.article_id for a in articles], [r.content_sha256 for r in rejections])
    batches.write_batch_state(warehouse, batch, run_id, batches.earlier_copies(known, ids))
    return True


def _articles_frame(articles: list[Article], run_id: str) -> pl.DataFrame:
    rows = [{name: getattr(a, name) for name in Article.__slots__} | {"run_id": run_id} for a in articles]
    return pl.DataFrame(rows, schema=_schema("articles"))


def _rejections_frame(rejections: list[Rejection], run_id: str) -> pl.DataFrame:
    rows = [{name: getattr(r, name) for name in Rejection.__slots__} | {"run_id": run_id} for r in rejections]
    return pl.DataFrame(rows, schema=_schema("rejected_inputs"))


def _schema(table: str) -> pl.Schema:
    from schemas.polars_types import polars_schema
    return polars_schema(REGISTRY[table])
