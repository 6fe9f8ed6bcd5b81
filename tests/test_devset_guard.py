"""Regression guard: the devset build must keep its extraction quality (skips without ../shared)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.checks import warehouse_checks
from pipeline.cli import main
from pipeline.evaluate import evaluate_warehouse


@pytest.fixture(scope="module")
def devset_report(shared_dir, tmp_path_factory):
    raw = tmp_path_factory.mktemp("devset_raw")
    for source in [*(shared_dir / "seeds").glob("*.txt"), *(shared_dir / "devset" / "articles").glob("*.txt")]:
        shutil.copy(source, raw / source.name)
    warehouse = tmp_path_factory.mktemp("devset") / "warehouse"
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    gold = [shared_dir / "devset" / "seeds.gold.jsonl", shared_dir / "devset" / "devset.gold.jsonl"]
    return warehouse, evaluate_warehouse(warehouse, gold)


def test_overall_f1_does_not_drop_below_the_guard(devset_report):
    _, report = devset_report
    assert report.overall.f1 >= 0.85, report.overall


def test_no_fact_is_extracted_twice(devset_report):
    _, report = devset_report
    assert report.overall.duplicates == 0


def test_contract_holds_on_the_devset_build(devset_report):
    warehouse, _ = devset_report
    assert [r.summary() for r in warehouse_checks(warehouse) if not r.passed] == []
