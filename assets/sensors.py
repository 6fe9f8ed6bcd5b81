"""Incremental loads in the Dagster daemon: the sensor that notices new, changed and deleted batch folders, and the
two jobs it launches.

Each tick (at most once a minute) the sensor plans with the engine (`pipeline.batches.plan_batches`, the plan
`nhs-ledger build` makes), then:

1. registers a partition for each new batch folder and deletes the partition of each folder that is gone,
   dropping that batch's rows from every partitioned table (the engine's `drop_batch`);
2. requests a `process_batches` run for the batches that are new or changed, one run per range of neighbouring
   partitions, and nothing for the others;
3. once no batch is left to process, requests one `publish_all` run of the tables that span every batch
   (register, published facts, runs, DuckDB) if they lag the partitions.

It does nothing while a run it launched is queued or running, or a `build` is (`nhs-ledger build` with the
project's instance, or the UI), so `publish_all` always starts after the partition runs it depends on have
finished, and two runs never write the warehouse at once. Run keys
name what a run is for (each batch's run id and the state it was judged on; the partitions' state for
`publish_all`), so a tick never launches the same work twice, and a failed run is not retried in a loop: fix
the cause, then re-execute it in the UI or run `nhs-ledger build`.
"""

from __future__ import annotations

import hashlib
import time

import dagster as dg

from assets.checks import CONTRACT_CHECKS
from assets.partitions import sync_partitions
from assets.resources import BATCHES, LedgerPaths
from pipeline.warehouse import lock
from pipeline.batches import (EXTRACT_TABLES, INGEST_TABLES, BatchStatus, Plan, contiguous_runs, needs_publish,
                              plan_batches, warehouse_state)

SENSOR_NAME = "raw_batches_sensor"
# The assets partitioned by batch: the ingest and extract stages' tables.
PARTITIONED_ASSETS = (*INGEST_TABLES, *EXTRACT_TABLES)
# The tags a run over a range of partitions carries (as a single-run backfill's runs do).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
SENSOR_TAG = "dagster/sensor_name"
BATCHES_TAG = "nhs_ledger/batches"
STALE_AFTER_SECONDS = 6 * 3600
WRITING_JOBS = ("build", "process_batches", "publish_all")
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]



def _checks_by_layer() -> tuple[list[dg.AssetCheckKey], list[dg.AssetCheckKey]]:
    """The checks of the partitioned assets that need only partitioned tables (they run with the partitions), and
    those that also read tables spanning every batch (`fact_evidence` against `savings`: they run after those)."""
    own, spanning = [], []
    for definition in CONTRACT_CHECKS:
        for spec in definition.check_specs:
            if spec.asset_key.to_user_string() not in PARTITIONED_ASSETS:
                continue
            needs = {dep.asset_key.to_user_string() for dep in spec.additional_deps}
            (own if needs <= {*PARTITIONED_ASSETS, "raw_files"} else spanning).append(spec.key)
    return own, spanning


BATCH_CHECKS, SPANNING_CHECKS = _checks_by_layer()
BATCHES_JOB = dg.define_asset_job(
    "process_batches",
    selection=dg.AssetSelection.assets(*PARTITIONED_ASSETS) - dg.AssetSelection.checks(*SPANNING_CHECKS),
    partitions_def=BATCHES,
    description="Ingest and extract one batch or a range of batches: the partitioned assets and their checks. "
                "The raw_batches_sensor launches it for new and changed batch folders.")
PUBLISH_JOB = dg.define_asset_job(
    "publish_all",
    selection=(dg.AssetSelection.assets(*PARTITIONED_ASSETS).downstream()
               - dg.AssetSelection.assets(*PARTITIONED_ASSETS, "release"))
    | dg.AssetSelection.checks(*SPANNING_CHECKS),
    description="Rebuild what spans every batch (the register, the published facts, runs, the DuckDB file) "
                "from the batches' partitions. The raw_batches_sensor launches it after the partition runs.")


def run_in_flight(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    """A run that writes the warehouse and has not finished: one this sensor launched, or a `build` (from
    `nhs-ledger build` or the UI) that started less than STALE_AFTER_SECONDS ago. An in-process CLI run killed
    midway stays STARTED for ever in the instance, and the daemon's run monitoring does not see it, so it only
    holds the sensor back for a while."""
    now = time.time()
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT), limit=50):
        run = record.dagster_run
        if run.tags.get(SENSOR_TAG) == SENSOR_NAME:
            return run
        started = record.start_time or record.create_timestamp.timestamp()
        if run.job_name in WRITING_JOBS and now - started < STALE_AFTER_SECONDS:
            return run
    return None


def partition_tags(keys: list[str]) -> dict[str, str]:
    """Tags of a run over the partitions `keys` (neighbours in the partitions' order, first to last)."""
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def batches_run_request(keys: list[str], plan: Plan) -> dg.RunRequest:
    by_key = {b.key: b for b in plan.batches}
    statuses: list[BatchStatus] = [by_key[k] for k in keys]
    material = "\x1e".join(f"{b.key}\x1f{b.run_id}\x1f{b.basis}" for b in statuses)
    run_key = "batches:" + hashlib.sha256(material.encode()).hexdigest()[:24]
    tags = {BATCHES_TAG: ", ".join(sorted(b.name for b in statuses))[:1000]}
    if len(keys) == 1:
        return dg.RunRequest(job_name=BATCHES_JOB.name, partition_key=keys[0], run_key=run_key, tags=tags)
    return dg.RunRequest(job_name=BATCHES_JOB.name, run_key=run_key, tags={**tags, **partition_tags(keys)})


@dg.sensor(
    name=SENSOR_NAME,
    jobs=[BATCHES_JOB, PUBLISH_JOB],
    minimum_interval_seconds=60,
    # Running as soon as the daemon is (`make ui`): a tick only acts when the raw folder and the warehouse
    # disagree, so an up-to-date warehouse is never touched, and new folders need no click in the UI.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the raw folder: registers a partition per new batch folder and processes only new or "
                "changed batches, removes the batches whose folder is gone, then rebuilds the tables that span "
                "every batch.",
)
def raw_batches_sensor(context: dg.SensorEvaluationContext, ledger: LedgerPaths):
    busy = run_in_flight(context.instance)
    if busy is not None:
        return dg.SkipReason(f"waiting for run {busy.run_id} ({busy.job_name}) to finish")
    try:
        # Planning reads the warehouse and dropping a gone batch writes it: not while a build does either.
        with lock.hold(ledger.warehouse, SENSOR_NAME, wait=0):
            plan = plan_batches(ledger.raw, ledger.warehouse, reference=ledger.reference)
            changes = sync_partitions(list(context.instance.get_dynamic_partitions(BATCHES.name)), plan,
                                      ledger.warehouse)
    except lock.WarehouseLocked as exc:
        holder = exc.holder.describe() if exc.holder else "another process"
        return dg.SkipReason(f"the warehouse is locked by {holder}: this tick waits for the next")
    except FileNotFoundError as exc:
        return dg.SkipReason(str(exc))

    partition_requests = [*([BATCHES.build_add_request(changes.added)] if changes.added else []),
                          *([BATCHES.build_delete_request(changes.deleted)] if changes.deleted else [])]

    requests = [batches_run_request(keys, plan)
                for keys in contiguous_runs([b.key for b in plan.todo], changes.order)]
    if not requests and needs_publish(ledger.warehouse):
        requests = [dg.RunRequest(job_name=PUBLISH_JOB.name, run_key=f"publish:{warehouse_state(ledger.warehouse)}")]
    if requests:
        context.log.info(f"batches to process: {[b.name for b in plan.todo] or 'none'}; removed: {plan.removed}")
    return dg.SensorResult(
        run_requests=requests, dynamic_partitions_requests=partition_requests,
        skip_reason=None if requests or partition_requests else "the warehouse is up to date with the raw folder")
