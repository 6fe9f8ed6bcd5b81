"""The `build` job on Celery workers (dagster-celery, deploy/celery.yaml): the same bytes as a build in one process.

A real deployment in miniature, on 127.0.0.1: a Redis broker, two Celery workers started as a user starts them
(`dagster-celery worker start -y <the run config>`), each with one slot, and the run launched as a user launches it
(`dagster job execute ... -c <the run config>`) in a process of its own, which holds the warehouse lock while the
workers, which are not its children, write the warehouse. They share a Dagster instance (SQLite storage in a
folder of the test's) through DAGSTER_HOME, and each rebuilds the definitions from NHS_LEDGER_* variables.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from assets.definitions import BATCHES, EXECUTOR_ENV
from assets.materialise import materialise
from assets.sensors import partition_tags
from pipeline.batches import list_batches, partition_key
from pipeline.ingest.warc_domains import DOMAINS_ENV
from pipeline.versions import FINGERPRINT_ENV, code_fingerprint
from pipeline.warehouse import lock
from tests.support.warcs import domains_file, write_warc_batches
from tests.support.warehouse_tables import assert_same_warehouse

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's: `dagster-celery worker start` runs the `celery` found on PATH
REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None:
    pytest.skip("redis-server is not on PATH (Debian: apt-get install redis-server; .ci/run installs it)",
                allow_module_level=True)
pytest.importorskip("dagster_celery", reason="dagster-celery is not installed (it is in pyproject.toml)")

WORKERS = ("w1", "w2")
WARC_FILES = 3
READY_SECONDS, RUN_SECONDS, STOP_SECONDS = 60, 150, 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no output)"
    return f"--- {path.name}:\n" + "\n".join(text.splitlines()[-lines:])


def _start(command: list, log: Path, **kwargs) -> subprocess.Popen:
    """`command` in a process group of its own (what it starts goes with it), its output in `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen([str(word) for word in command], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **kwargs)


def _group_gone(process: subprocess.Popen, deadline: float) -> bool:
    while True:
        process.poll()  # reaps the leader; what it started is reaped by init once orphaned
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _stop(*processes: subprocess.Popen) -> None:
    """End `processes` and every process of their groups, together: SIGTERM (Celery's warm shutdown), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        if all([_group_gone(process, deadline) for process in processes]):
            return


@pytest.fixture
def raw(tmp_path: Path, monkeypatch) -> Path:
    """The sample's batch folders and three web archive files, each of those a partition of its own."""
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw, ignore=shutil.ignore_patterns("*.md"))
    write_warc_batches(raw, files=WARC_FILES)
    # The allow-list of the archives' hosts, in the environment that this process and the deployment's share.
    monkeypatch.setenv(DOMAINS_ENV, str(domains_file(tmp_path)))
    return raw


@pytest.fixture
def redis_url(tmp_path: Path):
    import redis

    folder = tmp_path / "redis"
    folder.mkdir()
    for _ in range(3):  # the free port may be taken before redis binds it: another one
        port = _free_port()
        server = _start([REDIS_SERVER, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", folder], folder / "redis.log")
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        try:
            deadline = time.monotonic() + 10
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping():
                        break
                except redis.RedisError:
                    time.sleep(0.05)
            else:
                continue
            yield f"redis://127.0.0.1:{port}"
            return
        finally:
            client.close()
            _stop(server)
    pytest.fail("redis-server did not start\n" + _tail(folder / "redis.log"))


class Deployment:
    """The run config, the shared instance and the workers' environment of one Celery deployment."""

    def __init__(self, folder: Path, raw: Path, redis_url: str):
        self.folder, self.raw, self.warehouse = folder, raw, folder / "warehouse"
        self.home = folder / "dagster_home"
        self.home.mkdir(parents=True)
        (self.home / "dagster.yaml").write_text(yaml.safe_dump({
            "storage": {"sqlite": {"base_dir": str(self.home / "storage")}},
            "telemetry": {"enabled": False}}))
        with self.instance():  # its databases made once: processes that start together would race to make them
            pass
        # deploy/celery.yaml as it stands, its broker and backend (and their database numbers) on the test's Redis.
        config = yaml.safe_load((ROOT / "deploy" / "celery.yaml").read_text())
        executor = config["execution"]["config"]
        for key in ("broker", "backend"):
            executor[key] = urlsplit(executor[key])._replace(netloc=urlsplit(redis_url).netloc).geturl()
        self.config = folder / "celery.yaml"
        self.config.write_text(yaml.safe_dump(config))
        self.broker = executor["broker"]
        self.env = {k: v for k, v in os.environ.items()
                    if k not in (lock.HELD_ENV, "NHS_LEDGER_REFERENCE") and not k.startswith("PYTEST")}
        self.env.update({
            "NHS_LEDGER_RAW": str(raw), "NHS_LEDGER_WAREHOUSE": str(self.warehouse), EXECUTOR_ENV: "celery",
            "DAGSTER_HOME": str(self.home), "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            # Every process fingerprints the engine as this one did, whatever is edited in the tree meanwhile.
            FINGERPRINT_ENV: code_fingerprint()})
        self.workers: dict[str, subprocess.Popen] = {}

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def logs(self) -> str:
        return "\n".join(_tail(self.log(name)) for name in (*self.workers, "run"))

    def start_workers(self) -> None:
        for name in WORKERS:
            self.workers[name] = _start(
                [BIN / "dagster-celery", "worker", "start", "-A", "dagster_celery.app", "-y", self.config, "-n", name,
                 "--", "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                self.log(name), cwd=self.folder, env=self.env)

    def wait_for_workers(self) -> None:
        """Until every worker answers a ping through the broker."""
        from celery import Celery

        probe = Celery("nhs-ledger-probe", broker=self.broker)
        deadline = time.monotonic() + READY_SECONDS
        try:
            while True:
                answered = {node.split("@")[0] for reply in probe.control.ping(timeout=0.5) for node in reply}
                if answered >= set(WORKERS):
                    return
                ended = [name for name, process in self.workers.items() if process.poll() is not None]
                assert not ended and time.monotonic() < deadline, f"workers not ready: {ended}\n{self.logs()}"
        finally:
            probe.close()

    def stop_workers(self) -> None:
        _stop(*self.workers.values())


@pytest.fixture
def deployment(tmp_path: Path, raw: Path, redis_url: str):
    deployment = Deployment(tmp_path / "celery", raw, redis_url)
    try:
        deployment.start_workers()  # not waited for: they start while the test builds in-process
        yield deployment
    finally:
        deployment.stop_workers()


def test_build_job_runs_on_celery_workers(raw: Path, deployment: Deployment, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(FINGERPRINT_ENV, deployment.env[FINGERPRINT_ENV])
    in_process = tmp_path / "in-process"
    assert materialise(raw, in_process).success

    keys = [partition_key(batch) for batch in sorted(list_batches(raw))]
    assert len([key for key in keys if key.endswith(".warc.gz")]) == WARC_FILES and len(keys) > WARC_FILES
    with deployment.instance() as instance:
        instance.add_dynamic_partitions(BATCHES.name, keys)
    deployment.wait_for_workers()
    # The run as deploy/celery.yaml says to launch it; its process orchestrates the steps and holds the lock.
    run = _start([BIN / "dagster", "job", "execute", "-m", "assets.definitions", "-j", "build",
                  "-c", deployment.config, "--tags", json.dumps(partition_tags(keys))],
                 deployment.log("run"), cwd=deployment.folder, env=deployment.env)
    holders = set()  # who held the warehouse lock, looked at while the run went on
    try:
        deadline = time.monotonic() + RUN_SECONDS
        while run.poll() is None:
            assert time.monotonic() < deadline, f"the run took over {RUN_SECONDS}s\n{deployment.logs()}"
            holders.add(getattr(lock.holder_of(deployment.warehouse), "pid", None))
            time.sleep(0.2)
    finally:
        _stop(run)
    assert run.returncode == 0, deployment.logs()

    with deployment.instance() as instance:
        [record] = instance.get_runs()
        events = [entry.dagster_event for entry in instance.all_logs(record.run_id) if entry.dagster_event]
    assert record.status == dg.DagsterRunStatus.SUCCESS, deployment.logs()
    step_pids = {event.pid for event in events if event.is_step_start}
    # "Executing steps <key> in celery worker", with the worker's name, per step a worker took.
    on_workers = {event.step_key: metadata["Celery worker"].text for event in events
                  if event.event_type == dg.DagsterEventType.ENGINE_EVENT
                  and "Celery worker" in (metadata := getattr(event.event_specific_data, "metadata", None) or {})}
    checks = [event.event_specific_data for event in events
              if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]

    # Every step ran on a worker, both took some, and none ran in this process or the run's.
    assert set(on_workers) == {event.step_key for event in events if event.is_step_start} != set()
    assert {name.split("@")[0] for name in on_workers.values()} == set(WORKERS)
    assert len(step_pids) >= 2 and not step_pids & {os.getpid(), run.pid}
    assert checks and all(check.passed for check in checks)
    # The web archives' pages became articles, in partitions of their own.
    assert len(list((deployment.warehouse / "parquet" / "articles").glob("batch=*.warc.gz"))) == WARC_FILES
    # The run's process held the lock throughout, while the workers (not its children) wrote; then let it go.
    assert holders - {None} == {run.pid} and lock.holder_of(deployment.warehouse) is None
    assert_same_warehouse(in_process, deployment.warehouse)
