"""The Dagster definitions: every asset and check, shared by the UI (`make ui`) and the CLI.

One of the two modules of `pipeline/` that import Dagster (the other is `cli.py`):
the engine itself stays orchestrator-free.
"""

from __future__ import annotations

import dagster as dg

from assets import checks, extract, ingest, publish, release, resolve
from assets.resources import LedgerPaths

ASSETS = [
    ingest.raw_files,
    ingest.ingested_articles,
    extract.extracted_candidates,
    resolve.organisations,
    publish.published_facts,
    publish.runs,
    publish.nhs_ledger_duckdb,
    release.release,
]
ASSET_CHECKS = checks.CONTRACT_CHECKS
# A release is a deliberate, versioned act: never a side effect of `build`, only of the `release` job.
BUILD_JOB = dg.define_asset_job("build", selection=dg.AssetSelection.all() - dg.AssetSelection.assets("release"),
                                description="Materialise every asset but the release.")
RELEASE_JOB = dg.define_asset_job("cut_release", selection=dg.AssetSelection.assets("release"),
                                  description="Cut a versioned release of the built warehouse "
                                              "(set ops.release.config.version).")


def make_definitions(raw_dir: str | None = None, warehouse_dir: str | None = None,
                     full_rebuild: bool = False, reference_dir: str | None = None) -> dg.Definitions:
    """The same definitions with other paths: the CLI's `build --raw --warehouse --reference`."""
    paths = LedgerPaths(full_rebuild=full_rebuild, **{k: v for k, v in (
        ("raw_dir", raw_dir), ("warehouse_dir", warehouse_dir), ("reference_dir", reference_dir)) if v})
    return dg.Definitions(assets=ASSETS, asset_checks=ASSET_CHECKS, jobs=[BUILD_JOB, RELEASE_JOB], resources={"ledger": paths})


defs = make_definitions()
