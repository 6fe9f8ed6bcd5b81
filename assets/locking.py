"""Dagster runs hold the warehouse lock: the executor of every job takes it for the whole run.

A run launched from the UI or by the sensor writes the warehouse as `nhs-ledger build` does, so it holds the
same lock (`pipeline.warehouse.lock`) from its first step to its last. The executor is where a run starts
and ends in one process (the run worker); the steps it starts in processes of their own inherit the lock,
and the steps a Celery or Kubernetes executor sends to its workers write under the lock the run holds.
A run that finds the lock taken waits for it, saying in its log who holds it: a run cannot exit 75, and
waiting is what a user who clicked "Materialize" wants. (`nhs-ledger build` runs the job in-process, under
the lock the command already holds; the lock is reentrant within a process.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import dagster as dg
from dagster import Executor

from pipeline.warehouse import lock

__all__ = ["locked", "warehouse_of_run"]


def warehouse_of_run(run_config: dict, default: str) -> str:
    """The warehouse folder a run writes: its `ledger` resource's, as configured for the run or by default."""
    resources = (run_config or {}).get("resources") or {}
    config = (resources.get("ledger") or {}).get("config") or {}
    return config.get("warehouse_dir") or default


class _LockedExecutor(Executor):
    def __init__(self, inner: Executor, warehouse_dir: str):
        self._inner, self._warehouse_dir = inner, warehouse_dir

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        warehouse = Path(warehouse_of_run(plan_context.run_config, self._warehouse_dir)).resolve()
        command = f"Dagster run {plan_context.run_id} ({plan_context.job_name})"
        with lock.hold(warehouse, command, wait=None, progress=plan_context.log.info):
            yield from self._inner.execute(plan_context, execution_plan)

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def get_step_event_or_retry_event(self, *args, **kwargs):
        return self._inner.get_step_event_or_retry_event(*args, **kwargs)

    def __getattr__(self, name):
        # An executor's own loop reads its settings from `plan_context.executor`, which is this wrapper (the
        # Celery executor's `app_args()`): whatever the wrapper lacks is the inner executor's.
        inner = self.__dict__.get("_inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)


def locked(inner: dg.ExecutorDefinition, warehouse_dir: str) -> dg.ExecutorDefinition:
    """`inner`, with the warehouse `warehouse_dir` (unless a run configures another) locked for each run."""
    def create(init_context) -> Executor:
        return _LockedExecutor(inner.executor_creation_fn(init_context), warehouse_dir)

    return dg.ExecutorDefinition(name=inner.name, config_schema=inner.config_schema,
                                 requirements=inner.get_requirements, executor_creation_fn=create,
                                 description=inner.description)
