"""`nhs-ledger build` in Dagster: the `build` job of the UI's definitions, run in this process over the batches that
need it, recorded in the project's instance so the runs show in the UI.

What belongs here: turning the engine's plan (`pipeline.batches.plan_batches`) into runs of the job, and the
result the CLI reports. The steps themselves are the engine's (`pipeline.build`), wrapped by the assets.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dagster as dg

from assets.definitions import BATCHES, make_definitions
from assets.partitions import sync_partitions
from assets.sensors import BATCH_CHECKS, PARTITIONED_ASSETS, partition_tags
from pipeline import batches
from pipeline.build import in_passes, warm_workers
from pipeline.register.stage import reference_folder
from pipeline.warehouse.atomic import WarehouseWriteError


class MaterialiseResult(tuple):
    """(success, step failures, checks), as `materialise` always returned, plus what happened to the batches."""

    processed: list[str]  # batches read or extracted again
    batches: list[str]  # every batch of the raw folder
    removed: list[str]  # batches dropped because their folder is gone
    runs: list[str]  # the Dagster runs, in order

    fault: str | None  # a failure of the machine (a full disk), in one line; None: there was none

    def __new__(cls, success: bool, failures: list[str], checks: list[tuple[str, bool]], *,
                processed=(), batches=(), removed=(), runs=(), fault: str | None = None):
        self = super().__new__(cls, (success, failures, checks))
        self.processed, self.batches, self.removed, self.runs = list(processed), list(batches), list(removed), list(runs)
        self.fault = fault
        return self

    @property
    def success(self) -> bool:
        return self[0]


def materialise(raw: Path, warehouse: Path, *, full: bool = False,
                reference: Path | None = None) -> MaterialiseResult:
    """Run the `build` job of the UI's definitions in this process, over the batches that need it.

    The raw folder's batches are the `batches` dynamic partitions of the instance: new folders are added,
    gone ones deleted (and their rows dropped). The batches to process (new or changed, or all with `full`;
    `pipeline.batches.plan_batches`) are materialised as one range of partitions, together with every asset
    downstream of them and all the checks: one Dagster run, unless the batches to process are not neighbours
    among the partitions (then one run per range, the last with the downstream assets). With nothing to
    process, the run materialises only the tables that span every batch. A batch whose reading depended on an
    earlier batch that was just reprocessed (an input copied from it) is processed in a further run.

    Returns whether every run succeeded, one line per failed step, and (check name, passed) per asset check
    (the latest evaluation of each). Runs are recorded in the project's Dagster instance when DAGSTER_HOME is
    set (as `make` sets it), so they show in the UI; otherwise in a throwaway instance.
    """
    raw, warehouse = raw.resolve(), warehouse.resolve()
    # The folder the assets will read (LedgerPaths.reference): the plan's run ids are derived with it.
    reference = reference_folder(raw, reference)
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
    instance = dg.DagsterInstance.get() if home else dg.DagsterInstance.ephemeral()

    plan = batches.plan_batches(raw, warehouse, full=full, reference=reference)
    warm_workers(plan)  # they start while Dagster sets up the run
    changes = sync_partitions(instance.get_dynamic_partitions(BATCHES.name), plan, warehouse)
    for key in changes.deleted:
        instance.delete_dynamic_partition(BATCHES.name, key)
    instance.add_dynamic_partitions(BATCHES.name, changes.added)
    removed = plan.removed

    failures: list[str] = []
    faults: list[str] = []
    checks: dict[tuple[str, str], tuple[str, bool]] = {}
    run_ids: list[str] = []

    def run_pass(plan, attempt: int) -> bool:
        """The plan's batches in name order, one run per range of neighbouring partitions, the last with
        everything downstream (with nothing to process: one run of the tables that span every batch)."""
        defs = make_definitions(str(raw), str(warehouse), full_rebuild=full and attempt == 0,
                                reference_dir=str(reference) if reference else None)
        groups = batches.contiguous_runs([b.key for b in plan.todo], instance.get_dynamic_partitions(BATCHES.name))
        for index, keys in enumerate(groups or [None]):
            result = _execute_build(defs, instance, keys, downstream=index == len(groups or [None]) - 1)
            run_ids.append(result.run_id)
            for event in result.all_events:
                if not event.is_step_failure:
                    continue
                chain = _causes(event.step_failure_data.error)
                if any(error.cls_name in _INTERRUPTS for error in chain):
                    raise KeyboardInterrupt  # the caller says what the interrupt left; nothing more runs
                fault = next((error for error in chain if error.cls_name in _MACHINE_FAULTS), None)
                if fault is not None:
                    faults.append(_message(fault))
                failures.append(f"{event.step_key}: {_message(fault or chain[-1])}")
            for evaluation in result.get_asset_check_evaluations():
                checks[(evaluation.asset_key.to_user_string(), evaluation.check_name)] = \
                    (evaluation.check_name, evaluation.passed)
            if not result.success:
                return False
        return True

    plan, processed, success = in_passes(raw, warehouse, plan, run_pass, reference=reference)
    return MaterialiseResult(success, failures, list(checks.values()), processed=sorted(processed),
                             batches=plan.names, removed=removed, runs=run_ids, fault=faults[0] if faults else None)


def _execute_build(defs, instance, keys: list[str] | None, *, downstream: bool):
    """One run of the `build` job: the partitions `keys` (a range; None: none), and everything downstream of them
    when `downstream`, with the checks of what it materialises (all of them when `downstream`)."""
    job = defs.resolve_job_def("build")
    partitioned = {dg.AssetKey(name) for name in PARTITIONED_ASSETS}
    if keys is None:  # nothing to process: only what spans every batch, and every check
        job = job.get_subset(asset_selection=set(job.asset_layer.executable_asset_keys) - partitioned,
                             asset_check_selection=set(job.asset_layer.asset_graph.asset_check_keys))
    elif not downstream:
        job = job.get_subset(asset_selection=partitioned, asset_check_selection=set(BATCH_CHECKS))
    # The command reports each failed step in one line (`failures`); Dagster's own account of it, a stack trace on
    # the terminal, only when asked for (NHS_LEDGER_DEBUG=1). The run's events keep it for the UI either way.
    level = "WARNING" if os.environ.get("NHS_LEDGER_DEBUG") else "CRITICAL"
    quiet = {"loggers": {"console": {"config": {"log_level": level}}}}
    if keys is not None and len(keys) > 1:
        return job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet,
                                      tags=partition_tags(keys))
    return job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet,
                                  partition_key=keys[0] if keys else None)




# How Dagster reports a step stopped by Ctrl-C or SIGTERM, and the engine's errors of the machine.
_INTERRUPTS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}
_MACHINE_FAULTS = {WarehouseWriteError.__name__}


def _causes(error) -> list:
    """A step's error and its causes, outermost first: Dagster wraps the exception the step raised, and that may
    have a cause of its own (the OSError under a WarehouseWriteError)."""
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    return chain


def _message(error) -> str:
    # The first line is the exception's own (`KeyError: 'x'`); what follows may be a listing of data.
    message = (error.message or "").strip().splitlines()
    text = message[0].strip() if message else error.cls_name or "unknown error"
    if error.cls_name in _MACHINE_FAULTS:  # its message says it all; the class, module-qualified, adds nothing
        text = re.sub(rf"^[\w.]*\b{error.cls_name}: ", "", text)
    return text

