"""Where the checks' rows come from: frames in memory (`FrameTables`) or a warehouse's Parquet files
(`StoredTables`), seen as the parts of a table (`Part`), a part's rows, named columns across a table, and the
texts of the articles a part's rows point into.

On a warehouse of any size only a bounded slice of it is ever in memory: a partition at a time, or a few columns
of every partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import POLARS_TYPES, empty_frame

NO_BODIES = pl.DataFrame(schema={"article_id": pl.Utf8, "body_text": pl.Utf8})


@dataclass(frozen=True)
class Part:
    """One partition of a table as the checks see it: a frame in memory or a Parquet file."""
    batch: str | None
    rows: int
    size: int = 0  # uncompressed bytes, for chunking
    path: Path | None = None
    identity: str | None = None  # the file's identity for the cache; None: never cached


class Tables:
    """What the checks read: the parts of a table, a part's rows, named columns across a table, article texts."""

    def parts(self, table: str) -> list[Part]:
        raise NotImplementedError

    def read(self, table: str, part: Part) -> pl.DataFrame:
        raise NotImplementedError

    def columns(self, table: str, columns: list[str]) -> pl.DataFrame:
        raise NotImplementedError

    def bodies(self, part: Part, article_ids: pl.Series) -> tuple[pl.DataFrame, bool]:
        """(article_id, body_text) of the articles `article_ids` names, and whether they all came from the
        articles partition of the part's own batch (only then can a pass be cached on the two files' identity)."""
        raise NotImplementedError

    def articles_identity(self, part: Part) -> str | None:
        return None


class FrameTables(Tables):
    """Tables in memory, each one part; a table not given is empty, as an unwritten table reads back."""

    def __init__(self, frames: dict[str, pl.DataFrame]):
        self.frames = frames

    def _frame(self, table: str) -> pl.DataFrame:
        frame = self.frames.get(table)
        return frame if frame is not None else empty_frame(REGISTRY[table])

    def parts(self, table: str) -> list[Part]:
        return [Part(None, self._frame(table).height)]

    def read(self, table: str, part: Part) -> pl.DataFrame:
        return self._frame(table)

    def columns(self, table: str, columns: list[str]) -> pl.DataFrame:
        return self._frame(table).select(columns)

    def bodies(self, part: Part, article_ids: pl.Series) -> tuple[pl.DataFrame, bool]:
        return self._frame("articles").select("article_id", "body_text"), False


class StoredTables(Tables):
    """Tables in a warehouse's Parquet files, read a partition or a few columns at a time."""

    def __init__(self, warehouse: Path):
        self.warehouse = warehouse
        self._parts: dict[str, list[Part]] = {}

    def parts(self, table: str) -> list[Part]:
        # Listed once, before any file is read, so an identity never describes a newer file than the rows read.
        if table not in self._parts:
            self._parts[table] = self._list_parts(table)
        return self._parts[table]

    def _list_parts(self, table: str) -> list[Part]:
        if REGISTRY[table].partition_by is None:
            path = store.table_dir(self.warehouse, table) / store.PART_FILE
            parts = [_stored_part(None, path)] if path.is_file() else []
        else:
            parts = [_stored_part(batch, store.partition_dir(self.warehouse, table, batch) / store.PART_FILE)
                     for batch in store.list_partitions(self.warehouse, table)]
        return parts or [Part(None, 0)]

    def read(self, table: str, part: Part) -> pl.DataFrame:
        if part.path is None:
            return empty_frame(REGISTRY[table])
        if part.batch is None:
            return store.read_table(self.warehouse, table)
        return store.read_partition(self.warehouse, table, part.batch)

    def columns(self, table: str, columns: list[str]) -> pl.DataFrame:
        return _read_columns(table, [part for part in self.parts(table) if part.path is not None], columns)

    def _articles_part(self, batch: str | None) -> Part | None:
        return next((p for p in self.parts("articles") if p.batch == batch and p.path is not None), None)

    def articles_identity(self, part: Part) -> str | None:
        articles = self._articles_part(part.batch)
        return articles.identity if articles else None

    def bodies(self, part: Part, article_ids: pl.Series) -> tuple[pl.DataFrame, bool]:
        wanted = set(article_ids.drop_nulls().unique().to_list())
        own = self._articles_part(part.batch)
        candidates = ([own] if own else []) + [p for p in self.parts("articles") if p is not own and p.path]
        found, from_own_batch = [], True
        for articles in candidates:
            if not wanted:
                break
            ids = _read_columns("articles", [articles], ["article_id"])["article_id"]
            hits = wanted & set(ids.to_list())
            if not hits:
                continue
            # A row that points into another batch is rare; its text is read from there, a column at a time.
            from_own_batch = from_own_batch and articles is own
            texts = _read_columns("articles", [articles], ["article_id", "body_text"])
            found.append(texts.filter(pl.col("article_id").is_in(list(hits))))
            wanted -= hits
        bodies = pl.concat(found) if found else NO_BODIES
        return bodies, from_own_batch


def _read_columns(table: str, parts: list[Part], columns: list[str]) -> pl.DataFrame:
    """Named columns of stored parts, one after another, in one scan that reads no other column."""
    spec = REGISTRY[table]
    schema = {name: POLARS_TYPES[spec.field(name).type] for name in columns}
    if not parts:
        return pl.DataFrame(schema=schema)
    stored = [name for name in columns if name != spec.partition_by]
    scan = pl.scan_parquet([str(part.path) for part in parts], glob=False, hive_partitioning=False,
                           extra_columns="ignore", include_file_paths="_file")
    frame = scan.select(*stored, "_file").collect()
    if spec.partition_by in columns:
        batches = {str(part.path): part.batch for part in parts}
        frame = frame.with_columns(pl.col("_file").replace_strict(batches).alias(spec.partition_by))
    return frame.select([pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items()])


def _stored_part(batch: str | None, path: Path) -> Part:
    stat = path.stat()
    metadata = pq.read_metadata(path)
    run_id = (metadata.metadata or {}).get(store.RUN_ID_KEY, b"").decode()
    size = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    # The writer's run (same inputs and code give the same bytes) and the file's own stat: a rewritten file
    # is a new inode with a new mtime, so any change to the rows changes the identity.
    identity = f"{run_id}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
    return Part(batch, metadata.num_rows, size, path, identity)
