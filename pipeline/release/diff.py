"""What changed since the previous release: facts and organisations added, removed and changed.

Rows are matched by key (`saving_id`, `deficit_id`, `org_id`). A fact's key is
derived from its article's raw bytes and the position of its amount in the text,
so an edited or re-fetched article is a new article and its facts show as
removed + added, never as changed. A row is *changed* when its key is in both
releases and a content column differs: the same statement of the same article
read differently (typically by a newer extractor: another measure, period, body
or amount), or an organisation with new aliases or more articles. Lineage-only
columns (which run, batch, rule or extractor version produced a row) are not
compared: a rebuild by new code that reads everything the same is no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.evaluate import format_gbp
from schemas import REGISTRY
from schemas.polars_types import empty_frame
from schemas.registry import Field, Table

# The tables a reader follows from release to release, in the order CHANGES.md lists them.
DIFFED_TABLES = ("savings", "deficits", "organisations")
LINEAGE_COLUMNS = frozenset({"run_id", "batch", "rule_id", "extractor_version"})
CHANGE_KINDS = ("added", "removed", "changed")
# CHANGES.md lists this many rows per table and kind; data/changes.parquet has them all.
LISTED_ROWS = 200

CHANGES_TABLE = Table(
    name="changes",
    description="One row per fact or organisation added, removed or changed since the previous release.",
    primary_key=("table", "key"),
    fields=(
        Field("table", "string", "The table the row is in.", enum=DIFFED_TABLES),
        Field("key", "string", "The row's key in that table: `saving_id`, `deficit_id` or `org_id`."),
        Field("change", "string", "`added` (key only in this release), `removed` (only in the previous one) or "
              "`changed` (in both, with different content).", enum=CHANGE_KINDS),
        Field("changed_columns", "list[string]", "For `changed`, the content columns that differ; empty otherwise."),
        Field("summary", "string", "The row in a few words: organisation, measure, amount and period for a fact; "
              "name and type for an organisation (as in the release that has it)."),
    ),
)


@dataclass(frozen=True)
class Change:
    table: str
    key: str
    change: str
    changed_columns: tuple[str, ...]
    summary: str
    # For `changed`: (column, previous value, new value), for CHANGES.md.
    differences: tuple[tuple[str, object, object], ...] = ()


@dataclass
class TableChanges:
    """One table's changes as rows of CHANGES_TABLE (added, then removed, then changed, each by key), and the
    differing values of the changed rows (key -> (column, previous value, new value) ...), for CHANGES.md."""
    rows: pl.DataFrame
    differences: dict[str, tuple[tuple[str, object, object], ...]] = field(default_factory=dict)

    def changes(self, kind: str | None = None, limit: int | None = None) -> list[Change]:
        rows = self.rows if kind is None else self.rows.filter(pl.col("change") == kind)
        rows = rows if limit is None else rows.head(limit)
        return [Change(table, key, change, tuple(columns), summary, self.differences.get(key, ()))
                for table, key, change, columns, summary in rows.iter_rows()]


@dataclass
class ReleaseDiff:
    previous_version: str | None
    # Changes made by hand (a list of Change); `diff_releases` fills `tables` instead, a frame per diffed table.
    changes: list[Change] = field(default_factory=list)
    # Per table: row counts in the previous release and in this one (all released tables).
    row_counts: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    # Per diffed table: columns added to, and removed from, the schema since the previous release.
    columns_added: dict[str, list[str]] = field(default_factory=dict)
    columns_removed: dict[str, list[str]] = field(default_factory=dict)
    tables: list[TableChanges] = field(default_factory=list)

    def count(self, table: str, change: str) -> int:
        return sum(1 for c in self.changes if c.table == table and c.change == change) + sum(
            part.rows.filter((pl.col("table") == table) & (pl.col("change") == change)).height for part in self.tables)

    def is_empty(self) -> bool:
        return not self.changes and all(part.rows.is_empty() for part in self.tables)

    def listed(self, table: str, change: str, limit: int) -> list[Change]:
        """The first `limit` changes of one kind in one table, in the order of data/changes.parquet."""
        found = [c for c in self.changes if c.table == table and c.change == change][:limit]
        for part in self.tables:
            if len(found) < limit:
                rows = part.rows.filter(pl.col("table") == table)
                found += TableChanges(rows, part.differences).changes(change, limit - len(found))
        return found

    def frame(self) -> pl.DataFrame:
        schema = empty_frame(CHANGES_TABLE).schema
        rows = [{"table": c.table, "key": c.key, "change": c.change, "changed_columns": list(c.changed_columns),
                 "summary": c.summary} for c in self.changes]
        parts = [pl.DataFrame(rows, schema=schema)] if rows else []
        parts += [part.rows.cast(schema) for part in self.tables]
        return pl.concat(parts, how="vertical").rechunk() if parts else empty_frame(CHANGES_TABLE)


def read_release_table(release_dir: Path | None, table: str) -> pl.DataFrame | None:
    if release_dir is None:
        return None
    path = release_dir / "data" / f"{table}.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def _release_rows(release_dir: Path | None, table: str) -> int | None:
    path = None if release_dir is None else release_dir / "data" / f"{table}.parquet"
    return pl.scan_parquet(path).select(pl.len()).collect().item() if path is not None and path.is_file() else None


def diff_releases(previous_dir: Path | None, previous_version: str | None,
                  current: dict[str, pl.DataFrame], *, rows_now: dict[str, int] | None = None) -> ReleaseDiff:
    """Compare this release's frames (by table name) with the previous release's data files; `rows_now` gives
    the row counts of every released table (default: those of `current`), in the order CHANGES.md lists them."""
    result = ReleaseDiff(previous_version=previous_version)
    for name, rows in (rows_now or {name: frame.height for name, frame in current.items()}).items():
        result.row_counts[name] = (_release_rows(previous_dir, name), rows)
    orgs_now = current.get("organisations")
    orgs_before = read_release_table(previous_dir, "organisations")
    for name in DIFFED_TABLES:
        if name not in current:
            continue
        before = read_release_table(previous_dir, name)
        now = current[name]
        if before is not None:
            result.columns_added[name] = [c for c in now.columns if c not in before.columns]
            result.columns_removed[name] = [c for c in before.columns if c not in now.columns]
        result.tables.append(table_changes(name, before, now, names_before=orgs_before, names_now=orgs_now))
    return result


def diff_table(name: str, before: pl.DataFrame | None, now: pl.DataFrame, *,
               names_before: dict[str, str] | None = None, names_now: dict[str, str] | None = None) -> list[Change]:
    """Changes of one table, keyed by its primary key in the registry (one column for every diffed table)."""
    def organisations(names: dict[str, str] | None) -> pl.DataFrame | None:
        return None if names is None else pl.DataFrame({"org_id": list(names), "name": list(names.values())},
                                                       schema={"org_id": pl.Utf8, "name": pl.Utf8})
    return table_changes(name, before, now, names_before=organisations(names_before),
                         names_now=organisations(names_now)).changes()


def table_changes(name: str, before: pl.DataFrame | None, now: pl.DataFrame, *,
                  names_before: pl.DataFrame | None = None, names_now: pl.DataFrame | None = None) -> TableChanges:
    """`diff_table` as frames: keys are matched by joins and content compared column by column."""
    (key,) = REGISTRY[name].primary_key
    before = before if before is not None else now.clear()
    compared = [c for c in now.columns if c in before.columns and c != key and c not in LINEAGE_COLUMNS]
    added = now.join(before.select(key), on=key, how="anti").sort(key)
    removed = before.join(now.select(key), on=key, how="anti").sort(key)
    candidates = _candidates(key, compared, before, now)
    changed_keys, columns, differences = [], [], {}
    for new in candidates.sort(key).iter_rows(named=True):
        differing = tuple(c for c in compared if new[f"{c}__before"] != new[c])
        if differing:
            changed_keys.append(new[key])
            columns.append(list(differing))
            differences[new[key]] = tuple((c, new[f"{c}__before"], new[c]) for c in differing)
    changed = now.join(pl.DataFrame({key: changed_keys, "changed_columns": columns},
                                    schema={key: now.schema[key], "changed_columns": pl.List(pl.Utf8)}),
                       on=key, how="inner").sort(key)
    parts = [
        _rows(name, key, "added", added, names_now),
        _rows(name, key, "removed", removed, names_before),
        _rows(name, key, "changed", changed, names_now),
    ]
    return TableChanges(pl.concat(parts, how="vertical"), differences)


def _candidates(key: str, compared: list[str], before: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
    """The rows of both releases (key, each compared column, and its value before as `<column>__before`) whose key
    is in both and that differ in some column, or hold a NaN (which Python's != calls different from itself):
    each is then compared as Python compares values. Compared a column at a time over the matched row numbers,
    so only the candidates are ever joined whole, not two copies of a national table."""
    if not compared:
        return now.select(key).clear()
    matched = now.select(key).with_row_index("_now").join(before.select(key).with_row_index("_before"), on=key,
                                                           how="inner")
    at_now, at_before = matched["_now"], matched["_before"]
    differs = pl.Series("differs", [False] * matched.height, dtype=pl.Boolean)
    for column in compared:
        value, previous = now[column].gather(at_now), before[column].gather(at_before)
        if value.dtype != previous.dtype:
            differs = pl.Series("differs", [True] * matched.height, dtype=pl.Boolean)
            break
        differs = differs | value.ne_missing(previous)
        if value.dtype.is_float():
            differs = differs | (value.is_nan() | previous.is_nan()).fill_null(False)
    rows = matched.filter(differs)
    return pl.concat([now.select(key, *compared)[rows["_now"]],
                      before.select(compared)[rows["_before"]].rename(lambda c: f"{c}__before")], how="horizontal")


def _rows(table: str, key: str, change: str, frame: pl.DataFrame, organisations: pl.DataFrame | None) -> pl.DataFrame:
    columns = pl.col("changed_columns") if "changed_columns" in frame.columns else pl.lit([], pl.List(pl.Utf8))
    return frame.select(
        pl.lit(table, pl.Utf8).alias("table"), pl.col(key).cast(pl.Utf8).alias("key"),
        pl.lit(change, pl.Utf8).alias("change"), columns.alias("changed_columns"),
        summaries(table, frame, organisations).alias("summary"),
    )


def summaries(table: str, frame: pl.DataFrame, organisations: pl.DataFrame | None) -> pl.Expr:
    """Each row's one-line summary, as one expression over `frame` (each sum formatted once per value): "<body>:
    <measure> saving|deficit [qualifier] <amount>[, <period>]", or "<name> (<type>)" for an organisation."""
    if table == "organisations":
        return pl.format("{} ({})", pl.col("name").fill_null("None"), pl.col("org_type").fill_null("None"))
    names = dict(zip(organisations["org_id"].to_list(), organisations["name"].to_list())) \
        if organisations is not None and not frame.is_empty() else {}
    org_ids = [o for o in frame["org_id"].unique().to_list() if o] if not frame.is_empty() else []
    org = pl.col("org_id").replace_strict({o: str(names.get(o, o)) for o in org_ids} or {"": ""}, default=None,
                                          return_dtype=pl.Utf8) \
        .fill_null("unknown body")
    kind = "saving" if table == "savings" else "deficit"
    return pl.concat_str([org, pl.lit(": "), pl.col("measure").fill_null("None"), pl.lit(f" {kind} "),
                          _amount_text(frame), _period_text()])


def _gbp(frame: pl.DataFrame, column: str) -> pl.Expr:
    values = [v for v in frame[column].unique().to_list() if v is not None] if not frame.is_empty() else []
    return pl.col(column).replace_strict({v: format_gbp(v) for v in values} or {0.0: ""}, default=None,
                                         return_dtype=pl.Utf8)


def _amount_text(frame: pl.DataFrame) -> pl.Expr:
    amount = (pl.when(pl.col("amount_gbp").is_not_null()).then(_gbp(frame, "amount_gbp"))
              .when(pl.col("amount_low_gbp").is_not_null() & pl.col("amount_high_gbp").is_not_null())
              .then(pl.concat_str([_gbp(frame, "amount_low_gbp"), pl.lit("-"), _gbp(frame, "amount_high_gbp")]))
              .otherwise(pl.lit("£?")))
    qualifier = pl.col("qualifier")
    return pl.when(qualifier.is_not_null() & (qualifier != "")).then(pl.concat_str([qualifier, pl.lit(" "), amount])) \
        .otherwise(amount)


def _period_text() -> pl.Expr:
    start, end, horizon = pl.col("fy_start"), pl.col("fy_end"), pl.col("horizon_years")
    has_start = start.is_not_null() & (start != "")
    has_end = end.is_not_null() & (end != "")
    return (pl.when(has_start & has_end & (start == end)).then(pl.concat_str([pl.lit(", "), start]))
            .when(has_start & has_end).then(pl.concat_str([pl.lit(", "), start, pl.lit(" to "), end]))
            .when(has_end).then(pl.concat_str([pl.lit(", by "), end]))
            .when(has_start).then(pl.concat_str([pl.lit(", from "), start]))
            .when(horizon.is_not_null() & (horizon != 0))
            .then(pl.concat_str([pl.lit(", over "), horizon.cast(pl.Utf8), pl.lit(" years")]))
            .otherwise(pl.lit("")))
