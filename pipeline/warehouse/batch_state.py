"""What a batch was processed from, kept in the warehouse so an incremental build reads no partition to plan.

A batch's state (`staging/batch_state/<batch>.json`) records the run that wrote its partitions, the ids of its
articles and inputs, and which of its inputs are copies of an article of an earlier batch (first copy wins,
`ingest.readers.read_batch`): planning compares these with the batches before it instead of reading their
partitions. What belongs here: reading, writing and forgetting that state, and the few partition columns it is
derived from when it is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import polars as pl

from pipeline.warehouse import atomic, store
from pipeline.warehouse.layout import Warehouse

# The tables the ingest stage writes per batch: a batch's state is valid while their partitions carry its run.
INGEST_TABLES = ("articles", "rejected_inputs", "warc_records")


def _part_file(warehouse: Path, table: str, batch: str) -> Path:
    return Warehouse.at(warehouse).part_file(table, batch)


_COLUMNS_CACHE: dict[tuple, pl.DataFrame] = {}


def _columns(warehouse: Path, table: str, batch: str, columns: list[str]) -> pl.DataFrame | None:
    """A few columns of a partition, remembered against the file's stat (a rewrite is a new inode)."""
    path = _part_file(warehouse, table, batch)
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, tuple(columns))
    frame = _COLUMNS_CACHE.get(key)
    if frame is None:
        frame = pl.read_parquet(path, columns=columns)
        if len(_COLUMNS_CACHE) >= 100_000:
            _COLUMNS_CACHE.clear()
        _COLUMNS_CACHE[key] = frame
    return frame


def article_index(warehouse: Path, batch: str) -> dict[str, str]:
    """article_id -> source_path of a batch's stored articles."""
    index = _recorded_index(warehouse, batch)
    if index is not None:
        return index["articles"]
    frame = _columns(warehouse, "articles", batch, ["article_id", "source_path"])
    return {} if frame is None else dict(zip(frame["article_id"], frame["source_path"]))


def known_before(warehouse: Path, batch: str, batches: list[str] | None = None) -> dict[str, str]:
    """The articles of the stored batches that sort before `batch` (article_id -> source_path): an input of
    `batch` with the same bytes is a duplicate of them, whatever order the batches are processed in."""
    names = store.list_partitions(warehouse, "articles") if batches is None else batches
    known: dict[str, str] = {}
    for name in sorted(names):
        if name >= batch:
            break
        known.update(article_index(warehouse, name))
    return known


def input_ids(article_ids, rejected_sha256s) -> set[str]:
    """The article ids a batch's inputs have (CONTRACT: an article id is the first 16 hex digits of the SHA-256
    of its bytes), whether they became articles or were rejected (duplicates among them)."""
    return set(article_ids) | {sha[:16] for sha in rejected_sha256s if sha}


def earlier_copies(known: dict[str, str], ids: set[str]) -> dict[str, str]:
    """The part of `known` a batch's reading depended on: its inputs that are copies of earlier articles."""
    return {i: known[i] for i in sorted(ids) if i in known}


def stored_input_ids(warehouse: Path, batch: str) -> set[str]:
    index = _recorded_index(warehouse, batch)
    if index is not None:
        return set(index["input_ids"])
    return _input_ids_of_partitions(warehouse, batch)


def _input_ids_of_partitions(warehouse: Path, batch: str) -> set[str]:
    articles = _columns(warehouse, "articles", batch, ["article_id"])
    rejected = _columns(warehouse, "rejected_inputs", batch, ["content_sha256"])
    return input_ids([] if articles is None else articles["article_id"],
                     [] if rejected is None else rejected["content_sha256"])


def _state_path(warehouse: Path, batch: str) -> Path:
    return Warehouse.at(warehouse).batch_state(batch)


_STATES: dict[tuple, tuple[dict, str]] = {}


def read_batch_state(warehouse: Path, batch: str) -> dict | None:
    """What a batch was read against (see `write_batch_state`), remembered against the file's stat: read-only."""
    recorded = _recorded_state(warehouse, batch)
    return recorded[0] if recorded else None


def batch_state_digest(warehouse: Path, batch: str) -> str | None:
    """A digest of a batch's recorded state, which fixes the bytes of its articles and rejected inputs (its run
    and the earlier copies it was read against); None when it has none."""
    recorded = _recorded_state(warehouse, batch)
    return recorded[1] if recorded else None


def _recorded_state(warehouse: Path, batch: str) -> tuple[dict, str] | None:
    path = _state_path(warehouse, batch)
    try:
        info = os.stat(path)
        key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
        recorded = _STATES.get(key)
        if recorded is None:
            data = path.read_bytes()
            recorded = (json.loads(data), hashlib.sha256(data).hexdigest()[:16])
            if len(_STATES) >= 100_000:
                _STATES.clear()
            _STATES[key] = recorded
        return recorded
    except (OSError, ValueError):
        return None


def write_batch_state(warehouse: Path, batch: str, run_id: str, copies: dict[str, str]) -> None:
    """Record what a batch was read against, once its articles and rejected inputs are written: the run, the
    earlier articles its inputs were copies of, and an index of what it holds (article_id -> source_path, the
    ids of its inputs), so that planning reads no partition."""
    _write_state(warehouse, batch, run_id, copies, _partition_index(warehouse, batch))


def _partition_index(warehouse: Path, batch: str) -> dict:
    frame = _columns(warehouse, "articles", batch, ["article_id", "source_path"])
    articles = {} if frame is None else dict(zip(frame["article_id"], frame["source_path"]))
    return {"articles": articles, "input_ids": sorted(_input_ids_of_partitions(warehouse, batch))}


def _write_state(warehouse: Path, batch: str, run_id: str, copies: dict[str, str], index: dict) -> None:
    """Deterministic bytes (no times), written aside and renamed."""
    payload = json.dumps({"batch": batch, "run_id": run_id, "earlier_copies": copies, "index": index},
                         sort_keys=True, indent=1)
    atomic.write_bytes(_state_path(warehouse, batch), (payload + "\n").encode("utf-8"))


def _recorded_index(warehouse: Path, batch: str) -> dict | None:
    """The index the batch's state records, when the state is that of its stored partitions (None otherwise).
    A state written before states carried an index is given one, from the partitions, once."""
    state = read_batch_state(warehouse, batch)
    if state is None or any(store.partition_run_id(warehouse, t, batch) != state.get("run_id")
                            for t in INGEST_TABLES):
        return None
    if "index" not in state:
        _write_state(warehouse, batch, state["run_id"], state.get("earlier_copies", {}),
                     _partition_index(warehouse, batch))
        state = read_batch_state(warehouse, batch)
    return state["index"] if state is not None else None


def forget_batch_state(warehouse: Path, batch: str) -> None:
    _state_path(warehouse, batch).unlink(missing_ok=True)
