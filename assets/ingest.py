"""Ingest layer: the raw folder, and the cleaned articles and rejected inputs read from it."""

import dagster as dg

from assets.metadata import definition_metadata, table_metadata
from assets.resources import LedgerPaths
from pipeline import store
from pipeline.ingest.stage import ingest_raw
from pipeline.versions import CODE_VERSION

raw_files = dg.AssetSpec(
    "raw_files",
    group_name="ingest",
    description="The raw folder: article files in batch folders (.txt page text, .html pages, .jsonl records). "
                "Maintained outside the pipeline; new batches arrive as new folders.",
)

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
)
def ingested_articles(context: dg.AssetExecutionContext, ledger: LedgerPaths):
    """Read only the batches whose files or code changed since their partitions were written."""
    report = ingest_raw(ledger.raw, ledger.warehouse, full=ledger.full_rebuild, dagster_run_id=context.run_id)
    context.log.info(f"batches {report.batches}; processed {report.processed}; removed {report.removed}")
    for table in ("articles", "rejected_inputs"):
        frame = store.read_table(ledger.warehouse, table)
        if table == "articles":
            frame = frame.drop("body_text")
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(
            table, frame, batches_processed=dg.MetadataValue.text(", ".join(report.processed) or "none"),
            path=dg.MetadataValue.path(str(store.table_dir(ledger.warehouse, table)))))
