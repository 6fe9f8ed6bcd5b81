"""The extract stage: each batch's articles in, its `mention_candidates`, `fact_candidates` and `fact_evidence` out.

A batch is extracted again only when one of its candidate partitions is missing or
was written by a run other than the one its articles came from (the ingest stage
drops a batch's candidates whenever it reads the batch again). One batch is one
Dagster partition: `extract_partitions` takes the partitions of a run.

With reference data, the gazetteer of its names (`gazetteer`) adds the bodies the recogniser misses; its
fingerprint is part of the batches' run ids, so a batch extracted with other reference data (or none) is
extracted again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import parallel as parallel_work
from pipeline import progress
from pipeline.warehouse import store
from pipeline.extract.extractor import EXTRACTOR_VERSION, extract_article
from pipeline.extract.gazetteer import Gazetteer, gazetteer_for
from schemas import REGISTRY
from schemas.polars_types import polars_schema


OUTPUTS = ("mention_candidates", "fact_candidates", "fact_evidence")


@dataclass
class ExtractReport:
    processed: list[str] = field(default_factory=list)
    mentions: int = 0
    facts: int = 0


def extract_batches(warehouse: Path, *, full: bool = False, reference: Path | None = None) -> ExtractReport:
    """Every batch with articles; candidates of batches without articles are dropped."""
    batches = store.list_partitions(warehouse, "articles")
    for table in OUTPUTS:
        for stale in set(store.list_partitions(warehouse, table)) - set(batches):
            store.drop_partition(warehouse, table, stale)
    return extract_partitions(warehouse, batches, full=full, reference=reference)


def extract_batch_partition(warehouse: Path, batch: str, *, full: bool = False,
                            reference: Path | None = None) -> bool:
    """One batch (one Dagster partition); whether it was extracted (False: up to date, or it has no articles)."""
    return batch in extract_partitions(warehouse, [batch], full=full, reference=reference).processed


def extract_partitions(warehouse: Path, batches: list[str], *, full: bool = False,
                       reference: Path | None = None) -> ExtractReport:
    """The batches `batches` whose candidates are missing or stale (all of them when `full`); `reference`: the
    build's reference folder, whose names the gazetteer finds (the same folder the batches' run ids were
    derived with, `pipeline.batches.plan_batches`).

    Articles are extracted in worker processes when the job is large enough (`pipeline.parallel`); the
    partitions are written here, in batch order, exactly as a run with no workers writes them.
    """
    report = ExtractReport()
    batches = sorted(set(batches))
    for batch in batches:
        if store.partition_run_id(warehouse, "articles", batch) is None:
            for table in OUTPUTS:
                store.drop_partition(warehouse, table, batch)
    todo = {b: run_id for b in batches if (run_id := store.partition_run_id(warehouse, "articles", b)) is not None
            and (full or any(store.partition_run_id(warehouse, t, b) != run_id for t in OUTPUTS))}
    sizes = {b: store.partition_rows(warehouse, "articles", b) for b in todo}
    total, done = sum(sizes.values()), 0
    parallel = parallel_work.use_workers(total)
    pieces = parallel_work.pieces_per_job(len(todo), parallel)
    reference_dir = str(reference) if todo and gazetteer_for(reference) is not None else None
    units = [_ExtractUnit(str(store.partition_dir(warehouse, "articles", b) / store.PART_FILE), b, todo[b],
                          start, stop, reference_dir)
             for b in todo for start, stop in parallel_work.chunks(sizes[b], pieces)]
    pending: dict[str, list[tuple[pl.DataFrame, ...]]] = {}
    for unit, frames in zip(units, parallel_work.ordered_map(_extract_unit, units, parallel=parallel)):
        pending.setdefault(unit.batch, []).append(frames)
        done += unit.stop - unit.start
        progress.report("extract articles", done, total)
        if unit.stop < sizes[unit.batch]:
            continue
        parts = pending.pop(unit.batch)
        for table, *frames in zip(OUTPUTS, *parts):
            store.write_partition(warehouse, table, unit.batch, pl.concat(frames, how="vertical"), unit.run_id)
        report.processed.append(unit.batch)
    if parallel:  # the last stage that needs them: their memory goes back before the tables spanning every batch
        parallel_work.shutdown()
    for batch in batches:
        report.mentions += store.partition_rows(warehouse, "mention_candidates", batch)
        report.facts += store.partition_rows(warehouse, "fact_candidates", batch)
    return report


@dataclass(frozen=True)
class _ExtractUnit:
    """Articles [start, stop) of one batch's articles partition: one piece of work for a worker."""
    articles_path: str
    batch: str
    run_id: str
    start: int
    stop: int
    reference_dir: str | None = None  # each worker builds the gazetteer once (`gazetteer_for` keeps it)


def _extract_unit(unit: _ExtractUnit) -> tuple[pl.DataFrame, ...]:
    # Runs in a worker: reads its slice of the articles (reading is safe beside the parent), writes nothing.
    articles = (pl.scan_parquet(unit.articles_path)
                .select("article_id", "body_text", "published_on")
                .slice(unit.start, unit.stop - unit.start)
                .with_columns(pl.lit(unit.batch).alias("batch"))
                .collect())
    return extract_batch(articles, unit.run_id, gazetteer_for(unit.reference_dir))


def extract_batch(articles: pl.DataFrame, run_id: str,
                  gazetteer: Gazetteer | None = None) -> tuple[pl.DataFrame, ...]:
    """(mention_candidates, fact_candidates, fact_evidence) rows of one batch of articles."""
    mention_rows: list[dict] = []
    fact_rows: list[dict] = []
    evidence_rows: list[dict] = []
    lineage = {"extractor_version": EXTRACTOR_VERSION, "run_id": run_id}
    for article in articles.iter_rows(named=True):
        extraction = extract_article(article["article_id"], article["body_text"], article["published_on"],
                                     gazetteer=gazetteer)
        batch = {"batch": article["batch"]}
        mention_rows += [row | lineage | batch for row in extraction.mentions]
        fact_rows += [row | lineage | batch for row in extraction.facts]
        evidence_rows += [row | batch for row in extraction.statements]
    return tuple(pl.DataFrame(rows, schema=polars_schema(REGISTRY[table]))
                 for table, rows in zip(OUTPUTS, (mention_rows, fact_rows, evidence_rows)))
