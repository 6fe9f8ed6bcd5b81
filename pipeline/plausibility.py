"""Whether a figure is of a plausible scale for the body it is pinned on.

A sum far larger than any body of its type has ever reported (a national or sector total on one trust, CCG or
PCT; a single body's deficit above what any body of its type has had) is almost always an attribution error.
This module holds that judgement and nothing else:

* `implausible(org_type, scope, table, amount_gbp)` for one figure, cheap enough for the extractor to call on
  every candidate body while it decides whose figure a sentence states;
* `implausible_facts(warehouse)` for the published facts, which the warning-level asset check lists.

The bounds are data, `pipeline/data/plausibility.csv`: per body type, table and scope, the largest plausible
`amount_gbp`, and why. The reference data (ODS, ONS extracts) carries no budgets, so it gives no per-body scale:
the bound is the data file's. What the register does give is used: a named group of bodies is bounded by the sum
of its members' own bounds, and each flag says whether the body's type was confirmed by an ODS match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Sequence

import polars as pl

from pipeline.data import data_path, read_rows
from pipeline.warehouse import store
from schemas.tables import FACT_ID_COLUMNS, FACT_TABLES, ORG_TYPES, SCOPES

BOUNDS_CSV = data_path("plausibility.csv")
FLAG_COLUMNS = {
    "fact_id": pl.Utf8, "fact_table": pl.Utf8, "article_id": pl.Utf8, "org_id": pl.Utf8, "org_name": pl.Utf8,
    "org_type": pl.Utf8, "scope": pl.Utf8, "match_status": pl.Utf8, "measure": pl.Utf8, "amount_gbp": pl.Float64,
    "max_gbp": pl.Float64, "reason": pl.Utf8, "evidence": pl.Utf8,
}


@dataclass(frozen=True)
class Bound:
    org_type: str
    table: str
    scope: str
    max_gbp: float
    describes: str  # the body as a reason names it: "one trust", "the NHS as a whole"
    why: str


@cache
def bounds(path: Path = BOUNDS_CSV) -> dict[tuple[str, str, str], Bound]:
    """The data file as (table, org_type, scope) -> Bound; every combination of the schema's enums must be there,
    so that no body type escapes the check because someone forgot a row."""
    rows = read_rows(path)
    found: dict[tuple[str, str, str], Bound] = {}
    for line, row in enumerate(rows, start=2):
        bound = Bound(row["org_type"], row["table"], row["scope"], float(row["max_gbp"]), row["describes"],
                      row["why"])
        key = (bound.table, bound.org_type, bound.scope)
        if bound.org_type not in ORG_TYPES or bound.table not in FACT_TABLES or bound.scope not in SCOPES:
            raise ValueError(f"{path.name}:{line}: unknown org_type, table or scope {key}")
        if key in found:
            raise ValueError(f"{path.name}:{line}: {key} given twice")
        if not bound.max_gbp > 0 or not bound.why.strip():
            raise ValueError(f"{path.name}:{line}: a bound needs a positive max_gbp and a why")
        found[key] = bound
    missing = [k for k in ((t, o, s) for t in FACT_TABLES for o in ORG_TYPES for s in SCOPES) if k not in found]
    if missing:
        raise ValueError(f"{path.name}: no bound for {missing}")
    return found


def bound_for(org_type: str | None, scope: str | None, table: str) -> Bound | None:
    """The bound of a body type; None for an unknown type. A figure with no scope yet is judged as one body's
    (`org`): that is what naming a body on its own claims."""
    found = bounds().get((table, org_type, scope or "org"))
    if found is None and table not in FACT_TABLES:
        raise ValueError(f"table must be one of {FACT_TABLES}, not {table!r}")
    return found


def implausible(org_type: str | None, scope: str | None, table: str, amount_gbp: float | None,
                member_types: Sequence[str] = ()) -> str | None:
    """Why `amount_gbp` is out of scale for a body of `org_type` in `scope` in `table` ("savings" or "deficits"),
    or None when it is plausible or cannot be judged (no amount, unknown type).

    `member_types`, for a named list of bodies sharing the figure (a `group` in scope `org`), bounds it by the sum
    of the members' own bounds instead of the type's."""
    if amount_gbp is None:
        return None
    if member_types and (scope or "org") == "org":
        limit = members_bound(member_types, table)
        if limit is not None:
            return None if amount_gbp <= limit else _reason(table, amount_gbp, limit, _members(len(member_types)))
    bound = bound_for(org_type, scope, table)
    if bound is None or amount_gbp <= bound.max_gbp:
        return None
    return _reason(table, amount_gbp, bound.max_gbp, bound.describes)


def members_bound(member_types: Sequence[str | None], table: str) -> float | None:
    """The sum of the `org` bounds of a named list's members; None when a member's type has none."""
    total = 0.0
    for member_type in member_types:
        bound = bound_for(member_type, "org", table)
        if bound is None:
            return None
        total += bound.max_gbp
    return total


def _members(count: int) -> str:
    return f"{count} named bodies together"


def _reason(table: str, amount_gbp: float, max_gbp: float, describes: str) -> str:
    noun = "saving" if table == "savings" else "deficit"
    return f"a {noun} of {format_gbp(amount_gbp)} is above {format_gbp(max_gbp)}, the most plausible for {describes}"


def format_gbp(amount: float) -> str:
    """A sum as the press writes it: £2.45bn, £500m, £850,000."""
    for size, suffix in ((1e9, "bn"), (1e6, "m")):
        if amount >= size:
            return f"£{amount / size:,.2f}".rstrip("0").rstrip(".") + suffix
    return f"£{amount:,.0f}"


# ------------------------------------------------------------------------------------------ on a warehouse

def org_bounds(organisations: pl.DataFrame, table: str) -> pl.DataFrame:
    """Per body of the register: org_id, org_name, org_type, match_status and, for a named group whose members
    the register lists, `members_max_gbp` (the sum of its members' own `org` bounds) and a description."""
    orgs = organisations.select("org_id", pl.col("name").alias("org_name"), "org_type", "match_status",
                                "member_org_ids")
    types = dict(zip(orgs["org_id"], orgs["org_type"]))
    members_max, describes = [], []
    for member_ids in orgs["member_org_ids"].to_list():
        limit = members_bound([types.get(m) for m in member_ids], table) if member_ids else None
        members_max.append(limit)
        describes.append(None if limit is None else _members(len(member_ids)))
    return orgs.drop("member_org_ids").with_columns(
        pl.Series("members_max_gbp", members_max, dtype=pl.Float64),
        pl.Series("members_describes", describes, dtype=pl.Utf8))


def _bounds_frame(table: str) -> pl.DataFrame:
    rows = [b for (t, _, _), b in bounds().items() if t == table]
    return pl.DataFrame({"org_type": [b.org_type for b in rows], "scope": [b.scope for b in rows],
                         "type_max_gbp": [b.max_gbp for b in rows], "type_describes": [b.describes for b in rows]},
                        schema={"org_type": pl.Utf8, "scope": pl.Utf8, "type_max_gbp": pl.Float64,
                                "type_describes": pl.Utf8})


def flag_facts(table: str, facts: pl.DataFrame, orgs: pl.DataFrame) -> pl.DataFrame:
    """The facts of `table` (its stored columns) whose amount is out of scale for their body, in FLAG_COLUMNS;
    `orgs` is `org_bounds` of the register for the table.

    A range is judged by its low end, so only a range wholly out of scale is flagged."""
    id_column = FACT_ID_COLUMNS[table]
    joined = (facts.select(pl.col(id_column).alias("fact_id"), "article_id", "org_id", "scope", "measure",
                           pl.coalesce("amount_gbp", "amount_low_gbp").alias("amount_gbp"), "evidence")
              .join(orgs, on="org_id", how="left")
              .join(_bounds_frame(table), on=["org_type", "scope"], how="left"))
    # A named list's members bound it more closely than the generic group row can.
    use_members = (pl.col("scope") == "org") & pl.col("members_max_gbp").is_not_null()
    flagged = (joined.with_columns(
                   pl.when(use_members).then(pl.col("members_max_gbp")).otherwise(pl.col("type_max_gbp"))
                   .alias("max_gbp"),
                   pl.when(use_members).then(pl.col("members_describes")).otherwise(pl.col("type_describes"))
                   .alias("describes"))
               .filter(pl.col("amount_gbp") > pl.col("max_gbp")))
    reasons = [_reason(table, amount, bound, describes) for amount, bound, describes
               in flagged.select("amount_gbp", "max_gbp", "describes").iter_rows()]
    return (flagged.with_columns(pl.lit(table).alias("fact_table"), pl.Series("reason", reasons, dtype=pl.Utf8))
            .select([pl.col(name).cast(dtype) for name, dtype in FLAG_COLUMNS.items()]))


def implausible_facts(warehouse: Path, tables: tuple[str, ...] = FACT_TABLES) -> pl.DataFrame:
    """Every published fact of `tables` out of scale for its body, with its sentence, in FLAG_COLUMNS.

    Reads the register whole (it is small) and the fact tables a partition and a few columns at a time."""
    organisations = store.read_table(warehouse, "organisations",
                                     columns=["org_id", "name", "org_type", "match_status", "member_org_ids"])
    found = [pl.DataFrame(schema=FLAG_COLUMNS)]
    for table in tables:
        orgs = org_bounds(organisations, table)
        columns = [FACT_ID_COLUMNS[table], "article_id", "org_id", "scope", "measure", "amount_gbp", "amount_low_gbp",
                   "evidence"]
        for batch in store.list_partitions(warehouse, table):
            facts = store.read_partition(warehouse, table, batch, columns=columns)
            if facts.height:
                found.append(flag_facts(table, facts, orgs))
    return pl.concat(found, how="vertical").sort("fact_table", "fact_id")
