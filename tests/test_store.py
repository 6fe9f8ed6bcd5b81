"""Parquet storage: partitions by batch, atomic replacement, run ids in the file metadata."""

from __future__ import annotations

import polars as pl

from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import polars_schema


def _rejections(paths: list[str], batch: str) -> pl.DataFrame:
    rows = [{"source_path": p, "reason": "empty", "detail": "the input has no content", "content_sha256": None,
             "run_id": "run_" + "0" * 16, "batch": batch} for p in paths]
    return pl.DataFrame(rows, schema=polars_schema(REGISTRY["rejected_inputs"]))


def test_partitions_round_trip_with_the_batch_restored(tmp_path):
    store.write_partition(tmp_path, "rejected_inputs", "2025/06 odd=name", _rejections(["b", "a"], "x"), "run_a")
    store.write_partition(tmp_path, "rejected_inputs", "2025-07", _rejections(["c"], "x"), "run_b")
    assert store.list_partitions(tmp_path, "rejected_inputs") == ["2025-07", "2025/06 odd=name"]
    table = store.read_table(tmp_path, "rejected_inputs")
    assert table.sort("source_path")["batch"].to_list() == ["2025/06 odd=name", "2025/06 odd=name", "2025-07"]
    assert store.partition_run_id(tmp_path, "rejected_inputs", "2025-07") == "run_b"
    # Rows are stored sorted by key, so a rebuild writes the same bytes.
    first = store.read_partition(tmp_path, "rejected_inputs", "2025/06 odd=name")
    assert first["source_path"].to_list() == ["a", "b"]


def test_rewriting_a_partition_replaces_it_and_leaves_no_temporary_files(tmp_path):
    store.write_partition(tmp_path, "rejected_inputs", "b1", _rejections(["a", "b"], "b1"), "run_1")
    store.write_partition(tmp_path, "rejected_inputs", "b1", _rejections(["c"], "b1"), "run_2")
    assert store.read_table(tmp_path, "rejected_inputs")["source_path"].to_list() == ["c"]
    leftovers = [p.name for p in store.table_dir(tmp_path, "rejected_inputs").rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_identical_frames_give_identical_bytes(tmp_path):
    a = store.write_partition(tmp_path / "a", "rejected_inputs", "b", _rejections(["x", "y"], "b"), "run_1")
    b = store.write_partition(tmp_path / "b", "rejected_inputs", "b", _rejections(["y", "x"], "b"), "run_1")
    assert a.read_bytes() == b.read_bytes()


def test_dropping_a_partition_removes_it(tmp_path):
    store.write_partition(tmp_path, "rejected_inputs", "gone", _rejections(["a"], "gone"), "run_1")
    store.drop_partition(tmp_path, "rejected_inputs", "gone")
    assert store.list_partitions(tmp_path, "rejected_inputs") == []
    assert store.read_table(tmp_path, "rejected_inputs").height == 0
