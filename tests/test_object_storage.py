"""The warehouse's Parquet, copied to an fsspec filesystem, reads back through its URLs (README: Beyond one machine).

fsspec's in-memory filesystem stands in for a bucket: the same calls work with `s3://` (s3fs) or `gs://`
(gcsfs). DuckDB reads the partitions through a registered fsspec filesystem, pyarrow as a Hive-partitioned
dataset; both must see every row the local files hold, with the batch column restored from the folder names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse import store
from assets.materialise import materialise

fsspec = pytest.importorskip("fsspec")
ds = pytest.importorskip("pyarrow.dataset")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("object-storage")
    raw = base / "raw"
    shutil.copytree(ROOT / "raw", raw, ignore=shutil.ignore_patterns("*.md"))
    assert materialise(raw, base / "warehouse").success
    return base / "warehouse"


@pytest.fixture
def bucket(warehouse: Path):
    memory = fsspec.filesystem("memory")
    memory.put(str(warehouse / "parquet"), "/bucket/nhs-ledger/parquet", recursive=True)
    yield memory
    memory.rm("/bucket", recursive=True)


@pytest.mark.parametrize("table", ["savings", "deficits", "org_mentions"])
def test_duckdb_reads_the_partitions_through_an_fsspec_url(warehouse: Path, bucket, table: str):
    local = store.read_table(warehouse, table)
    assert local.height > 0
    connection = duckdb.connect()
    connection.register_filesystem(bucket)
    rows, batches = connection.execute(
        f"SELECT count(*), count(DISTINCT batch) FROM read_parquet('memory://bucket/nhs-ledger/parquet/{table}/*/*.parquet', "
        "hive_partitioning = true)").fetchone()
    assert rows == local.height
    assert batches == local["batch"].n_unique()


def test_pyarrow_reads_the_hive_layout_from_the_bucket(warehouse: Path, bucket):
    local = store.read_table(warehouse, "savings")
    dataset = ds.dataset("/bucket/nhs-ledger/parquet/savings", filesystem=bucket, format="parquet",
                         partitioning="hive")
    remote = dataset.to_table()
    assert remote.num_rows == local.height
    assert sorted(set(remote.column("batch").to_pylist())) == sorted(local["batch"].unique().to_list())
