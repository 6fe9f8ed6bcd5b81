"""The build as plain steps: a raw folder to Parquet tables and the DuckDB file, with no orchestrator.

The stages in the order the Dagster assets run them (`assets/` wraps each step in an asset; `nhs-ledger build`
runs those assets): plan the batches, drop the removed ones, ingest and extract the batches to process, then
the tables that span every batch (the register, the published facts, the runs table, the DuckDB file). The
same raw folder gives the same Parquet bytes either way (`tests/test_layout_equivalence.py`), so the release's
scoring builds its evaluation sets here, without a Dagster instance.

What belongs here: the order of the steps and the passes over batches. What each step does lives in its stage
(`pipeline.ingest`, `pipeline.extract`, `pipeline.register`, `pipeline.publish.stage`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline import batches, parallel
from pipeline.batches import Plan, drop_batch, later_batches_kept
from pipeline.extract.stage import extract_partitions
from pipeline.ingest.stage import ingest_batches
from pipeline.publish.database import build_duckdb
from pipeline.publish.figures import write_figures_table
from pipeline.publish.run_table import write_runs_table
from pipeline.publish.stage import publish_tables
from pipeline.register.stage import reference_folder, resolve_register
from pipeline.warehouse import lock


@dataclass
class BuildReport:
    processed: list[str] = field(default_factory=list)  # batches read or extracted again
    batches: list[str] = field(default_factory=list)  # every batch of the raw folder
    removed: list[str] = field(default_factory=list)  # batches dropped because their folder is gone


def remove_gone_batches(warehouse: Path, plan: Plan) -> list[str]:
    """Drop from the warehouse the batches whose folder left the raw folder; their names."""
    for batch in plan.removed:
        drop_batch(warehouse, batch)
    return list(plan.removed)


def process_batches(raw: Path, warehouse: Path, names: list[str], *, full: bool = False,
                    reference: Path | None = None, dagster_run_id: str | None = None) -> list[str]:
    """Ingest then extract the batches `names` (in name order) that need it; the batches processed."""
    ingested = ingest_batches(raw, warehouse, names, full=full, dagster_run_id=dagster_run_id, reference=reference)
    extracted = extract_partitions(warehouse, names, full=full, reference=reference)
    return sorted({*ingested.processed, *extracted.processed})


def publish_spanning_tables(warehouse: Path, reference: Path | None = None) -> Path:
    """The tables built from every batch: the register, the published facts, the figures they reconcile to, the
    runs table, the DuckDB file."""
    resolve_register(warehouse, reference)
    publish_tables(warehouse)
    write_figures_table(warehouse)
    write_runs_table(warehouse)
    return build_duckdb(warehouse)


def in_passes(raw: Path, warehouse: Path, plan: Plan, run_pass: Callable[[Plan, int], bool], *,
              reference: Path | None = None) -> tuple[Plan, list[str], bool]:
    """Process what `plan` says with `run_pass(plan, attempt)` (False: it failed), again while a batch it left alone
    may have read a copy of an input that has since changed; (the last plan, the batches processed, success).

    Bounded: an earlier batch never depends on a later one, so each pass settles at least one more batch.
    """
    processed: list[str] = []
    for attempt in range(len(plan.batches) + 1):
        success = run_pass(plan, attempt)
        processed += [b.name for b in plan.todo if b.name not in processed]
        if not success or not later_batches_kept(plan):
            return plan, sorted(processed), success
        plan = batches.plan_batches(raw, warehouse, reference=reference)
        if not plan.todo:
            return plan, sorted(processed), success
    raise RuntimeError(f"batches still to process after {len(plan.batches) + 1} passes: "
                       f"{', '.join(b.name for b in plan.todo)}")


# What the worker processes of a build run: reading inputs (pages through `html`), then extracting articles.
WORKER_MODULES = ("pipeline.ingest.stage", "pipeline.ingest.html", "pipeline.extract.stage")


def warm_workers(plan: Plan) -> None:
    """When the plan's batches are enough to go to the worker processes, start them now, so they are ready by
    the time the first batch is read (a build of one new batch otherwise waits for their start)."""
    if parallel.use_workers(sum(len(b.files) for b in plan.todo)):
        parallel.warm_up(WORKER_MODULES)


def build(raw: Path, warehouse: Path, *, full: bool = False, reference: Path | None = None) -> BuildReport:
    """Build `raw` into `warehouse`: the batches that are new or changed (all with `full`), then what spans them,
    in the passes `nhs-ledger build` makes (`in_passes`)."""
    raw, warehouse = Path(raw).resolve(), Path(warehouse).resolve()
    reference = reference_folder(raw, reference)
    with lock.hold(warehouse, wait=0):  # one writer at a time, as for `nhs-ledger build` (raises WarehouseLocked)
        plan = batches.plan_batches(raw, warehouse, full=full, reference=reference)
        warm_workers(plan)
        report = BuildReport(batches=plan.names, removed=remove_gone_batches(warehouse, plan))

        def run_pass(plan: Plan, attempt: int) -> bool:
            todo = sorted(b.name for b in plan.todo)
            if todo:
                process_batches(raw, warehouse, todo, full=full and attempt == 0, reference=reference)
            return True

        _, report.processed, _ = in_passes(raw, warehouse, plan, run_pass, reference=reference)
        publish_spanning_tables(warehouse, reference)
    return report
