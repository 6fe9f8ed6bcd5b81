"""The batches of a raw folder, and what a build has to do with each of them.

A batch is a first-level folder of the raw folder (files directly in it form the
batch `_root`, see `ingest/inventory.py`); it is the unit of incremental work and
the Dagster partition. A batch needs processing when:

- `new`: it has no partitions in the warehouse yet;
- `changed`: its run id (code fingerprint + the bytes of its files, `runs.run_id_for`)
  differs from the one stored in its partitions: a file was added, changed or deleted,
  or the code changed;
- `earlier copies changed`: an input of the batch is a copy of an article of a batch
  that sorts before it (first copy wins, `readers.read_batch`), and that copy
  appeared, moved or went away since the batch was read;
- `not extracted`: its articles were written but its extract partitions were not
  (an interrupted build);
- `full`: a full rebuild was asked for.

A batch whose folder left the raw folder is `removed`: `drop_batch` deletes its
partitions from every partitioned table.

Engine code: no orchestrator here. The CLI and the Dagster sensor both plan with
`plan_batches` and execute with the per-batch stages, so they agree on what is new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import polars as pl

from pipeline import runs, store
from pipeline.ingest.inventory import RawFile, list_raw_files
from pipeline.warehouse import DUCKDB_FILE
from schemas import REGISTRY

PARTITIONED_TABLES = tuple(t.name for t in REGISTRY.tables.values() if t.partition_by)
INGEST_TABLES = ("articles", "rejected_inputs")
EXTRACT_TABLES = ("mention_candidates", "fact_candidates", "fact_evidence")
PUBLISHED_TABLES = ("org_mentions", "savings", "deficits")

NEW, CHANGED, EARLIER_COPIES, NOT_EXTRACTED, FULL = (
    "new", "changed", "earlier copies changed", "not extracted", "full")

# Where the ingest stage records which earlier articles a batch's inputs were copies of when it was read.
_STATE_DIR = ("staging", "batch_state")


# ---------------------------------------------------------------------------------------------- the raw folder

def list_batches(raw_dir: Path) -> dict[str, list[RawFile]]:
    """Batch name -> its input files (sorted by path), for every batch with at least one file."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    by_batch: dict[str, list[RawFile]] = {}
    for raw in list_raw_files(raw_dir):
        by_batch.setdefault(raw.batch, []).append(raw)
    return dict(sorted(by_batch.items()))


# A file's SHA-256 is remembered against its stat (path, size, mtime, ctime, inode), so a sensor tick or the
# second look of a build hashes only files that changed. Like git's index, an entry is trusted only when the
# file's times are older than the clock's granularity could hide ("racy" writes are hashed again).
_DIGESTS: dict[tuple, str] = {}
_RACY_SECONDS = 2.0
_MAX_CACHED = 1_000_000


def file_digest(raw: RawFile) -> str:
    """The content hash a run id is derived from (`problem:...` / `unreadable:...` when there is none)."""
    if raw.problem:
        return "problem:" + raw.problem
    try:
        stat = raw.path.stat()
        key = (str(raw.path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        cached = _DIGESTS.get(key)
        if cached is not None:
            return cached
        with open(raw.path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.strerror}"
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > _RACY_SECONDS * 1e9:
        if len(_DIGESTS) >= _MAX_CACHED:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest


def batch_inputs(files: list[RawFile]) -> list[tuple[str, str]]:
    """(source path, content hash) of each file: what a run id is derived from."""
    return [(raw.source_path, file_digest(raw)) for raw in files]


def batch_run_id(batch: str, files: list[RawFile]) -> str:
    return runs.run_id_for(batch, batch_inputs(files))


# ---------------------------------------------------------------------------------------------- partition keys

_UNSAFE_KEY = re.compile(r"\.\.\.|[\x00-\x1f\x7f]|^~")


def partition_key(batch: str) -> str:
    """The Dagster partition key of a batch: its name, or `~` + its percent-encoding when the name holds what a
    partition key may not (`...`, control characters)."""
    return "~" + quote(batch, safe="").replace(".", "%2E") if _UNSAFE_KEY.search(batch) else batch


def batch_of_key(key: str) -> str:
    return unquote(key[1:]) if key.startswith("~") else key


def contiguous_runs(todo: list[str], order: list[str]) -> list[list[str]]:
    """`todo` (partition keys) split into runs of neighbours in `order` (the partitions' order), each in that
    order, the runs ordered by their first batch name: one Dagster run materialises one partition or a range of
    them, not a scattered set, so batches that are not neighbours need a run each."""
    wanted = set(todo)
    missing = sorted(wanted - set(order))
    if missing:
        raise ValueError(f"batches not registered as partitions: {', '.join(missing)}")
    groups: list[list[str]] = []
    current: list[str] = []
    for key in order:
        if key in wanted:
            current.append(key)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return sorted(groups, key=lambda g: min(batch_of_key(k) for k in g))


# ---------------------------------------------------------------------------------------------- duplicates

def _part_file(warehouse: Path, table: str, batch: str) -> Path:
    return store.partition_dir(warehouse, table, batch) / store.PART_FILE


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
    articles = _columns(warehouse, "articles", batch, ["article_id"])
    rejected = _columns(warehouse, "rejected_inputs", batch, ["content_sha256"])
    return input_ids([] if articles is None else articles["article_id"],
                     [] if rejected is None else rejected["content_sha256"])


def _state_path(warehouse: Path, batch: str) -> Path:
    return warehouse.joinpath(*_STATE_DIR) / f"{quote(batch, safe='')}.json"


def read_batch_state(warehouse: Path, batch: str) -> dict | None:
    try:
        return json.loads(_state_path(warehouse, batch).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_batch_state(warehouse: Path, batch: str, run_id: str, copies: dict[str, str]) -> None:
    """Record what a batch was read against: deterministic bytes (no times), written aside and renamed."""
    path = _state_path(warehouse, batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"batch": batch, "run_id": run_id, "earlier_copies": copies}, sort_keys=True, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def forget_batch_state(warehouse: Path, batch: str) -> None:
    _state_path(warehouse, batch).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- the plan

@dataclass(frozen=True)
class BatchStatus:
    name: str
    files: tuple[RawFile, ...]
    run_id: str  # what the batch's partitions will carry once processed
    stored_run_id: str | None  # what its articles partition carries now
    reason: str | None  # why it must be processed; None when it is up to date
    basis: str = ""  # a digest of what the decision was taken on (stored run ids, recorded and current copies)

    @property
    def key(self) -> str:
        return partition_key(self.name)


@dataclass
class Plan:
    batches: list[BatchStatus] = field(default_factory=list)  # every batch of the raw folder, by name
    removed: list[str] = field(default_factory=list)  # batches with partitions but no folder any more

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.batches]

    @property
    def todo(self) -> list[BatchStatus]:
        return [b for b in self.batches if b.reason]

    def status(self, name: str) -> BatchStatus:
        return next(b for b in self.batches if b.name == name)


def stored_batches(warehouse: Path) -> list[str]:
    """Batches with a partition in any partitioned table."""
    return sorted({b for table in PARTITIONED_TABLES for b in store.list_partitions(warehouse, table)})


def batch_status(warehouse: Path, batch: str, files: list[RawFile], known: dict[str, str], *,
                 full: bool = False) -> BatchStatus:
    """Whether one batch needs processing; `known` is `known_before(batch)` over the batches kept."""
    run_id = batch_run_id(batch, files)
    stored = {table: store.partition_run_id(warehouse, table, batch) for table in (*INGEST_TABLES, *EXTRACT_TABLES)}
    state = read_batch_state(warehouse, batch)
    copies = earlier_copies(known, stored_input_ids(warehouse, batch)) if stored["articles"] else {}
    if full:
        reason = FULL
    elif all(stored[t] is None for t in INGEST_TABLES):
        reason = NEW
    elif any(stored[t] != run_id for t in INGEST_TABLES):
        reason = CHANGED
    elif state is None or state.get("run_id") != run_id or state.get("earlier_copies") != copies:
        reason = EARLIER_COPIES
    elif any(stored[t] != run_id for t in EXTRACT_TABLES):
        reason = NOT_EXTRACTED
    else:
        reason = None
    basis = hashlib.sha256(json.dumps([stored, state, copies], sort_keys=True).encode()).hexdigest()[:16]
    return BatchStatus(batch, tuple(files), run_id, stored["articles"], reason, basis)


def plan_batches(raw_dir: Path, warehouse: Path, *, full: bool = False) -> Plan:
    """What a build of `raw_dir` into `warehouse` has to do, batch by batch, judged from the stored partitions.

    Reads every input's bytes once (then only those whose stat changed) and the id columns of the articles.
    """
    by_batch = list_batches(raw_dir)
    kept = [b for b in store.list_partitions(warehouse, "articles") if b in by_batch]
    plan = Plan(removed=[b for b in stored_batches(warehouse) if b not in by_batch])
    known: dict[str, str] = {}
    added = 0
    for batch, files in by_batch.items():
        while added < len(kept) and kept[added] < batch:  # the kept batches before this one, in order
            known.update(article_index(warehouse, kept[added]))
            added += 1
        plan.batches.append(batch_status(warehouse, batch, files, known, full=full))
    return plan


def drop_batch(warehouse: Path, batch: str) -> None:
    """Remove a batch from the warehouse: its partition of every partitioned table and its recorded state."""
    forget_batch_state(warehouse, batch)
    for table in PARTITIONED_TABLES:
        store.drop_partition(warehouse, table, batch)


# ---------------------------------------------------------------------------------------------- downstream

def warehouse_state(warehouse: Path) -> str:
    """A digest of the per-batch partitions the unpartitioned tables are built from (which batches, written by
    which run, when): it changes whenever the register, the published tables and DuckDB need rebuilding."""
    digest = hashlib.sha256()
    for table in (*INGEST_TABLES, *EXTRACT_TABLES):
        for batch in store.list_partitions(warehouse, table):
            path = _part_file(warehouse, table, batch)
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                continue
            digest.update(f"{table}\x1f{batch}\x1f{store.partition_run_id(warehouse, table, batch)}\x1f{mtime}\x1e"
                          .encode())
    return digest.hexdigest()[:16]


def needs_publish(warehouse: Path) -> bool:
    """Whether the unpartitioned tables (register, published facts, runs, DuckDB) lag the per-batch partitions:
    a batch was processed or removed after the DuckDB file was last built."""
    duckdb_file = warehouse / DUCKDB_FILE
    if not duckdb_file.is_file():
        return True
    batches = set(store.list_partitions(warehouse, "articles"))
    if any(set(store.list_partitions(warehouse, t)) != batches for t in (*EXTRACT_TABLES, *PUBLISHED_TABLES)):
        return True
    runs_file = store.table_dir(warehouse, "runs") / store.PART_FILE
    if not runs_file.is_file() or set(pl.read_parquet(runs_file, columns=["batch"])["batch"]) != batches:
        return True
    built = duckdb_file.stat().st_mtime_ns
    return any(_part_file(warehouse, t, b).stat().st_mtime_ns > built
               for t in (*INGEST_TABLES, *EXTRACT_TABLES) for b in batches)
