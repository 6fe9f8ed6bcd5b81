"""Where the pipeline reads and writes: the one resource every asset shares, and the batches partitioning."""

import os
from pathlib import Path

import dagster as dg

from pipeline.register.stage import reference_folder

# One partition per batch folder of the raw folder (`pipeline.batches.partition_key` names it): the ingest and
# extract assets are partitioned by it; the register, the published tables, runs and DuckDB span every batch.
# The raw_batches_sensor and `nhs-ledger build` add a key when a folder arrives and delete it when it goes.
BATCHES = dg.DynamicPartitionsDefinition(name="batches")


class LedgerPaths(dg.ConfigurableResource):
    """The raw folder and the warehouse folder (relative paths are taken from the working directory)."""

    raw_dir: str = os.environ.get("NHS_LEDGER_RAW", "raw")
    warehouse_dir: str = os.environ.get("NHS_LEDGER_WAREHOUSE", "warehouse")
    full_rebuild: bool = False
    # Reference data (ODS extracts) for the organisation register; empty: raw/reference when it exists.
    reference_dir: str = os.environ.get("NHS_LEDGER_REFERENCE", "")

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir).resolve()

    @property
    def reference(self) -> Path | None:
        return reference_folder(self.raw, self.reference_dir or None)

    @property
    def warehouse(self) -> Path:
        path = Path(self.warehouse_dir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
