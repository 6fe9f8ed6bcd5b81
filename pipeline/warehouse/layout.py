"""Where everything lives in a warehouse folder: the one place that knows its layout.

    parquet/<table>/[batch=<batch>/]part-0.parquet     public tables (the contract), Hive-partitioned by batch
    staging/<table>/batch=<batch>/part-0.parquet       the extract layer's candidates (internal)
    staging/<sidecar kind>/<batch>.json                what a batch's later stages were derived from
    staging/batch_state/<batch>.json                   what a batch was processed from, and its input ids
    staging/run_log/<run id>.json                      when each run started and finished
    nhs_ledger.duckdb (+ its load manifest)            the DuckDB file built from the Parquet tables
    .nhs_ledger.build_stamp.json                       what the last complete build read and left
    releases/<version>/                                versioned releases

Every module that reads or writes the warehouse asks a `Warehouse` for the path, so the layout can change here
alone. A batch name is percent-encoded in paths (it is a folder name from the raw folder, and may hold `=`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from schemas import REGISTRY

PART_FILE = "part-0.parquet"
DUCKDB_FILE = "nhs_ledger.duckdb"
BUILD_STAMP_FILE = ".nhs_ledger.build_stamp.json"
RELEASES_DIR = "releases"
_PUBLIC, _STAGING = "parquet", "staging"
_BATCH_STATE, _RUN_LOG = "batch_state", "run_log"


def batch_folder_name(batch: str) -> str:
    return quote(batch, safe="")


def batch_of_folder_name(name: str) -> str:
    return unquote(name)


@dataclass(frozen=True)
class Warehouse:
    """A warehouse folder and the paths of what it holds."""

    root: Path

    @classmethod
    def at(cls, warehouse: Path | str | Warehouse) -> Warehouse:
        return warehouse if isinstance(warehouse, Warehouse) else cls(Path(warehouse))

    # ---- tables
    def table_dir(self, table_name: str) -> Path:
        return self.root / (_PUBLIC if REGISTRY[table_name].public else _STAGING) / table_name

    def partition_dir(self, table_name: str, batch: str) -> Path:
        return self.table_dir(table_name) / f"batch={batch_folder_name(batch)}"

    def part_file(self, table_name: str, batch: str | None = None) -> Path:
        """The Parquet file of a table (an unpartitioned one) or of one batch's partition."""
        folder = self.table_dir(table_name) if batch is None else self.partition_dir(table_name, batch)
        return folder / PART_FILE

    # ---- staging records
    def sidecar_dir(self, kind: str) -> Path:
        return self.root / _STAGING / kind

    def sidecar(self, kind: str, batch: str) -> Path:
        return self.sidecar_dir(kind) / f"{batch_folder_name(batch)}.json"

    def batch_state(self, batch: str) -> Path:
        return self.sidecar(_BATCH_STATE, batch)

    def run_log(self, run_id: str) -> Path:
        return self.root / _STAGING / _RUN_LOG / f"{run_id}.json"

    @property
    def build_stamp(self) -> Path:
        """What the last complete build read and left (`build_stamp`): hidden beside the DuckDB file's manifest, as
        a record about the warehouse rather than a table of it."""
        return self.root / BUILD_STAMP_FILE

    @property
    def built_folders(self) -> tuple[Path, Path]:
        """The folders a build writes its tables and records into (not releases, not the lock)."""
        return self.root / _PUBLIC, self.root / _STAGING

    # ---- the DuckDB file and releases
    @property
    def duckdb_file(self) -> Path:
        return self.root / DUCKDB_FILE

    @property
    def releases_dir(self) -> Path:
        return self.root / RELEASES_DIR
