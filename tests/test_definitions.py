"""Smoke tests of the Dagster layer: the definitions load and every asset is described and versioned."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg

from pipeline.definitions import defs

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
    allowed = {"definitions.py", "cli.py"}
    offenders = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        if path.name in allowed:
            continue
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
    assert {job.name for job in repository.get_all_jobs()} >= {"build", "cut_release"}
