"""Ingest layer: the raw folder, and the cleaned articles, rejected inputs and web archive record counts read from it,
one partition per batch."""

import dagster as dg

from assets.metadata import stored_rows, table_metadata, table_spec
from assets.resources import BATCHES, LedgerPaths
from pipeline.warehouse import store
from pipeline.batches import INGEST_TABLES, batch_of_key
from pipeline.ingest.stage import ingest_batches
from pipeline.versions import CODE_VERSION

raw_files = dg.AssetSpec(
    "raw_files",
    group_name="ingest",
    description="The raw folder: article files in batch folders (.txt page text, .html pages, .jsonl records) "
                "and web archive files (.warc, .warc.gz: a batch each). Maintained outside the pipeline; new "
                "batches arrive as new folders and files.",
)


def run_batches(context: dg.AssetExecutionContext) -> list[str]:
    """The batches of the partitions this run materialises (one, or a range), by name."""
    return sorted(batch_of_key(key) for key in context.partition_keys)


@dg.multi_asset(
    specs=[
        table_spec("articles", group_name="ingest", deps=[raw_files], code_version=CODE_VERSION),
        table_spec("rejected_inputs", group_name="ingest", deps=[raw_files], code_version=CODE_VERSION),
        table_spec("warc_records", group_name="ingest", deps=[raw_files], code_version=CODE_VERSION),
    ],
    partitions_def=BATCHES,
    # A range of batches is one run, read in name order, so a duplicate's first copy wins as in a full build.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ingested_articles(context: dg.AssetExecutionContext, ledger: LedgerPaths):
    """Read the run's batches whose files or code changed since their partitions were written."""
    batches = run_batches(context)
    report = ingest_batches(ledger.raw, ledger.warehouse, batches, full=ledger.full_rebuild,
                            dagster_run_id=context.run_id, reference=ledger.reference)
    context.log.info(f"batches {batches}; processed {report.processed}; removed {report.removed}")
    for table in INGEST_TABLES:
        # Whole articles make a preview of one long cell per row: the preview leaves the text out.
        rows = stored_rows(ledger.warehouse, table, batches,
                           hidden_columns=("body_text",) if table == "articles" else ())
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(
            table, rows, batches=dg.MetadataValue.text(", ".join(batches)),
            batches_processed=dg.MetadataValue.text(", ".join(report.processed) or "none"),
            path=dg.MetadataValue.path(str(store.table_dir(ledger.warehouse, table)))))
