"""The Dagster definitions: every asset and check, shared by the UI (`make ui`) and `nhs-ledger build`.

The Dagster layer's root: `dagster dev` loads `defs` from here (workspace.yaml), and the CLI materialises
the same definitions in-process (`assets.materialise`). The engine (`pipeline/`) never imports this layer.
"""

from __future__ import annotations

import os

import dagster as dg

from assets import checks, extract, ingest, plausibility, publish, release, resolve
from assets.locking import locked
from assets.resources import BATCHES, LedgerPaths
from assets.sensors import BATCHES_JOB, PARTITIONED_ASSETS, PUBLISH_JOB, raw_batches_sensor

__all__ = ["ASSETS", "ASSET_CHECKS", "BATCHES", "BATCHES_JOB", "BUILD_JOB", "PARTITIONED_ASSETS", "PUBLISH_JOB",
           "RELEASE_JOB", "SENSORS", "EXECUTOR_ENV", "EXECUTORS", "build_job", "defs",
           "executor_from_env", "make_definitions"]

ASSETS = [
    ingest.raw_files,
    ingest.ingested_articles,
    extract.extracted_candidates,
    resolve.organisations,
    publish.published_facts,
    publish.figures,
    publish.runs,
    publish.nhs_ledger_duckdb,
    release.release,
]
ASSET_CHECKS = [*checks.CONTRACT_CHECKS, *plausibility.PLAUSIBILITY_CHECKS]
SENSORS = [raw_batches_sensor]
# A release is a deliberate, versioned act: never a side effect of `build`, only of the `release` job.
# `nhs-ledger build` runs this job over the range of partitions (batches) it has to process, with everything
# downstream of them; the raw_batches_sensor splits the same work into BATCHES_JOB and PUBLISH_JOB runs.
BUILD_JOB = dg.define_asset_job("build", selection=dg.AssetSelection.all() - dg.AssetSelection.assets("release"),
                                partitions_def=BATCHES,
                                description="Materialise every asset but the release: the partitions of the batches "
                                            "to process, and the tables that span every batch.")
RELEASE_JOB = dg.define_asset_job("cut_release", selection=dg.AssetSelection.assets("release"),
                                  description="Cut a versioned release of the built warehouse "
                                              "(set ops.release.config.version).")


EXECUTOR_ENV = "NHS_LEDGER_EXECUTOR"
# name -> (module, attribute, the package to install): the executors a deployment may choose without a code change.
EXECUTORS = {
    "multiprocess": ("dagster", "multiprocess_executor", "dagster"),
    "in_process": ("dagster", "in_process_executor", "dagster"),
    "celery": ("dagster_celery", "celery_executor", "dagster-celery"),
    "k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s"),
}


def executor_from_env() -> dg.ExecutorDefinition | None:
    """The executor NHS_LEDGER_EXECUTOR names (deploy/*.yaml configure them); unset: Dagster's default, which
    runs steps in processes of their own in the UI and in this process for `nhs-ledger build`."""
    import importlib

    name = os.environ.get(EXECUTOR_ENV, "").strip().lower()
    if not name:
        return None
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV}={name!r} is not an executor NHS Ledger knows; one of: {', '.join(EXECUTORS)}")
    module, attribute, package = EXECUTORS[name]
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError:
        raise ValueError(f"{EXECUTOR_ENV}={name} needs the package {package}: .venv/bin/pip install {package}") from None


def make_definitions(raw_dir: str | None = None, warehouse_dir: str | None = None,
                     full_rebuild: bool = False, reference_dir: str | None = None) -> dg.Definitions:
    """The same definitions with other paths: the CLI's `build --raw --warehouse --reference`."""
    paths = LedgerPaths(full_rebuild=full_rebuild, **{k: v for k, v in (
        ("raw_dir", raw_dir), ("warehouse_dir", warehouse_dir), ("reference_dir", reference_dir)) if v})
    # Every run holds the warehouse lock from its first step to its last (assets/locking.py).
    executor = locked(executor_from_env() or dg.multi_or_in_process_executor, paths.warehouse_dir)
    return dg.Definitions(assets=ASSETS, asset_checks=ASSET_CHECKS, sensors=SENSORS,
                          jobs=[BUILD_JOB, BATCHES_JOB, PUBLISH_JOB, RELEASE_JOB], resources={"ledger": paths},
                          executor=executor)


defs = make_definitions()


def build_job() -> dg.JobDefinition:
    """The `build` job of `defs`, whose paths come from NHS_LEDGER_RAW, NHS_LEDGER_WAREHOUSE and
    NHS_LEDGER_REFERENCE: what an executor that runs each step in its own process (multiprocess, Celery,
    Kubernetes) rebuilds there, through `dagster.reconstructable(build_job)`."""
    return defs.resolve_job_def("build")
