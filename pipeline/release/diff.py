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
class ReleaseDiff:
    previous_version: str | None
    changes: list[Change] = field(default_factory=list)
    # Per table: row counts in the previous release and in this one (all released tables).
    row_counts: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    # Per diffed table: columns added to, and removed from, the schema since the previous release.
    columns_added: dict[str, list[str]] = field(default_factory=dict)
    columns_removed: dict[str, list[str]] = field(default_factory=dict)

    def count(self, table: str, change: str) -> int:
        return sum(1 for c in self.changes if c.table == table and c.change == change)

    def frame(self) -> pl.DataFrame:
        rows = [{"table": c.table, "key": c.key, "change": c.change, "changed_columns": list(c.changed_columns),
                 "summary": c.summary} for c in self.changes]
        return pl.DataFrame(rows, schema=empty_frame(CHANGES_TABLE).schema) if rows else empty_frame(CHANGES_TABLE)


def read_release_table(release_dir: Path | None, table: str) -> pl.DataFrame | None:
    if release_dir is None:
        return None
    path = release_dir / "data" / f"{table}.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def diff_releases(previous_dir: Path | None, previous_version: str | None,
                  current: dict[str, pl.DataFrame]) -> ReleaseDiff:
    """Compare this release's frames (by table name) with the previous release's data files."""
    result = ReleaseDiff(previous_version=previous_version)
    for name, frame in current.items():
        before = read_release_table(previous_dir, name)
        result.row_counts[name] = (None if before is None else before.height, frame.height)
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
        result.changes += diff_table(name, before, now, names_before=_org_names(orgs_before),
                                     names_now=_org_names(orgs_now))
    return result


def diff_table(name: str, before: pl.DataFrame | None, now: pl.DataFrame, *,
               names_before: dict[str, str] | None = None, names_now: dict[str, str] | None = None) -> list[Change]:
    """Changes of one table, keyed by its primary key in the registry (one column for every diffed table)."""
    (key,) = REGISTRY[name].primary_key
    before = before if before is not None else now.clear()
    compared = [c for c in now.columns if c in before.columns and c != key and c not in LINEAGE_COLUMNS]
    old_rows = {row[key]: row for row in before.iter_rows(named=True)}
    new_rows = {row[key]: row for row in now.iter_rows(named=True)}
    changes = []
    for row_key in sorted(new_rows.keys() - old_rows.keys()):
        changes.append(Change(name, row_key, "added", (), summarise(name, new_rows[row_key], names_now or {})))
    for row_key in sorted(old_rows.keys() - new_rows.keys()):
        changes.append(Change(name, row_key, "removed", (), summarise(name, old_rows[row_key], names_before or {})))
    for row_key in sorted(new_rows.keys() & old_rows.keys()):
        old, new = old_rows[row_key], new_rows[row_key]
        differing = tuple(c for c in compared if old[c] != new[c])
        if differing:
            changes.append(Change(name, row_key, "changed", differing, summarise(name, new, names_now or {}),
                                  tuple((c, old[c], new[c]) for c in differing)))
    return changes


def _org_names(organisations: pl.DataFrame | None) -> dict[str, str]:
    if organisations is None:
        return {}
    return dict(zip(organisations["org_id"].to_list(), organisations["name"].to_list()))


def summarise(table: str, row: dict, org_names: dict[str, str]) -> str:
    if table == "organisations":
        return f"{row['name']} ({row['org_type']})"
    org = org_names.get(row.get("org_id"), row.get("org_id") or "unknown body")
    kind = "saving" if table == "savings" else "deficit"
    return f"{org}: {row['measure']} {kind} {format_amount(row)}{_period(row)}"


def format_amount(row: dict) -> str:
    if row.get("amount_gbp") is not None:
        amount = format_gbp(row["amount_gbp"])
    elif row.get("amount_low_gbp") is not None and row.get("amount_high_gbp") is not None:
        amount = f"{format_gbp(row['amount_low_gbp'])}-{format_gbp(row['amount_high_gbp'])}"
    else:
        amount = "£?"
    return f"{row['qualifier']} {amount}" if row.get("qualifier") else amount


def _period(row: dict) -> str:
    start, end, horizon = row.get("fy_start"), row.get("fy_end"), row.get("horizon_years")
    if start and end:
        return f", {start}" if start == end else f", {start} to {end}"
    if end:
        return f", by {end}"
    if start:
        return f", from {start}"
    if horizon:
        return f", over {horizon} years"
    return ""
