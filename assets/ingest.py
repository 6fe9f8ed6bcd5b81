"""Ingest layer: the raw folder, and the cleaned articles and rejected inputs read from it, one partition per batch."""

import dagster as dg
import polars as pl

from assets.metadata import definition_metadata, table_metadata
from assets.resources import BATCHES, LedgerPaths
from pipeline import store
from pipeline.batches import batch_of_key
from pipeline.ingest.stage import ingest_batches
from pipeline.versions import CODE_VERSION
from schemas import REGISTRY
from schemas.polars_types import empty_frame

raw_files = dg.AssetSpec(
    "raw_files",
    group_name="ingest",
    description="The raw folder: article files in batch folders (.txt page text, .html pages, .jsonl records). "
                "Maintained outside the pipeline; new batches arrive as new folders.",
)


def partition_frame(warehouse, table: str, batches: list[str]) -> pl.DataFrame:
    """The rows of a partitioned table that belong to `batches`."""
    stored = set(store.list_partitions(warehouse, table))
    parts = [store.read_partition(warehouse, table, b) for b in batches if b in stored]
    return pl.concat(parts, how="vertical") if parts else empty_frame(REGISTRY[table])


def run_batches(context: dg.AssetExecutionContext) -> list[str]:
    """The batches of the partitions this run materialises (one, or a range), by name."""
    return sorted(batch_of_key(key) for key in context.partition_keys)


@dg.multi_asset(
    specs=[
        dg.AssetSpec("articles", group_name="ingest", deps=[raw_files], code_version=CODE_VERSION,
                     description="One row per ingested article: headline and body with reader comments and page "
                                 "furniture removed. Every character offset in the dataset points into body_text.",
                     metadata=definition_metadata("articles")),
        dg.AssetSpec("rejected_inputs", group_name="ingest", deps=[raw_files], code_version=CODE_VERSION,
                     description="One row per raw input that could not be read as an article, with the reason.",
                     metadata=definition_metadata("rejected_inputs")),
    ],
    partitions_def=BATCHES,
    # A range of batches is one run, read in name order, so a duplicate's first copy wins as in a full build.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ingested_articles(context: dg.AssetExecutionContext, ledger: LedgerPaths):
    """Read the run's batches whose files or code changed since their partitions were written."""
    batches = run_batches(context)
    report = ingest_batches(ledger.raw, ledger.warehouse, batches, full=ledger.full_rebuild,
                            dagster_run_id=context.run_id)
    context.log.info(f"batches {batches}; processed {report.processed}; removed {report.removed}")
    for table in ("articles", "rejected_inputs"):
        frame = partition_frame(ledger.warehouse, table, batches)
        if table == "articles":
            frame = frame.drop("body_text")
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(
            table, frame, batches=dg.MetadataValue.text(", ".join(batches)),
            batches_processed=dg.MetadataValue.text(", ".join(report.processed) or "none"),
            path=dg.MetadataValue.path(str(store.table_dir(ledger.warehouse, table)))))
