"""Incremental loads (issue 6, point 4): only new or changed batches are processed, by the CLI and by the sensor,
and the result always equals a full rebuild of the same raw folder.

Builds go through `nhs-ledger build` (the Dagster definitions, in-process) on copies of the sample's two batches,
with a throwaway Dagster instance in `tmp_path` so the partitions and materialisations can be inspected.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.sensors import PARTITIONED_ASSETS, SENSOR_NAME
from pipeline.warehouse import store
from cli.main import main
from assets.definitions import BATCHES, make_definitions
from schemas import REGISTRY

SAMPLE = Path(__file__).resolve().parent.parent / "raw"
RUN_TIMES = ("started_at", "finished_at", "dagster_run_id")
BATCH_TABLES = ("articles", "rejected_inputs", "warc_records", "mention_candidates", "fact_candidates", "fact_evidence")


# ---------------------------------------------------------------------------------------------- helpers

@pytest.fixture
def instance(tmp_path, monkeypatch) -> dg.DagsterInstance:
    """A persistent Dagster instance of the test's own (DAGSTER_HOME in tmp_path), as `make` gives the CLI."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def sample_raw(tmp_path: Path, *batches: str) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for batch in batches:
        shutil.copytree(SAMPLE / batch, raw / batch)
    return raw


def build(raw: Path, warehouse: Path, capsys, *extra: str) -> str:
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse), *extra]) == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out, out
    return out


def clean_build(raw: Path, tmp_path: Path, capsys, monkeypatch) -> Path:
    """A full build from scratch of `raw`, in a throwaway instance."""
    warehouse = tmp_path / f"clean-{uuid.uuid4().hex[:8]}"
    with monkeypatch.context() as m:
        m.delenv("DAGSTER_HOME", raising=False)
        build(raw, warehouse, capsys)
    return warehouse


def comparable(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    if table == "runs":
        frame = frame.drop(*RUN_TIMES)
    key = [c for c in REGISTRY[table].primary_key if c in frame.columns] if table in REGISTRY.tables else []
    return frame.sort(key or frame.columns[:1])


def assert_same_warehouse(incremental: Path, rebuilt: Path) -> None:
    """Every table, read back with `store.read_table` and from the DuckDB file, has the same rows in both."""
    for table in REGISTRY.tables:
        ours, theirs = (comparable(store.read_table(w, table), table) for w in (incremental, rebuilt))
        assert ours.equals(theirs), f"{table} differs from a full rebuild"
    with duckdb.connect(str(incremental / "nhs_ledger.duckdb"), read_only=True) as a, \
            duckdb.connect(str(rebuilt / "nhs_ledger.duckdb"), read_only=True) as b:
        tables = sorted(r[0] for r in a.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        assert tables == sorted(r[0] for r in b.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        assert {"articles", "savings", "deficits", "organisations", "runs"} <= set(tables)
        for table in tables:
            query = f'SELECT * FROM "{table}"'
            ours, theirs = (comparable(con.sql(query).pl(), table) for con in (a, b))
            assert ours.equals(theirs), f"DuckDB table {table} differs from a full rebuild"


def batch_files(warehouse: Path, batch: str, tables=BATCH_TABLES) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file of a batch's partitions (and of its recorded state)."""
    files = {}
    for table in tables:
        for path in store.partition_dir(warehouse, table, batch).rglob("*"):
            files[str(path.relative_to(warehouse))] = (path.read_bytes(), path.stat().st_mtime_ns)
    for path in (warehouse / "staging" / "batch_state").glob(f"{batch}.json"):
        files[str(path.relative_to(warehouse))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def materialised_partitions(instance: dg.DagsterInstance, run_id: str) -> dict[str, set[str]]:
    """Asset -> the partitions the run materialised."""
    found: dict[str, set[str]] = {}
    for asset in PARTITIONED_ASSETS:
        records = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
        found[asset] = {r.asset_materialization.partition for r in records if r.run_id == run_id}
    return found


def latest_runs(instance: dg.DagsterInstance, count: int) -> list[dg.DagsterRun]:
    return list(reversed(instance.get_runs(limit=count)))


# ---------------------------------------------------------------------------------------------- the CLI

def test_adding_a_batch_processes_only_that_batch_and_equals_a_full_rebuild(tmp_path, instance, capsys,
                                                                            monkeypatch):
    raw, warehouse = sample_raw(tmp_path, "2025-06"), tmp_path / "warehouse"
    out = build(raw, warehouse, capsys)
    assert "batches processed: 1 of 1 (2025-06)" in out
    assert instance.get_dynamic_partitions(BATCHES.name) == ["2025-06"]
    before = batch_files(warehouse, "2025-06")
    published_before = batch_files(warehouse, "2025-06", ("org_mentions", "savings", "deficits"))
    assert before and published_before
    runs_before = {r.run_id for r in instance.get_runs()}
    assert len(runs_before) == 1

    shutil.copytree(SAMPLE / "2025-07", raw / "2025-07")
    out = build(raw, warehouse, capsys)
    assert "batches processed: 1 of 2 (2025-07)" in out

    # The 2025-06 partitions are the very same files; the published ones are rewritten to the same bytes.
    assert batch_files(warehouse, "2025-06") == before
    assert {k: v[0] for k, v in batch_files(warehouse, "2025-06", ("org_mentions", "savings", "deficits")).items()} \
        == {k: v[0] for k, v in published_before.items()}
    # Dagster: the second build is one run of `build`, and it materialised the partitions of 2025-07 only.
    assert instance.get_dynamic_partitions(BATCHES.name) == ["2025-06", "2025-07"]
    new_runs = [r for r in instance.get_runs() if r.run_id not in runs_before]
    assert [r.job_name for r in new_runs] == ["build"]
    assert materialised_partitions(instance, new_runs[0].run_id) == {a: {"2025-07"} for a in PARTITIONED_ASSETS}
    assert materialised_partitions(instance, next(iter(runs_before))) == {a: {"2025-06"} for a in PARTITIONED_ASSETS}

    assert_same_warehouse(warehouse, clean_build(raw, tmp_path, capsys, monkeypatch))


def test_changed_and_deleted_inputs_update_and_remove_their_rows_and_full_rebuilds(tmp_path, capsys, monkeypatch):
    raw, warehouse = sample_raw(tmp_path, "2025-06", "2025-07"), tmp_path / "warehouse"
    build(raw, warehouse, capsys)
    untouched = batch_files(warehouse, "2025-06")

    # A changed file: its batch alone is read again, and its rows follow the file. A new batch holding a copy
    # of a 2025-06 article: the copy is a duplicate, not a second article.
    article = raw / "2025-07" / "bradford-ccgs-joint-qipp.txt"
    text = article.read_text(encoding="utf-8")
    assert "Bradford" in text
    article.write_text(text.replace("Bradford", "Bradfordshire"), encoding="utf-8")
    (raw / "2025-08").mkdir()
    shutil.copyfile(raw / "2025-06" / "stockport-ccg-savings-plan.txt", raw / "2025-08" / "stockport-again.txt")
    out = build(raw, warehouse, capsys)
    assert "batches processed: 2 of 3 (2025-07, 2025-08)" in out
    assert batch_files(warehouse, "2025-06") == untouched
    articles = store.read_table(warehouse, "articles")
    body = articles.filter(pl.col("source_path") == "2025-07/bradford-ccgs-joint-qipp.txt")["body_text"][0]
    assert "Bradfordshire" in body
    rejected = store.read_table(warehouse, "rejected_inputs")
    assert rejected.filter(pl.col("source_path") == "2025-08/stockport-again.txt")["reason"].to_list() == ["duplicate"]

    # A deleted batch: its partitions leave every table. The copy in 2025-08 is now the first copy, so 2025-08 is
    # read again and the article stays, as a full rebuild has it.
    shutil.rmtree(raw / "2025-06")
    out = build(raw, warehouse, capsys)
    assert "batches processed: 1 of 2 (2025-08); removed: 2025-06" in out
    for table in REGISTRY.tables.values():
        if table.partition_by:
            assert "2025-06" not in store.list_partitions(warehouse, table.name), table.name
    assert "2025-08/stockport-again.txt" in store.read_table(warehouse, "articles")["source_path"].to_list()
    assert_same_warehouse(warehouse, clean_build(raw, tmp_path, capsys, monkeypatch))

    # --full reads every batch again, to the same bytes.
    before = {batch: batch_files(warehouse, batch) for batch in ("2025-07", "2025-08")}
    out = build(raw, warehouse, capsys, "--full")
    assert "batches processed: 2 of 2 (2025-07, 2025-08)" in out
    for batch, files in before.items():
        after = batch_files(warehouse, batch)
        assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in files.items()}, batch
        rewritten = [k for k in files if k.endswith(".parquet") and after[k][1] != files[k][1]]
        assert len(rewritten) == len(BATCH_TABLES), (batch, rewritten)


# ---------------------------------------------------------------------------------------------- the sensor

class Daemon:
    """What the Dagster daemon does with the sensor, in-process: evaluate it, apply its partition requests, and
    launch the runs it requests (tagged with the sensor's name, as the daemon tags them)."""

    def __init__(self, instance: dg.DagsterInstance, raw: Path, warehouse: Path):
        self.instance = instance
        self.defs = make_definitions(str(raw), str(warehouse))
        self.sensor = self.defs.resolve_sensor_def(SENSOR_NAME)

    def evaluate(self):
        context = dg.build_sensor_context(instance=self.instance, definitions=self.defs,
                                          resources={"ledger": self.defs.resources["ledger"]})
        result = self.sensor(context)
        if isinstance(result, dg.SkipReason):
            return [], [], []
        added = [k for r in result.dynamic_partitions_requests if isinstance(r, dg.AddDynamicPartitionsRequest)
                 for k in r.partition_keys]
        deleted = [k for r in result.dynamic_partitions_requests
                   if isinstance(r, dg.DeleteDynamicPartitionsRequest) for k in r.partition_keys]
        return result.run_requests, added, deleted

    def tick(self) -> list[tuple[str, str | None]]:
        """One tick: (job, partition) of each run it launched."""
        requests, added, deleted = self.evaluate()
        self.instance.add_dynamic_partitions(BATCHES.name, added)
        for key in deleted:
            self.instance.delete_dynamic_partition(BATCHES.name, key)
        for request in requests:
            result = self.defs.resolve_job_def(request.job_name).execute_in_process(
                instance=self.instance, partition_key=request.partition_key, raise_on_error=False,
                tags={**request.tags, "dagster/sensor_name": SENSOR_NAME, "dagster/run_key": request.run_key})
            assert result.success, request
        return [(r.job_name, r.partition_key) for r in requests]


def test_the_sensor_registers_new_batches_and_requests_runs_for_them_only(tmp_path, instance, capsys,
                                                                          monkeypatch):
    raw, warehouse = sample_raw(tmp_path, "2025-06", "2025-07"), tmp_path / "warehouse"
    daemon = Daemon(instance, raw, warehouse)

    # A first look: each batch becomes a partition, and one run is requested over the range of both (the same
    # on a second look before it ran: the run key makes the daemon launch it once).
    first, added, _ = daemon.evaluate()
    again, _, _ = daemon.evaluate()
    assert added == ["2025-06", "2025-07"]
    assert [(r.job_name, r.partition_key) for r in first] == [("process_batches", None)]
    assert (first[0].tags["dagster/asset_partition_range_start"], first[0].tags["dagster/asset_partition_range_end"]) \
        == ("2025-06", "2025-07")
    assert [r.run_key for r in again] == [r.run_key for r in first]

    assert daemon.tick() == [("process_batches", None)]
    assert instance.get_dynamic_partitions(BATCHES.name) == ["2025-06", "2025-07"]
    run = instance.get_runs(limit=1)[0]
    assert materialised_partitions(instance, run.run_id) == {a: {"2025-06", "2025-07"} for a in PARTITIONED_ASSETS}
    assert daemon.tick() == [("publish_all", None)]  # the tables spanning every batch, once the partitions are done
    assert daemon.tick() == []  # nothing new: nothing requested

    # While a run the sensor launched is in flight, it waits.
    busy = dg.DagsterRun(job_name="process_batches", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
                         tags={"dagster/sensor_name": SENSOR_NAME})
    instance.add_run(busy)
    (raw / "2025-08").mkdir()
    shutil.copyfile(SAMPLE / "2025-07" / "bradford-ccgs-joint-qipp.txt", raw / "2025-08" / "bradford.txt")
    (raw / "2025-08" / "leeds.txt").write_text(
        "Leeds CCG deficit\n\nNHS Leeds CCG is forecasting a deficit of £4.2m for 2016/17, the CCG said.\n",
        encoding="utf-8")
    assert daemon.evaluate() == ([], [], [])
    instance.delete_run(busy.run_id)
    build_run = dg.DagsterRun(job_name="build", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
    instance.add_run(build_run)  # so does a `nhs-ledger build` recorded in the same instance
    assert daemon.evaluate() == ([], [], [])
    instance.delete_run(build_run.run_id)

    # A new batch: only it.
    before = {batch: batch_files(warehouse, batch) for batch in ("2025-06", "2025-07")}
    requests, added, deleted = daemon.evaluate()
    assert (added, deleted) == (["2025-08"], [])
    assert [(r.job_name, r.partition_key) for r in requests] == [("process_batches", "2025-08")]
    assert daemon.tick() == [("process_batches", "2025-08")]
    run = instance.get_runs(limit=1)[0]
    assert materialised_partitions(instance, run.run_id) == {a: {"2025-08"} for a in PARTITIONED_ASSETS}
    assert {batch: batch_files(warehouse, batch) for batch in before} == before
    assert daemon.tick() == [("publish_all", None)]
    assert daemon.tick() == []

    # A deleted batch: its partition goes, its rows go, and the tables spanning every batch are rebuilt.
    shutil.rmtree(raw / "2025-06")
    requests, added, deleted = daemon.evaluate()
    assert (added, deleted) == ([], ["2025-06"])
    assert [(r.job_name, r.partition_key) for r in requests] == [("publish_all", None)]
    assert all("2025-06" not in store.list_partitions(warehouse, t) for t in BATCH_TABLES)
    assert daemon.tick() == [("publish_all", None)]
    assert instance.get_dynamic_partitions(BATCHES.name) == ["2025-07", "2025-08"]
    assert daemon.tick() == []
    assert_same_warehouse(warehouse, clean_build(raw, tmp_path, capsys, monkeypatch))


def test_any_folder_name_is_a_partition_key_and_back():
    from pipeline.batches import batch_of_key, partition_key

    for batch in ("2025-06", "_root", "odd...name", "~tilde", "tab\there", "née 2025", "a.b"):
        key = partition_key(batch)
        assert batch_of_key(key) == batch
        assert "..." not in key and not any(ord(c) < 32 for c in key)
    assert partition_key("2025-06") == "2025-06"  # a plain name is its own key


def test_a_batch_left_alone_whose_copy_stops_being_one_is_read_again_in_a_further_pass(tmp_path, capsys,
                                                                                     monkeypatch):
    """2025-08 holds a copy of a 2025-07 article, so it was read as a duplicate. When the original is edited,
    only 2025-07 is planned; once it is processed the copy in 2025-08 is the first of its bytes, and the build
    must look again (a further pass) to read it as an article, as a full rebuild would."""
    raw, warehouse = sample_raw(tmp_path, "2025-06", "2025-07"), tmp_path / "warehouse"
    (raw / "2025-08").mkdir()
    shutil.copyfile(raw / "2025-07" / "bradford-ccgs-joint-qipp.txt", raw / "2025-08" / "bradford-again.txt")
    build(raw, warehouse, capsys)
    rejected = store.read_table(warehouse, "rejected_inputs")
    assert rejected.filter(pl.col("source_path") == "2025-08/bradford-again.txt")["reason"].to_list() == ["duplicate"]

    article = raw / "2025-07" / "bradford-ccgs-joint-qipp.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("Bradford", "Bradfordshire"), encoding="utf-8")
    out = build(raw, warehouse, capsys)
    assert "batches processed: 2 of 3 (2025-07, 2025-08)" in out
    assert "2025-08/bradford-again.txt" in store.read_table(warehouse, "articles")["source_path"].to_list()
    assert_same_warehouse(warehouse, clean_build(raw, tmp_path, capsys, monkeypatch))


def test_a_new_batch_at_the_end_is_planned_once(tmp_path, capsys, monkeypatch):
    """An archive growing by a folder at its end: nothing left alone sorts after it, so no further plan."""
    from pipeline import batches

    raw, warehouse = sample_raw(tmp_path, "2025-06"), tmp_path / "warehouse"
    build(raw, warehouse, capsys)
    sample_raw(tmp_path, "2025-07")
    plans = []
    real = batches.plan_batches
    monkeypatch.setattr(batches, "plan_batches", lambda *a, **k: plans.append(1) or real(*a, **k))
    assert "batches processed: 1 of 2 (2025-07)" in build(raw, warehouse, capsys)
    assert len(plans) == 1
