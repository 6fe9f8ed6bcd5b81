"""The run log: when each batch's run started and finished, and what it wrote.

A run is one batch processed by one code version (see `versions.py`). The ingest
stage opens a run's log entry when it processes a batch; the runs stage closes it
once the batch's published tables are written, and the `runs` table is rebuilt
from the entries of the runs that produced the current partitions.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipeline.ingest.inventory import sha256_hex
from pipeline.versions import code_fingerprint
from pipeline.warehouse import atomic
from pipeline.warehouse.layout import Warehouse


def run_id_for(batch: str, inputs: list[tuple[str, str]]) -> str:
    """Content-addressed: the code fingerprint, the batch name and each input's path and hash."""
    material = "\x1e".join([code_fingerprint(), batch, *(f"{path}\x1f{digest}" for path, digest in sorted(inputs))])
    return "run_" + sha256_hex(material.encode("utf-8"))[:16]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _log_path(warehouse: Path, run_id: str) -> Path:
    return Warehouse.at(warehouse).run_log(run_id)


def open_run(warehouse: Path, run_id: str, batch: str, inputs_seen: int, dagster_run_id: str | None) -> None:
    _write_json(_log_path(warehouse, run_id), {
        "run_id": run_id, "batch": batch, "inputs_seen": inputs_seen,
        "dagster_run_id": dagster_run_id, "started_at": utc_now().isoformat(), "finished_at": None,
    })


def read_run(warehouse: Path, run_id: str) -> dict | None:
    path = _log_path(warehouse, run_id)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def close_run(warehouse: Path, run_id: str) -> dict | None:
    entry = read_run(warehouse, run_id)
    if entry is not None and entry.get("finished_at") is None:
        entry["finished_at"] = utc_now().isoformat()
        _write_json(_log_path(warehouse, run_id), entry)
    return entry


def _write_json(path: Path, payload: dict) -> None:
    atomic.write_bytes(path, json.dumps(payload, sort_keys=True).encode("utf-8"))
