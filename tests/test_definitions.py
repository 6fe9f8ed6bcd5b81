"""Smoke tests of the Dagster layer: the definitions load and every asset is described and versioned."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg

from assets.definitions import defs

ROOT = Path(__file__).resolve().parent.parent


def _asset_graph():
    return defs.resolve_asset_graph()


def test_definitions_load_with_the_build_job():
    assert defs.resolve_job_def("build") is not None
    keys = {key.to_user_string() for key in _asset_graph().get_all_asset_keys()}
    assert {"articles", "rejected_inputs", "mention_candidates", "fact_candidates", "organisations",
            "org_mentions", "savings", "deficits", "runs", "nhs_ledger_duckdb"} <= keys


def test_every_materialisable_asset_has_group_description_and_code_version():
    graph = _asset_graph()
    groups = set()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.description, f"{key} has no description"
        assert node.code_version, f"{key} has no code_version"
        groups.add(node.group_name)
    assert groups == {"ingest", "extract", "resolve", "publish"}


def test_lineage_runs_from_raw_files_to_the_duckdb_file():
    graph = _asset_graph()
    upstream = graph.get(dg.AssetKey("nhs_ledger_duckdb")).parent_keys
    assert {dg.AssetKey("savings"), dg.AssetKey("deficits"), dg.AssetKey("organisations")} <= set(upstream)
    assert dg.AssetKey("raw_files") in graph.get(dg.AssetKey("articles")).parent_keys


def test_contract_checks_are_attached_to_the_public_tables():
    checked = {key.asset_key.to_user_string() for key in _asset_graph().asset_check_keys}
    assert {"articles", "organisations", "org_mentions", "savings", "deficits"} <= checked


def test_the_engine_does_not_import_dagster():
    offenders = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "dagster" or n.startswith("dagster.") or n.startswith("assets") for n in names):
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_every_job_and_op_name_is_unique_when_the_ui_loads_the_repository():
    # The webserver resolves every job at once, which the CLI's single-job path does not.
    repository = defs.get_repository_def()
    assert {job.name for job in repository.get_all_jobs()} >= {"build", "process_batches", "publish_all", "cut_release"}


BATCH_ASSETS = {"articles", "rejected_inputs", "warc_records", "mention_candidates", "fact_candidates", "fact_evidence"}


def test_the_batch_layers_are_partitioned_by_batch_and_the_rest_spans_every_batch():
    graph = _asset_graph()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        if key.to_user_string() in BATCH_ASSETS:
            assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition), key
            assert node.partitions_def.name == "batches", key
            # A range of batches runs as one run, in name order (the first copy of a duplicate wins).
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), key
        else:
            assert node.partitions_def is None, key


def _check_keys(job_name: str) -> set:
    return set(defs.resolve_job_def(job_name).asset_layer.asset_graph.asset_check_keys)


def _asset_keys(job_name: str) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}


def test_the_sensor_jobs_split_the_build_job_between_them():
    assert _asset_keys("process_batches") == BATCH_ASSETS
    assert _asset_keys("publish_all") == _asset_keys("build") - BATCH_ASSETS
    assert "release" not in _asset_keys("build") | _asset_keys("publish_all")
    # Every check runs in exactly one of them, after every table it reads.
    assert _check_keys("process_batches") | _check_keys("publish_all") == _check_keys("build")
    assert not _check_keys("process_batches") & _check_keys("publish_all")
    assert _check_keys("build") == set(_asset_graph().asset_check_keys)


def test_the_raw_batches_sensor_launches_the_batch_and_publish_jobs():
    sensor = defs.resolve_sensor_def("raw_batches_sensor")
    assert {target.job_name for target in sensor.targets} == {"process_batches", "publish_all"}
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert 30 <= sensor.minimum_interval_seconds <= 300
    assert sensor.description


def test_a_contract_asset_check_fails_on_a_corrupted_partition(tmp_path):
    # The Dagster checks read the Parquet files partition by partition; a bad row in any partition still fails them.
    from assets.resources import LedgerPaths
    from pipeline.warehouse import store
    from assets.definitions import ASSET_CHECKS, ASSETS
    from tests.test_stored_checks import BATCHES, RUN_ID, _articles, _deficits, _organisations

    store.write_table(tmp_path, "organisations", _organisations())
    for batch in BATCHES:
        store.write_partition(tmp_path, "articles", batch, _articles(batch), RUN_ID)
        store.write_partition(tmp_path, "deficits", batch, _deficits(batch), RUN_ID)
    ledger = LedgerPaths(warehouse_dir=str(tmp_path), raw_dir=str(tmp_path))

    def deficit_checks() -> dict[str, tuple[bool, int]]:
        result = dg.materialize([*ASSETS, *ASSET_CHECKS], selection=dg.AssetSelection.checks_for_assets("deficits"),
                                resources={"ledger": ledger}, raise_on_error=False)
        return {e.check_name: (e.passed, e.metadata["failing_rows"].value)
                for e in result.get_asset_check_evaluations()}

    assert all(passed for passed, _ in deficit_checks().values())
    store.write_partition(tmp_path, "deficits", BATCHES[1], _deficits(BATCHES[1], measure="guess"), RUN_ID)
    failed = {name: rows for name, (passed, rows) in deficit_checks().items() if not passed}
    assert failed == {"deficits_schema": 1}
