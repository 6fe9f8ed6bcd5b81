"""The ingest stage: raw folder in, `articles`, `rejected_inputs` and `warc_records` partitions out, batch by batch.

A batch is read again only when `batches.batch_status` says so: its files or the
code changed (its run id differs from the one stored in its partitions), or the
earlier articles its inputs are copies of appeared, moved or went away. Batches
that left the raw folder have their partitions removed from every table. One
batch is one Dagster partition: `ingest_batches` takes the partitions of a run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import batches, progress
from pipeline.warehouse import run_log as runs
from pipeline.warehouse import batch_state, store
from pipeline import parallel as parallel_work
from pipeline.ingest.inventory import RawFile
from pipeline.ingest.readers import Article, Rejection, read_file, record_counts, settle_duplicates
from pipeline.ingest.warc import RecordCount
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
               dagster_run_id: str | None = None, reference: Path | None = None) -> IngestReport:
    """Every batch of the raw folder."""
    by_batch = batches.list_batches(raw_dir)
    return ingest_batches(raw_dir, warehouse, list(by_batch), full=full, dagster_run_id=dagster_run_id,
                          by_batch=by_batch, reference=reference)


def ingest_batch(raw_dir: Path, warehouse: Path, batch: str, *, full: bool = False,
                 dagster_run_id: str | None = None, reference: Path | None = None) -> bool:
    """One batch (one Dagster partition); whether it was read (False: up to date, or gone and dropped)."""
    return batch in ingest_batches(raw_dir, warehouse, [batch], full=full, dagster_run_id=dagster_run_id,
                                   reference=reference).processed


def ingest_batches(raw_dir: Path, warehouse: Path, names: list[str], *, full: bool = False,
                   dagster_run_id: str | None = None,
                   by_batch: dict[str, list[RawFile]] | None = None,
                   reference: Path | None = None) -> IngestReport:
    """The batches `names` that need it, in name order, after dropping the batches whose folder is gone.

    `reference`: the build's reference folder, whose gazetteer the extraction reads: part of the run ids.

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
    fingerprint = batches.reference_fingerprint(reference)
    total, done = sum(len(by_batch[b]) for b in todo), 0
    # Which batches will be read is known before the first is written (a batch whose earlier copies change
    # meanwhile is read here, in this process), so their files can be read ahead by the workers.
    ahead = [b for b in todo if _needs_reading(_status(warehouse, b, by_batch[b], full, fingerprint)[0])]
    parallel = parallel_work.use_workers(sum(len(by_batch[b]) for b in ahead))
    pieces = parallel_work.pieces_per_job(len(ahead), parallel)
    units = [(b, tuple(by_batch[b][start:stop])) for b in ahead
             for start, stop in parallel_work.chunks(len(by_batch[b]), pieces)]
    reads = parallel_work.ordered_map(_read_files, [files for _, files in units], parallel=parallel)
    units_of = Counter(b for b, _ in units)
    for batch in todo:
        files = by_batch[batch]
        items = [item for _ in range(units_of[batch]) for item in next(reads)] if batch in units_of else None
        status, known = _status(warehouse, batch, files, full, fingerprint)
        if _needs_reading(status):
            _ingest_one(warehouse, batch, status, known, _read_files(files) if items is None else items,
                        dagster_run_id=dagster_run_id)
            report.processed.append(batch)
        done += len(files)
        progress.report("read inputs", done, total)
    for batch in report.batches:
        report.articles += store.partition_rows(warehouse, "articles", batch)
        report.rejected += store.partition_rows(warehouse, "rejected_inputs", batch)
    report.inputs_seen = report.articles + report.rejected
    return report


def _status(warehouse: Path, batch: str, files: list[RawFile], full: bool, reference: str | None = None
            ) -> tuple[batches.BatchStatus, dict[str, str]]:
    """Whether the batch must be read, and the articles before it (id -> source path) it was judged against."""
    known = batch_state.known_before(warehouse, batch)
    return batches.batch_status(warehouse, batch, files, known, full=full, reference=reference), known


def _needs_reading(status: batches.BatchStatus) -> bool:
    return status.reason not in (None, batches.NOT_EXTRACTED)


def _read_files(files: tuple[RawFile, ...] | list[RawFile]) -> list[Article | Rejection | RecordCount]:
    # Runs in a worker when the job is large: reads and cleans, touches nothing in the warehouse.
    return [item for raw in files for item in read_file(raw)]


def _ingest_one(warehouse: Path, batch: str, status: batches.BatchStatus, known: dict[str, str],
                items: list[Article | Rejection | RecordCount], *, dagster_run_id: str | None) -> None:
    run_id = status.run_id
    # Invalidate first: a crash from here on leaves the batch marked for reprocessing, and its candidates
    # (which may have been extracted from other articles under the same run id) for extraction.
    batch_state.forget_batch_state(warehouse, batch)
    for table in batches.EXTRACT_TABLES:
        store.drop_partition(warehouse, table, batch)
    runs.open_run(warehouse, run_id, batch, 0, dagster_run_id)
    articles, rejections = settle_duplicates(items, known)
    runs.open_run(warehouse, run_id, batch, len(articles) + len(rejections), dagster_run_id)
    store.write_partition(warehouse, "articles", batch, _rows_frame(articles, "articles", run_id), run_id)
    store.write_partition(warehouse, "rejected_inputs", batch, _rows_frame(rejections, "rejected_inputs", run_id),
                          run_id)
    store.write_partition(warehouse, "warc_records", batch, _rows_frame(record_counts(items), "warc_records", run_id),
                          run_id)
    ids = batch_state.input_ids([a.article_id for a in articles], [r.content_sha256 for r in rejections])
    batch_state.write_batch_state(warehouse, batch, run_id, batch_state.earlier_copies(known, ids))


def _rows_frame(items: list, table: str, run_id: str) -> pl.DataFrame:
    rows = [{name: getattr(item, name) for name in type(item).__slots__} | {"run_id": run_id} for item in items]
    return pl.DataFrame(rows, schema=_schema(table))


def _schema(table: str) -> pl.Schema:
    from schemas.polars_types import polars_schema
    return polars_schema(REGISTRY[table])
