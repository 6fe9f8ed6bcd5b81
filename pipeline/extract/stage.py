"""The extract stage: each batch's articles in, its `mention_candidates`, `fact_candidates` and `fact_evidence` out.

A batch is extracted again only when one of its candidate partitions is missing or
was written by a run other than the one its articles came from (the ingest stage
drops a batch's candidates whenever it reads the batch again). One batch is one
Dagster partition: `extract_partitions` takes the partitions of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import progress, store
from pipeline.extract.extractor import EXTRACTOR_VERSION, extract_article
from schemas import REGISTRY
from schemas.polars_types import polars_schema


OUTPUTS = ("mention_candidates", "fact_candidates", "fact_evidence")


@dataclass
class ExtractReport:
    processed: list[str] = field(default_factory=list)
    mentions: int = 0
    facts: int = 0


def extract_batches(warehouse: Path, *, full: bool = False) -> ExtractReport:
    """Every batch with articles; candidates of batches without articles are dropped."""
    batches = store.list_partitions(warehouse, "articles")
    for table in OUTPUTS:
        for stale in set(store.list_partitions(warehouse, table)) - set(batches):
            store.drop_partition(warehouse, table, stale)
    return extract_partitions(warehouse, batches, full=full)


def extract_batch_partition(warehouse: Path, batch: str, *, full: bool = False) -> bool:
    """One batch (one Dagster partition); whether it was extracted (False: up to date, or it has no articles)."""
    return batch in extract_partitions(warehouse, [batch], full=full).processed


def extract_partitions(warehouse: Path, batches: list[str], *, full: bool = False) -> ExtractReport:
    """The batches `batches` whose candidates are missing or stale (all of them when `full`)."""
    report = ExtractReport()
    batches = sorted(set(batches))
    for batch in batches:
        if store.partition_run_id(warehouse, "articles", batch) is None:
            for table in OUTPUTS:
                store.drop_partition(warehouse, table, batch)
    todo = [b for b in batches if (run_id := store.partition_run_id(warehouse, "articles", b)) is not None
            and (full or any(store.partition_run_id(warehouse, t, b) != run_id for t in OUTPUTS))]
    total, done = sum(store.partition_rows(warehouse, "articles", b) for b in todo), 0
    for batch in todo:
        run_id = store.partition_run_id(warehouse, "articles", batch)
        articles = store.read_partition(warehouse, "articles", batch)
        frames = extract_batch(articles, run_id, lambda n, offset=done: progress.report("extract articles", offset + n, total))
        done += articles.height
        for table, frame in zip(OUTPUTS, frames):
            store.write_partition(warehouse, table, batch, frame, run_id)
        report.processed.append(batch)
    for batch in batches:
        report.mentions += store.partition_rows(warehouse, "mention_candidates", batch)
        report.facts += store.partition_rows(warehouse, "fact_candidates", batch)
    return report


def extract_batch(articles: pl.DataFrame, run_id: str, on_progress=None) -> tuple[pl.DataFrame, ...]:
    """(mention_candidates, fact_candidates, fact_evidence) rows of one batch of articles."""
    mention_rows: list[dict] = []
    fact_rows: list[dict] = []
    evidence_rows: list[dict] = []
    lineage = {"extractor_version": EXTRACTOR_VERSION, "run_id": run_id}
    for done, article in enumerate(articles.iter_rows(named=True), start=1):
        extraction = extract_article(article["article_id"], article["body_text"], article["published_on"])
        batch = {"batch": article["batch"]}
        mention_rows += [row | lineage | batch for row in extraction.mentions]
        fact_rows += [row | lineage | batch for row in extraction.facts]
        evidence_rows += [row | batch for row in extraction.statements]
        if on_progress is not None and (done % 50 == 0 or done == articles.height):
            on_progress(done)
    return tuple(pl.DataFrame(rows, schema=polars_schema(REGISTRY[table]))
                 for table, rows in zip(OUTPUTS, (mention_rows, fact_rows, evidence_rows)))
