"""The batches of a raw folder, and what a build has to do with each of them.

A batch is a first-level folder of the raw folder (files directly in it form the
batch `_root`, see `ingest/inventory.py`); it is the unit of incremental work and
the Dagster partition. A batch needs processing when:

- `new`: it has no partitions in the warehouse yet;
- `changed`: its run id (code fingerprint + the bytes of its files, `runs.run_id_for`, + the
  fingerprint of the reference data's gazetteer when the build has reference data, which the
  extraction reads) differs from the one stored in its partitions: a file was added, changed
  or deleted, the code changed, or the reference data came, went or changed;
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

Planning costs what changed, not what the archive holds: a batch's run id is kept
with a digest of its files' stats (the digest index, a sidecar), so only batches
whose files changed are hashed, and a batch's state records the ids of its
articles and inputs, so no partition is read to find earlier copies. What is left
is one stat per input file and one footer per partition.
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

from pipeline.extract import gazetteer
from pipeline.ingest import warc_domains
from pipeline.ingest.inventory import RawFile, is_warc
from pipeline.ingest.inventory import list_raw_files as inventory_list_raw_files
from pipeline.versions import code_fingerprint
from pipeline.warehouse import batch_state
from pipeline.warehouse import run_log as runs
from pipeline.warehouse import store
from pipeline.warehouse.layout import DUCKDB_FILE, Warehouse
from schemas import REGISTRY

PARTITIONED_TABLES = tuple(t.name for t in REGISTRY.tables.values() if t.partition_by)
INGEST_TABLES = batch_state.INGEST_TABLES
EXTRACT_TABLES = ("mention_candidates", "fact_candidates", "fact_evidence")
PUBLISHED_TABLES = ("org_mentions", "savings", "deficits")

NEW, CHANGED, EARLIER_COPIES, NOT_EXTRACTED, FULL = (
    "new", "changed", "earlier copies changed", "not extracted", "full")

# Where the ingest stage records which earlier articles a batch's inputs were copies of when it was read.


# ---------------------------------------------------------------------------------------------- the raw folder

def list_batches(raw_dir: Path) -> dict[str, list[RawFile]]:
    """Batch name -> its input files (sorted by path), for every batch with at least one file."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_dir}")
    by_batch: dict[str, list[RawFile]] = {}
    for raw in list_raw_files(raw_dir):
        by_batch.setdefault(raw.batch, []).append(raw)
    return dict(sorted(by_batch.items()))


# The stat of each regular file of the latest listing (source path -> (path, stat)): `file_digest` and the
# digest index use it rather than a second stat.
_LISTED: dict[str, tuple[str, os.stat_result]] = {}


def list_raw_files(raw_dir: Path) -> list[RawFile]:
    """`inventory.list_raw_files`, keeping each regular file's stat for `file_digest`."""
    listed: dict[str, tuple[str, os.stat_result]] = {}
    found = inventory_list_raw_files(raw_dir, stats=listed)
    _LISTED.clear()
    _LISTED.update(listed)
    return found


# A file's SHA-256 is remembered against its stat (path, size, mtime, ctime, inode), so a sensor tick or the
# second look of a build hashes only files that changed. Like git's index, an entry is trusted only when the
# file's times are older than the clock's granularity could hide ("racy" writes are hashed again).
_DIGESTS: dict[tuple, str] = {}
_RACY_SECONDS = 2.0
_RACY_NS = int(_RACY_SECONDS * 1e9)
_MAX_CACHED = 1_000_000


def _file_stat(raw: RawFile) -> os.stat_result:
    listed = _LISTED.get(raw.source_path)
    if listed is not None and listed[0] == str(raw.path):
        return listed[1]
    return raw.path.stat()


def file_digest(raw: RawFile) -> str:
    """The content hash a run id is derived from (`problem:...` / `unreadable:...` when there is none)."""
    if raw.problem:
        return "problem:" + raw.problem
    try:
        info = _file_stat(raw)
        key = (str(raw.path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        cached = _DIGESTS.get(key)
        if cached is not None:
            return cached
        with open(raw.path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.strerror}"
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _RACY_NS:
        if len(_DIGESTS) >= _MAX_CACHED:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest


def batch_inputs(files: list[RawFile]) -> list[tuple[str, str]]:
    """(source path, content hash) of each file: what a run id is derived from."""
    return [(raw.source_path, file_digest(raw)) for raw in files]


# The reference data is an input of every batch's extraction (`pipeline.extract.gazetteer`): a pseudo-input no
# file's source path can be.
_REFERENCE_INPUT = "\x00reference"
# So is the allow-list of domains of every batch with a web archive file (`pipeline.ingest.warc_domains`).
_DOMAINS_INPUT = "\x00domains"


def batch_run_id(batch: str, files: list[RawFile], reference: str | None = None) -> str:
    """`reference`: the gazetteer fingerprint of the build's reference data (None without any)."""
    inputs = batch_inputs(files)
    if reference is not None:
        inputs.append((_REFERENCE_INPUT, reference))
    domains = _domains_read(files)
    if domains is not None:
        inputs.append((_DOMAINS_INPUT, domains))
    return runs.run_id_for(batch, inputs)


def _domains_read(files: list[RawFile]) -> str | None:
    """The fingerprint of the allow-list of domains, when the batch has a web archive file that reads it."""
    return warc_domains.fingerprint() if any(is_warc(raw.source_path) for raw in files) else None


def reference_fingerprint(reference: Path | None) -> str | None:
    """What the extraction reads of a reference folder, for run ids (None: no folder, or no NHS body in it)."""
    return gazetteer.reference_fingerprint(reference)


# Across processes, each batch's run id is kept in a sidecar (the digest index) with a digest of its files'
# stats and the code fingerprint it was derived with. The sidecar's own modification time is set to when the
# batch's hashing began: the run id is trusted when the stats and the code are the same and every file's times
# are older than that by the racy margin (a file written since would have newer times, or a different stat).

def indexed_run_id(warehouse: Path, batch: str, files: list[RawFile], reference: str | None = None) -> str:
    """`batch_run_id`, without reading any input when the batch's files have the stats they had when it was
    last derived (the digest index, brought up to date): a look at an unchanged archive reads no input."""
    started = time.time_ns()
    stats, newest = _stat_signature(files)
    recorded = {"batch": batch, "stats": stats, "code": code_fingerprint(), "reference": reference,
                "domains": _domains_read(files)}
    index, written = _digest_index(warehouse, batch)
    if index is not None and {k: index.get(k) for k in recorded} == recorded and newest < written - _RACY_NS:
        return index["run_id"]
    run_id = batch_run_id(batch, files, reference)
    store.write_sidecar(warehouse, store.DIGEST_INDEX, batch, {**recorded, "run_id": run_id}, mtime_ns=started)
    return run_id


def _stat_signature(files: list[RawFile]) -> tuple[str, int]:
    """A digest of the files' paths and stats (problems for files that have none), and the newest of their
    modification and change times."""
    described: list[tuple] = []
    newest = 0
    for raw in files:
        try:
            info = None if raw.problem else _file_stat(raw)
        except OSError as exc:
            info, problem = None, f"unreadable:{exc.strerror}"
        else:
            problem = raw.problem
        if info is None:
            described.append((raw.source_path, problem))
            continue
        described.append((raw.source_path, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))
        newest = max(newest, info.st_mtime_ns, info.st_ctime_ns)
    return hashlib.sha256(repr(described).encode()).hexdigest()[:32], newest


def _digest_index(warehouse: Path, batch: str) -> tuple[dict | None, int]:
    """The batch's digest index and when its derivation began (its modification time)."""
    path = store.sidecar_path(warehouse, store.DIGEST_INDEX, batch)
    try:
        written = path.stat().st_mtime_ns
    except OSError:
        return None, 0
    return store.read_sidecar(warehouse, store.DIGEST_INDEX, batch), written


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
                 full: bool = False, reference: str | None = None) -> BatchStatus:
    """Whether one batch needs processing; `known` is `known_before(batch)` over the batches kept; `reference`
    the fingerprint of the build's reference data (`reference_fingerprint`)."""
    run_id = indexed_run_id(warehouse, batch, files, reference)
    stored = {table: store.partition_run_id(warehouse, table, batch) for table in (*INGEST_TABLES, *EXTRACT_TABLES)}
    state = batch_state.read_batch_state(warehouse, batch)
    copies = batch_state.earlier_copies(known, batch_state.stored_input_ids(warehouse, batch)) if stored["articles"] else {}
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
    recorded = batch_state.batch_state_digest(warehouse, batch) if state is not None else None
    basis = hashlib.sha256(json.dumps([stored, recorded, copies], sort_keys=True).encode()).hexdigest()[:16]
    return BatchStatus(batch, tuple(files), run_id, stored["articles"], reason, basis)


def plan_batches(raw_dir: Path, warehouse: Path, *, full: bool = False, reference: Path | None = None) -> Plan:
    """What a build of `raw_dir` into `warehouse` has to do, batch by batch, judged from the stored partitions;
    `reference`: the build's reference folder, if any.

    Reads the bytes of the inputs of batches whose files' stats changed (all of them the first time), the
    batches' states and the partitions' footers.
    """
    by_batch = list_batches(raw_dir)
    kept = [b for b in store.list_partitions(warehouse, "articles") if b in by_batch]
    plan = Plan(removed=[b for b in stored_batches(warehouse) if b not in by_batch])
    known: dict[str, str] = {}
    added = 0
    fingerprint = reference_fingerprint(reference)
    for batch, files in by_batch.items():
        while added < len(kept) and kept[added] < batch:  # the kept batches before this one, in order
            known.update(batch_state.article_index(warehouse, kept[added]))
            added += 1
        plan.batches.append(batch_status(warehouse, batch, files, known, full=full, reference=fingerprint))
    return plan


def later_batches_kept(plan: Plan) -> bool:
    """Whether a batch left alone sorts after one just processed: only such a batch can have read a copy of an
    input that has since changed (the first copy, in name order, wins), and needs another look. An archive that
    grows by new folders at its end never does, nor does a plan with nothing to process."""
    if not plan.todo:
        return False
    first_processed = min(b.name for b in plan.todo)
    return any(not b.reason and b.name > first_processed for b in plan.batches)


def drop_batch(warehouse: Path, batch: str) -> None:
    """Remove a batch from the warehouse: its partition of every partitioned table, its recorded state and what
    was derived from it (sidecars)."""
    batch_state.forget_batch_state(warehouse, batch)
    for kind in store.SIDECARS:
        store.drop_sidecar(warehouse, kind, batch)
    for table in PARTITIONED_TABLES:
        store.drop_partition(warehouse, table, batch)


# ---------------------------------------------------------------------------------------------- downstream

def warehouse_state(warehouse: Path) -> str:
    """A digest of the per-batch partitions the unpartitioned tables are built from (which batches, written by
    which run, when): it changes whenever the register, the published tables and DuckDB need rebuilding."""
    digest = hashlib.sha256()
    for table in (*INGEST_TABLES, *EXTRACT_TABLES):
        for batch in store.list_partitions(warehouse, table):
            path = Warehouse.at(warehouse).part_file(table, batch)
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
    return any(Warehouse.at(warehouse).part_file(t, b).stat().st_mtime_ns > built
               for t in (*INGEST_TABLES, *EXTRACT_TABLES) for b in batches)
