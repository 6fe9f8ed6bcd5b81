"""The data contract's checks: schema rules from `schemas/` and the invariants of CONTRACT.md.

Each check returns a `CheckResult` naming the rule and, when it fails, the
offending rows, so a failure says what failed and where, not just "failed".
The same functions run as Dagster asset checks, in `nhs-ledger build`'s summary
and in the tests.

On a warehouse of any size the checks hold only a bounded slice of it in memory.
A table partitioned by batch is checked in two passes:

* row rules (types, enums, patterns, bounds, nullability, spans, amounts, periods)
  look at one row at a time, so they run on a few partitions at once;
* key rules (unique keys, foreign keys, one primary statement per fact) span every
  batch, so they run on the whole table but read only the key columns they compare.

A partition whose row rules passed is remembered by the identity of its file (and of
the articles it points into) in `<warehouse>/.check-cache/`, so an incremental build
runs the row rules on the new partitions only. The small tables that span every
batch (`organisations`, `org_successions`, `runs`) are checked whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

import pandera
import pandera.errors
import polars as pl
import pyarrow.parquet as pq

from pipeline import store
from schemas import REGISTRY
from schemas.pandera_models import pandera_schema
from schemas.polars_types import POLARS_TYPES, empty_frame

FACT_TABLES = {"savings": "saving_id", "deficits": "deficit_id"}
# Partitions whose row rules run together: enough rows that pandera's fixed cost per call (about 20 ms) does not
# dominate, few enough that memory stays bounded (uncompressed bytes, as the Parquet footers count them).
CHUNK_BYTES = 32 * 1024 * 1024
CACHE_DIR = ".check-cache"  # a dot folder: readers and the warehouse's byte-for-byte comparisons skip it


@dataclass(frozen=True)
class CheckResult:
    name: str
    table: str
    description: str
    failures: pl.DataFrame  # the failing rows (or failure cases); empty when the check passed

    @property
    def passed(self) -> bool:
        return self.failures.height == 0

    def summary(self, limit: int = 5) -> str:
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name}: {self.failures.height} rows\n{self.failures.head(limit)}"


def _result(name: str, table: str, description: str, failures: pl.DataFrame) -> CheckResult:
    return CheckResult(name, table, description, failures)


# ------------------------------------------------------------------------------------------ rules on one frame

def schema_check(table: str, frame: pl.DataFrame) -> CheckResult:
    """Types, enums, patterns, bounds, nullability and uniqueness, generated from the registry.

    Each failure names the column, the rule, the failing value and the row's key."""
    failures = _concat([schema_row_failures(table, frame), uniqueness_failures(table, frame)])
    return _schema_result(table, failures)


def _schema_result(table: str, failures: pl.DataFrame) -> CheckResult:
    return _result(f"{table}_schema", table, f"{table} matches its schema in schemas/", failures)


@cache
def _row_schema(table: str):
    """The table's pandera schema without its uniqueness rules, which span partitions (see `uniqueness_failures`)."""
    schema = pandera_schema(table)
    schema = schema.update_columns({name: {"unique": False} for name, column in schema.columns.items()
                                    if column.unique})
    schema.unique = None
    return schema


def schema_row_failures(table: str, frame: pl.DataFrame, first_index: int = 0) -> pl.DataFrame:
    """The schema's rules on each row of `frame`; `first_index` is the frame's first row's index in its table."""
    try:
        _row_schema(table).validate(frame, lazy=True)
        return pl.DataFrame()
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failures = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        failures = failures.select([c for c in ("column", "check", "failure_case", "index") if c in failures.columns])
        failures = failures.with_columns([pl.col(c).cast(pl.Utf8) for c in failures.columns])
        return _shift_index(_with_row_keys(table, frame, failures), first_index)
    except pandera.errors.SchemaError as exc:
        return pl.DataFrame({"column": [str(getattr(exc, "column_name", ""))], "check": [str(exc)]})


def uniqueness_failures(table: str, keys: pl.DataFrame) -> pl.DataFrame:
    """The schema's uniqueness rules over a whole table, reported as pandera reports them.

    `keys` needs only the table's unique columns and its primary key, in table order."""
    spec = REGISTRY[table]
    # (column, rule, the columns compared, the value reported); only duplicated rows are ever turned into text.
    rules = [(f.name, "field_uniqueness", [f.name], pl.col(f.name).cast(pl.Utf8)) for f in spec.fields if f.unique]
    if len(spec.primary_key) > 1:
        composite = list(spec.primary_key)
        rules.append((table, "multiple_fields_uniqueness", composite, pl.struct(composite).struct.json_encode()))
    found = []
    for column, check, compared, shown in rules:
        duplicated = keys.select(compared).is_duplicated()
        if duplicated.any():
            found.append(keys.with_row_index("index").filter(duplicated).select(
                pl.lit(column).alias("column"), pl.lit(check).alias("check"), shown.alias("failure_case"),
                pl.col("index").cast(pl.Utf8)))
    return _with_row_keys(table, keys, _concat(found))


def _uniqueness_columns(table: str) -> list[str]:
    spec = REGISTRY[table]
    wanted = {spec.primary_key[0], *(f.name for f in spec.fields if f.unique)}
    if len(spec.primary_key) > 1:
        wanted |= set(spec.primary_key)
    return [name for name in spec.field_names if name in wanted]


def _with_row_keys(table: str, frame: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """Each failure with the key of the row it is about (`index` is the row's position in `frame`)."""
    key = REGISTRY[table].primary_key[0]
    if "index" not in failures.columns or key not in frame.columns:
        return failures
    keys = frame.select(pl.col(key).cast(pl.Utf8).alias("row_key")).with_row_index("_position")
    return (failures.with_columns(pl.col("index").cast(pl.UInt32, strict=False).alias("_position"))
            .join(keys, on="_position", how="left", maintain_order="left").drop("_position"))


def _shift_index(failures: pl.DataFrame, offset: int) -> pl.DataFrame:
    if not offset or "index" not in failures.columns:
        return failures
    return failures.with_columns((pl.col("index").cast(pl.Int64) + offset).cast(pl.Utf8))


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Failure frames one after another; a frame without columns is a pass and adds nothing."""
    frames = [f for f in frames if f.width]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]


def span_check(table: str, frame: pl.DataFrame, articles: pl.DataFrame, text_column: str) -> CheckResult:
    """body_text[char_start:char_end] equals the evidence (or the surface) on every row."""
    joined = frame.select("article_id", "char_start", "char_end", text_column, *_key(table)).join(
        articles.select("article_id", "body_text"), on="article_id", how="left")
    bad = joined.filter(
        pl.col("body_text").is_null()
        | (pl.col("char_start") < 0)
        | (pl.col("char_end") < pl.col("char_start"))
        | (pl.col("body_text").str.slice(pl.col("char_start"), pl.col("char_end") - pl.col("char_start"))
           != pl.col(text_column))
    ).drop("body_text")
    return _result(f"{table}_{text_column}_matches_body_text", table,
                   f"body_text[char_start:char_end] == {text_column}", bad)


def _key(table: str) -> list[str]:
    if table == "org_successions":
        return ["predecessor_org_id", "successor_org_id", "effective_on"]
    return [{"org_mentions": "mention_id", "fact_evidence": "fact_id", **FACT_TABLES}.get(table, "article_id")]


def foreign_key_check(table: str, frame: pl.DataFrame, column: str, parent: pl.DataFrame,
                      parent_column: str, parent_name: str) -> CheckResult:
    reported = list(dict.fromkeys([*_key(table), column]))
    values = frame.select(reported).filter(pl.col(column).is_not_null())
    bad = values.join(parent.select(pl.col(parent_column).alias(column)), on=column, how="anti")
    return _result(f"{table}_{column}_exists_in_{parent_name}", table,
                   f"every {column} in {table} exists in {parent_name}", bad)


def amounts_check(table: str, frame: pl.DataFrame) -> CheckResult:
    single = pl.col("amount_gbp").is_not_null()
    both_bounds = pl.col("amount_low_gbp").is_not_null() & pl.col("amount_high_gbp").is_not_null()
    bad = frame.filter(
        ~(single | both_bounds)
        | (pl.col("amount_gbp") <= 0).fill_null(False)
        | (pl.col("amount_low_gbp") <= 0).fill_null(False)
        | (pl.col("amount_low_gbp") > pl.col("amount_high_gbp")).fill_null(False)
    )
    return _result(f"{table}_amounts_valid", table,
                   "amounts positive; amount_gbp or both bounds set; low <= high",
                   bad.select(_key(table)[0], "amount_gbp", "amount_low_gbp", "amount_high_gbp"))


def periods_check(table: str, frame: pl.DataFrame) -> CheckResult:
    def consecutive(column: str) -> pl.Expr:
        start = pl.col(column).str.slice(0, 4).cast(pl.Int32, strict=False)
        end = pl.col(column).str.slice(5, 2).cast(pl.Int32, strict=False)
        return pl.col(column).is_null() | (
            pl.col(column).str.contains(r"^\d{4}/\d{2}$") & (((start + 1) % 100) == end))
    bad = frame.filter(
        ~consecutive("fy_start") | ~consecutive("fy_end")
        | (pl.col("fy_start") > pl.col("fy_end")).fill_null(False)
    )
    return _result(f"{table}_periods_valid", table, "fy_start <= fy_end, each YYYY/YY with consecutive years",
                   bad.select(_key(table)[0], "fy_start", "fy_end"))


def unique_check(table: str, frame: pl.DataFrame, column: str) -> CheckResult:
    dupes = frame.group_by(column).len().filter(pl.col("len") > 1)
    return _result(f"{table}_{column}_unique", table, f"{column} is unique", dupes)


# ------------------------------------------------------------------- the tables that span batches: checked whole

def _organisations_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    organisations = t["organisations"]
    members = organisations.select(pl.col("member_org_ids").explode().alias("member_org_id")).drop_nulls()
    missing = members.join(organisations.select(pl.col("org_id").alias("member_org_id")), on="member_org_id",
                           how="anti")
    coded = organisations.filter(pl.col("ods_code").is_not_null())
    return [
        schema_check("organisations", organisations),
        unique_check("organisations", organisations, "org_id"),
        _result("organisations_members_exist", "organisations", "every member_org_id exists in organisations",
                missing),
        # One row per real body: two rows with one ODS code would be one body split in two.
        _result("organisations_ods_code_unique", "organisations", "ods_code is unique where set",
                coded.group_by("ods_code").agg(pl.col("org_id")).filter(pl.col("org_id").list.len() > 1)),
        _result("organisations_validity_ordered", "organisations", "valid_from <= valid_to",
                organisations.filter(pl.col("valid_from") > pl.col("valid_to")).select(
                    "org_id", "valid_from", "valid_to")),
    ]


def _successions_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    successions = t["org_successions"]
    key = ["predecessor_org_id", "successor_org_id", "effective_on"]
    dupes = successions.group_by(key).len().filter(pl.col("len") > 1)
    return [
        schema_check("org_successions", successions),
        _result("org_successions_key_unique", "org_successions", "(predecessor, successor, effective_on) is unique",
                dupes),
        foreign_key_check("org_successions", successions, "predecessor_org_id", t["organisations"], "org_id",
                          "organisations"),
        foreign_key_check("org_successions", successions, "successor_org_id", t["organisations"], "org_id",
                          "organisations"),
        _result("org_successions_not_self", "org_successions", "no body succeeds itself",
                successions.filter(pl.col("predecessor_org_id") == pl.col("successor_org_id")).select(key)),
    ]


def _runs_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    return [schema_check("runs", t["runs"]), unique_check("runs", t["runs"], "run_id")]


# ----------------------------------------------------------------- the tables partitioned by batch: row and key rules

# The column each span rule compares with the article's text.
SPAN_TEXT = {"org_mentions": "surface", "savings": "evidence", "deficits": "evidence", "fact_evidence": "evidence"}
NO_BODIES = pl.DataFrame(schema={"article_id": pl.Utf8, "body_text": pl.Utf8})


def _part_checks(table: str, rows: pl.DataFrame, bodies: pl.DataFrame | None) -> list[CheckResult]:
    """The rules about one row at a time besides the schema's (which pandera runs on several parts at once);
    `bodies` holds the text of the articles the rows point into."""
    results = []
    if table in SPAN_TEXT:
        results.append(span_check(table, rows, bodies, SPAN_TEXT[table]))
    if table in FACT_TABLES:
        results += [amounts_check(table, rows), periods_check(table, rows)]
    return results


@dataclass(frozen=True)
class KeyRules:
    """The rules of a partitioned table that compare rows across batches, and the columns they read."""
    columns: tuple[str, ...]
    checks: Callable[[pl.DataFrame, "Tables"], list[CheckResult]]


def _keys(table: str, *more: str) -> tuple[str, ...]:
    names = {*_uniqueness_columns(table), *_key(table), *more}
    return tuple(name for name in REGISTRY[table].field_names if name in names)


def _articles_keys(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    return [_schema_result("articles", uniqueness_failures("articles", keys)),
            unique_check("articles", keys, "article_id")]


def _rejected_keys(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    return [_schema_result("rejected_inputs", uniqueness_failures("rejected_inputs", keys))]


def _mentions_keys(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    return [
        _schema_result("org_mentions", uniqueness_failures("org_mentions", keys)),
        foreign_key_check("org_mentions", keys, "article_id", tables.columns("articles", ["article_id"]),
                          "article_id", "articles"),
        foreign_key_check("org_mentions", keys, "org_id", tables.columns("organisations", ["org_id"]), "org_id",
                          "organisations"),
    ]


def _fact_keys(table: str):
    def checks(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
        results = [
            _schema_result(table, uniqueness_failures(table, keys)),
            unique_check(table, keys, FACT_TABLES[table]),
            foreign_key_check(table, keys, "article_id", tables.columns("articles", ["article_id"]), "article_id",
                              "articles"),
            foreign_key_check(table, keys, "org_id", tables.columns("organisations", ["org_id"]), "org_id",
                              "organisations"),
        ]
        if table == "savings":
            results.append(foreign_key_check("savings", keys, "parent_saving_id", keys, "saving_id", "savings"))
        return results
    return checks


def _evidence_keys(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    facts = pl.concat([tables.columns("savings", ["saving_id"]).select(pl.col("saving_id").alias("fact_id")),
                       tables.columns("deficits", ["deficit_id"]).select(pl.col("deficit_id").alias("fact_id"))])
    primaries = keys.filter(pl.col("is_primary")).group_by("fact_id").len()
    return [
        _schema_result("fact_evidence", uniqueness_failures("fact_evidence", keys)),
        foreign_key_check("fact_evidence", keys, "fact_id", facts, "fact_id", "facts"),
        foreign_key_check("fact_evidence", keys, "article_id", tables.columns("articles", ["article_id"]),
                          "article_id", "articles"),
        _result("fact_evidence_one_primary_per_fact", "fact_evidence",
                "every fact has exactly one primary statement",
                facts.join(primaries, on="fact_id", how="left").filter(pl.col("len").fill_null(0) != 1)),
    ]


KEY_RULES = {
    "articles": KeyRules(_keys("articles"), _articles_keys),
    "rejected_inputs": KeyRules(_keys("rejected_inputs"), _rejected_keys),
    "org_mentions": KeyRules(_keys("org_mentions", "article_id", "org_id"), _mentions_keys),
    "savings": KeyRules(_keys("savings", "article_id", "org_id", "parent_saving_id"), _fact_keys("savings")),
    "deficits": KeyRules(_keys("deficits", "article_id", "org_id"), _fact_keys("deficits")),
    "fact_evidence": KeyRules(_keys("fact_evidence", "article_id", "is_primary"), _evidence_keys),
}


# ------------------------------------------------------------------------- where the rows come from: memory or disk

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


# ------------------------------------------------------------------------------------------ the cache of passes

@cache
def rules_version() -> str:
    """What a cached pass depends on besides the files: the rules (this module, the schemas), how rows are read
    back (the store), and the validating libraries."""
    digest = hashlib.sha256(f"{pandera.__version__}\x1f{pl.__version__}".encode())
    schemas_dir = Path(__file__).resolve().parent.parent / "schemas"
    for path in [Path(__file__).resolve(), Path(store.__file__).resolve(), *sorted(schemas_dir.glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class PassCache:
    """The partitions of one table whose row rules passed, by batch, with the identity they passed under.

    Only passes are kept: a failure is recomputed every time, so its report always describes the rows as they are.
    """
    path: Path | None
    passed: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, warehouse: Path | None, table: str) -> PassCache:
        if warehouse is None:
            return cls(None)
        path = warehouse / CACHE_DIR / f"{table}.json"
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            passed = saved["passed"] if saved.get("rules") == rules_version() else {}
        except (OSError, ValueError, KeyError, TypeError):
            passed = {}
        return cls(path, dict(passed))

    def has_passed(self, batch: str | None, identity: str | None) -> bool:
        return self.path is not None and identity is not None and self.passed.get(str(batch)) == identity

    def keep(self, batch: str | None, identity: str | None) -> None:
        if identity is not None:
            self.kept[str(batch)] = identity

    def save(self) -> None:
        """Keep the passes of this check, for the partitions that exist now; a warehouse that cannot be written
        to is checked in full next time."""
        if self.path is None or self.kept == self.passed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"rules": rules_version(), "passed": self.kept}, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ running the checks

class _Results:
    """Check results gathered part by part, merged by check name in the order the names first appear."""

    def __init__(self) -> None:
        self.by_name: dict[str, tuple[str, str, list[pl.DataFrame]]] = {}

    def add(self, results: list[CheckResult]) -> None:
        for r in results:
            self.by_name.setdefault(r.name, (r.table, r.description, []))[2].append(r.failures)

    def results(self) -> list[CheckResult]:
        return [_result(name, table, description, _concat(failures) if any(f.height for f in failures)
                        else failures[0])
                for name, (table, description, failures) in self.by_name.items()]


def _chunks(parts: list[tuple[Part, int]], budget: int) -> list[list[tuple[Part, int]]]:
    """Runs of neighbouring parts (by table order) of at most `budget` bytes (one part may exceed it alone)."""
    chunks: list[list[tuple[Part, int]]] = []
    size = 0
    for part, first_index in parts:
        last = chunks[-1][-1] if chunks else None
        neighbour = last is not None and last[1] + last[0].rows == first_index
        if neighbour and size + part.size <= budget:
            chunks[-1].append((part, first_index))
            size += part.size
        else:
            chunks.append([(part, first_index)])
            size = part.size
    return chunks


def _check_chunk(table: str, chunk: list[tuple[Part, int]], tables: Tables, cache: PassCache,
                 results: _Results) -> None:
    """The row rules on a run of parts: span, amount and period rules part by part, the schema on all at once."""
    frames, passes = [], []
    for part, first_index in chunk:
        rows = tables.read(table, part)
        bodies, cacheable = tables.bodies(part, rows["article_id"]) if table in SPAN_TEXT else (None, True)
        per_part = _part_checks(table, rows, bodies)
        results.add(per_part)
        frames.append(rows)
        passes.append(cacheable and all(r.passed for r in per_part))
    schema = _schema_result(table, schema_row_failures(table, pl.concat(frames, how="vertical"), chunk[0][1]))
    results.add([schema])
    if schema.passed:
        for (part, _), passed in zip(chunk, passes):
            if passed:
                cache.keep(part.batch, _row_identity(table, part, tables))


def _row_identity(table: str, part: Part, tables: Tables) -> str | None:
    """What a part's row rules depend on: its file, and for a span rule the articles file of its batch."""
    if part.identity is None or table not in SPAN_TEXT:
        return part.identity
    articles = tables.articles_identity(part)
    return f"{part.identity}|{articles}" if articles else None


def _partitioned_checks(table: str, tables: Tables, cache: PassCache) -> list[CheckResult]:
    results = _Results()
    # Every check is reported even when every part is cached: names and descriptions from an empty table.
    empty = empty_frame(REGISTRY[table])
    results.add([_schema_result(table, pl.DataFrame()), *_part_checks(table, empty, NO_BODIES)])
    to_check, first_index = [], 0
    for part in tables.parts(table):
        identity = _row_identity(table, part, tables)
        if cache.has_passed(part.batch, identity):
            cache.keep(part.batch, identity)
        else:
            to_check.append((part, first_index))
        first_index += part.rows
    for chunk in _chunks(to_check, CHUNK_BYTES):
        _check_chunk(table, chunk, tables, cache, results)
    rules = KEY_RULES[table]
    results.add(rules.checks(tables.columns(table, list(rules.columns)), tables))
    cache.save()
    return results.results()


# For each public table: the tables its checks read, and the checks over frames in memory.
def _in_memory(table: str):
    def checks(frames: dict[str, pl.DataFrame]) -> list[CheckResult]:
        return _partitioned_checks(table, FrameTables(frames), PassCache(None))
    return checks


TABLE_CHECKS = {
    "articles": (("articles",), _in_memory("articles")),
    "rejected_inputs": (("rejected_inputs",), _in_memory("rejected_inputs")),
    "organisations": (("organisations",), _organisations_checks),
    "org_successions": (("org_successions", "organisations"), _successions_checks),
    "org_mentions": (("org_mentions", "articles", "organisations"), _in_memory("org_mentions")),
    "savings": (("savings", "articles", "organisations"), _in_memory("savings")),
    "deficits": (("deficits", "articles", "organisations"), _in_memory("deficits")),
    "fact_evidence": (("fact_evidence", "savings", "deficits", "articles"), _in_memory("fact_evidence")),
    "runs": (("runs",), _runs_checks),
}
PUBLIC_TABLES = tuple(TABLE_CHECKS)


def table_checks(table: str, tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    # A table the caller did not pass is an empty one (as an unwritten table reads back).
    needs = TABLE_CHECKS[table][0]
    tables = {**{name: empty_frame(REGISTRY[name]) for name in needs if name not in tables}, **tables}
    return TABLE_CHECKS[table][1](tables)


def stored_table_checks(warehouse: Path, table: str, *, use_cache: bool = True) -> list[CheckResult]:
    """A table's checks on the warehouse's Parquet files, in bounded memory (see the module's docstring)."""
    if table in KEY_RULES:
        return _partitioned_checks(table, StoredTables(warehouse),
                                   PassCache.load(warehouse if use_cache else None, table))
    # The tables that span every batch are small (one row per body, per run): read whole.
    return table_checks(table, {name: store.read_table(warehouse, name) for name in TABLE_CHECKS[table][0]})


def contract_checks(tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    """Every invariant of CONTRACT.md over a set of public tables."""
    return [result for table in TABLE_CHECKS for result in table_checks(table, tables)]


def warehouse_checks(warehouse: Path, *, use_cache: bool = True) -> list[CheckResult]:
    return [result for table in TABLE_CHECKS for result in stored_table_checks(warehouse, table, use_cache=use_cache)]
