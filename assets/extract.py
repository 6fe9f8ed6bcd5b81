"""Extract layer: organisation mentions and saving/deficit facts found in each batch of articles, one partition per batch."""

import dagster as dg

from assets.ingest import run_batches
from assets.metadata import stored_rows, table_metadata, table_spec
from assets.resources import BATCHES, LedgerPaths
from pipeline.extract.extractor import EXTRACTOR_VERSION
from pipeline.extract.stage import OUTPUTS, extract_partitions

@dg.multi_asset(
    specs=[
        table_spec("mention_candidates", group_name="extract", deps=["articles"], code_version=EXTRACTOR_VERSION),
        table_spec("fact_candidates", group_name="extract", deps=["articles"], code_version=EXTRACTOR_VERSION),
        table_spec("fact_evidence", group_name="extract", deps=["articles"], code_version=EXTRACTOR_VERSION),
    ],
    partitions_def=BATCHES,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def extracted_candidates(context: dg.AssetExecutionContext, ledger: LedgerPaths):
    """Extract the run's batches whose articles were re-ingested since their candidates were written."""
    batches = run_batches(context)
    report = extract_partitions(ledger.warehouse, batches, full=ledger.full_rebuild, reference=ledger.reference)
    context.log.info(f"batches {batches}; extracted {report.processed}")
    for table in OUTPUTS:
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(
            table, stored_rows(ledger.warehouse, table, batches),
            batches=dg.MetadataValue.text(", ".join(batches)),
            batches_processed=dg.MetadataValue.text(", ".join(report.processed) or "none")))
