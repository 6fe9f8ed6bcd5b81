"""The same definitions under Dagster's multiprocess executor (issue 7, point 4), and the engine's own workers.

`nhs-ledger build` runs the `build` job in one process; a deployment with Dagster's multiprocess, Celery or
Kubernetes executor runs each step in a process of its own, rebuilt from `assets.definitions.build_job`
with the paths of the environment. Both must land the same rows, byte for byte, as must a build whose
reading and extraction are spread over worker processes (`pipeline.parallel`) and one with none.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.sensors import partition_tags
from pipeline import parallel
from pipeline.batches import list_batches, partition_key
from assets.materialise import materialise
from assets.definitions import BATCHES, EXECUTOR_ENV, build_job, executor_from_env
from pipeline.ingest.warc_domains import DOMAINS_ENV
from tests.support.warcs import domains_file, write_warc_batches
from tests.support.warehouse_tables import assert_same_warehouse

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample(tmp_path: Path, monkeypatch) -> Path:
    """The sample's batch folders and two web archive files, each of those a partition of its own."""
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw, ignore=shutil.ignore_patterns("*.md"))
    write_warc_batches(raw, files=2)
    # In the environment, where every step's process finds it, as a worker of a deployment would.
    monkeypatch.setenv(DOMAINS_ENV, str(domains_file(tmp_path)))
    return raw


def test_build_job_runs_under_the_multiprocess_executor(sample: Path, tmp_path: Path, monkeypatch):
    in_process = tmp_path / "in-process"
    assert materialise(sample, in_process).success

    warehouse = tmp_path / "multiprocess"
    # Each step's process rebuilds the definitions from the environment, as a Celery or Kubernetes worker would.
    monkeypatch.setenv("NHS_LEDGER_RAW", str(sample))
    monkeypatch.setenv("NHS_LEDGER_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    keys = [partition_key(batch) for batch in sorted(list_batches(sample))]
    assert len([k for k in keys if k.endswith(".warc.gz")]) == 2 and len(keys) >= 4
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        instance.add_dynamic_partitions(BATCHES.name, keys)
        result = dg.execute_job(dg.reconstructable(build_job), instance=instance, tags=partition_tags(keys),
                                run_config=yaml.safe_load((ROOT / "deploy" / "multiprocess.yaml").read_text()))
        assert result.success, [str(e.event_specific_data) for e in result.all_events if e.is_step_failure]
        step_pids = {event.pid for event in result.all_events if event.is_step_start}
        checks = result.get_asset_check_evaluations()

    # Every step ran in a process of its own, none in this one.
    assert len(step_pids) >= 6 and os.getpid() not in step_pids
    assert checks and all(check.passed for check in checks)
    assert_same_warehouse(in_process, warehouse)


def test_worker_processes_change_no_byte(sample: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = tmp_path / "serial"
    assert materialise(sample, serial).success

    # Two workers, and jobs this small sent to them (a batch is then cut into pieces, one per worker).
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    spread = tmp_path / "workers"
    pools: list[int] = []
    get_pool = parallel._get_pool
    monkeypatch.setattr(parallel, "_get_pool", lambda: pools.append(1) or get_pool())
    try:
        assert materialise(sample, spread).success
        assert pools, "the build did not use the worker processes"
        assert parallel._pool is None, "the workers outlived the extraction, the last stage that needs them"
    finally:
        parallel.shutdown()
    assert_same_warehouse(serial, spread)


def test_chunks_cover_every_item_once():
    for count in (0, 1, 2, 5, 1000):
        for pieces in (1, 2, 3, 7):
            ranges = parallel.chunks(count, pieces)
            covered = [i for start, stop in ranges for i in range(start, stop)]
            assert covered == list(range(count))
            assert len(ranges) <= max(1, pieces)
            sizes = [stop - start for start, stop in ranges]
            assert max(sizes) - min(sizes) <= 1


def _square_or_fail(value: int) -> int:
    if value == 13:
        raise ValueError("unlucky")
    return value * value


def test_ordered_map_keeps_order_and_raises_at_the_failing_item(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    try:
        assert list(parallel.ordered_map(_square_or_fail, range(12), parallel=True)) == [i * i for i in range(12)]
        seen = []
        with pytest.raises(ValueError, match="unlucky"):
            for value in parallel.ordered_map(_square_or_fail, range(20), parallel=True):
                seen.append(value)
        assert seen == [i * i for i in range(13)]
    finally:
        parallel.shutdown()
    assert list(parallel.ordered_map(_square_or_fail, range(5), parallel=False)) == [0, 1, 4, 9, 16]


def test_worker_count_setting(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.worker_count() == 3
    monkeypatch.setenv(parallel.WORKERS_ENV, "0")
    assert parallel.worker_count() == 1
    monkeypatch.setenv(parallel.WORKERS_ENV, "many")
    with pytest.raises(ValueError, match="whole number"):
        parallel.worker_count()
    monkeypatch.delenv(parallel.WORKERS_ENV)
    assert parallel.worker_count() >= 1


def test_executor_chosen_by_environment(monkeypatch):
    monkeypatch.delenv(EXECUTOR_ENV, raising=False)
    assert executor_from_env() is None  # Dagster's default: multiprocess in the UI, in-process for the CLI
    monkeypatch.setenv(EXECUTOR_ENV, "multiprocess")
    assert executor_from_env() is dg.multiprocess_executor
    monkeypatch.setenv(EXECUTOR_ENV, "spark")
    with pytest.raises(ValueError, match="one of: multiprocess"):
        executor_from_env()


@pytest.mark.parametrize("name,package", [("celery", "dagster-celery"), ("k8s", "dagster-k8s")])
def test_distributed_executor_without_its_package_says_what_to_install(monkeypatch, name, package):
    monkeypatch.setenv(EXECUTOR_ENV, name)
    # As on a machine without the package (dagster-celery is a dependency, dagster-k8s is not): a None in
    # sys.modules makes its import fail.
    monkeypatch.setitem(sys.modules, package.replace("-", "_"), None)
    with pytest.raises(ValueError, match=f"pip install {package}"):
        executor_from_env()


def test_the_celery_executor_is_installed_with_the_project(monkeypatch):
    monkeypatch.setenv(EXECUTOR_ENV, "celery")
    assert executor_from_env().name == "celery"


def test_deployment_configs_are_for_the_build_job():
    """deploy/*.yaml are run configs of the `build` job's executors; the multiprocess one is validated for real."""
    configs = {path.stem: yaml.safe_load(path.read_text()) for path in (ROOT / "deploy").glob("*.yaml")}
    assert set(configs) >= {"multiprocess", "celery", "k8s"}
    assert all(set(config) == {"execution"} for config in configs.values())
    assert dg.validate_run_config(build_job(), configs["multiprocess"])
    k8s = configs["k8s"]["execution"]["config"]
    assert {"NHS_LEDGER_RAW=/data/raw", "NHS_LEDGER_WAREHOUSE=/data/warehouse"} <= set(k8s["env_vars"])
