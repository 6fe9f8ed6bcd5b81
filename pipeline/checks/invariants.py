"""The invariants of CONTRACT.md that no declaration in `schemas/` expresses, written by hand.

Each is a rule of one table's rows that is about what the rows mean, not about their types, keys or references
(which are declared in `schemas/` and checked by `schema.py` and `derived.py`):

* the fact tables' amounts and periods (two columns together, or a value's form beyond its pattern);
* an organisation's members, its ODS code where set, and its dates of existence;
* no body succeeds itself;
* every fact has exactly one primary statement;
* a figure's claims exist, its best claim is one of them, it counts them, and its best value lies in their range;
* each web archive's records read, and the one where it broke, are each one row of articles or rejected inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

from pipeline.checks.derived import referenced_keys, references
from pipeline.checks.results import CheckResult
from pipeline.checks.sources import Tables
from schemas import REGISTRY
from schemas.tables import FACT_TABLES

# ------------------------------------------------------------------------------------------ one row at a time


def amounts_check(table: str, frame: pl.DataFrame) -> CheckResult:
    single = pl.col("amount_gbp").is_not_null()
    both_bounds = pl.col("amount_low_gbp").is_not_null() & pl.col("amount_high_gbp").is_not_null()
    bad = frame.filter(
        ~(single | both_bounds)
        | (pl.col("amount_gbp") <= 0).fill_null(False)
        | (pl.col("amount_low_gbp") <= 0).fill_null(False)
        | (pl.col("amount_low_gbp") > pl.col("amount_high_gbp")).fill_null(False)
    )
    return CheckResult(f"{table}_amounts_valid", table,
                       "amounts positive; amount_gbp or both bounds set; low <= high",
                       bad.select(REGISTRY[table].primary_key[0], "amount_gbp", "amount_low_gbp", "amount_high_gbp"))


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
    return CheckResult(f"{table}_periods_valid", table, "fy_start <= fy_end, each YYYY/YY with consecutive years",
                       bad.select(REGISTRY[table].primary_key[0], "fy_start", "fy_end"))


def row_invariants(table: str, rows: pl.DataFrame) -> list[CheckResult]:
    """The hand-written rules about one row at a time: a partitioned table's run part by part."""
    if table in FACT_TABLES:
        return [amounts_check(table, rows), periods_check(table, rows)]
    return []


# ------------------------------------------------------------------------------------------ across rows

def _organisations(organisations: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    # A list column: no foreign key (of the release's Table Schema or of `schemas/`) can point from its items.
    members = organisations.select(pl.col("member_org_ids").explode().alias("member_org_id")).drop_nulls()
    missing = members.join(organisations.select(pl.col("org_id").alias("member_org_id")), on="member_org_id",
                           how="anti")
    coded = organisations.filter(pl.col("ods_code").is_not_null())
    return [
        CheckResult("organisations_members_exist", "organisations", "every member_org_id exists in organisations",
                    missing),
        # One row per real body: two rows with one ODS code would be one body split in two.
        CheckResult("organisations_ods_code_unique", "organisations", "ods_code is unique where set",
                    coded.group_by("ods_code").agg(pl.col("org_id")).filter(pl.col("org_id").list.len() > 1)),
        CheckResult("organisations_validity_ordered", "organisations", "valid_from <= valid_to",
                    organisations.filter(pl.col("valid_from") > pl.col("valid_to")).select(
                        "org_id", "valid_from", "valid_to")),
    ]


def _successions(successions: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    key = list(REGISTRY["org_successions"].primary_key)
    return [CheckResult("org_successions_not_self", "org_successions", "no body succeeds itself",
                        successions.filter(pl.col("predecessor_org_id") == pl.col("successor_org_id")).select(key))]


def _statements(keys: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    # The facts as the reference `fact_id` declares them (schemas/: fact_evidence's checked_references).
    (facts_ref,) = [ref for ref in references("fact_evidence") if ref.column == "fact_id"]
    facts = referenced_keys("fact_evidence", facts_ref, keys, tables)
    primaries = keys.filter(pl.col("is_primary")).group_by("fact_id").len()
    return [CheckResult("fact_evidence_one_primary_per_fact", "fact_evidence",
                        "every fact has exactly one primary statement",
                        facts.join(primaries, on="fact_id", how="left").filter(pl.col("len").fill_null(0) != 1))]


def _figures(figures: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    # A list column: no foreign key can point from its items, so the claims are looked up here.
    (facts_ref,) = [ref for ref in references("figures") if ref.column == "best_fact_id"]
    facts = referenced_keys("figures", facts_ref, figures, tables).rename({"best_fact_id": "fact_id"})
    claims = figures.select("figure_id", pl.col("fact_ids").alias("fact_id")).explode("fact_id")
    best = pl.col("amount_gbp")
    return [
        CheckResult("figures_claims_exist", "figures", "every fact_ids entry exists in savings or deficits",
                    claims.join(facts, on="fact_id", how="anti")),
        CheckResult("figures_best_among_claims", "figures", "best_fact_id is one of fact_ids",
                    figures.filter(~pl.col("fact_ids").list.contains(pl.col("best_fact_id")))
                    .select("figure_id", "best_fact_id")),
        CheckResult("figures_reports_counted", "figures", "n_reports is the number of fact_ids, all distinct",
                    figures.filter((pl.col("fact_ids").list.len() != pl.col("n_reports"))
                                   | (pl.col("fact_ids").list.n_unique() != pl.col("n_reports")))
                    .select("figure_id", "n_reports")),
        CheckResult("figures_have_a_year", "figures", "fy_start or fy_end is set",
                    figures.filter(pl.col("fy_start").is_null() & pl.col("fy_end").is_null()).select("figure_id")),
        CheckResult("figures_best_within_claims", "figures", "min_gbp <= amount_gbp <= max_gbp (or the best "
                    "range's bounds, when it states one)",
                    figures.filter((pl.col("min_gbp") > pl.col("max_gbp"))
                                   | (pl.col("min_gbp") > pl.coalesce(best, "amount_low_gbp"))
                                   | (pl.coalesce(best, "amount_high_gbp") > pl.col("max_gbp")))
                    .select("figure_id", "min_gbp", "amount_gbp", "max_gbp")),
    ]


def _warc_records(counts: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    # A record read becomes an article or a rejected input, and so does the record where a file broke, each with
    # the source path `<file>#<offset>`: their number per file is the counts' for those two outcomes.
    rows = pl.concat([tables.columns(table, ["source_path"]) for table in ("articles", "rejected_inputs")])
    landed = (rows.filter(pl.col("source_path").str.contains("#", literal=True))
              .select(pl.col("source_path").str.replace(r"#[^#]*$", "").alias("source_path"))
              .group_by("source_path").len("landed"))
    expected = (counts.filter(pl.col("outcome").is_in(["read", "broken"]))
                .group_by("source_path").agg(pl.col("n_records").sum().cast(pl.Int64).alias("expected")))
    files = counts.select("source_path").unique()
    joined = (files.join(expected, on="source_path", how="left").join(landed, on="source_path", how="left")
              .with_columns(pl.col("expected").fill_null(0), pl.col("landed").fill_null(0).cast(pl.Int64)))
    return [CheckResult("warc_records_read_landed", "warc_records", "each WARC file's records read or broken are "
                        "as many rows of articles and rejected_inputs (`<file>#<offset>`)",
                        joined.filter(pl.col("expected") != pl.col("landed")))]


@dataclass(frozen=True)
class Invariants:
    """A table's hand-written rules across rows, and the columns they read (of a partitioned table, which they
    see as its key columns only; the other tables they see whole)."""
    columns: tuple[str, ...]
    checks: Callable[[pl.DataFrame, Tables], list[CheckResult]]


TABLE_INVARIANTS = {
    "organisations": Invariants(("org_id", "ods_code", "member_org_ids", "valid_from", "valid_to"), _organisations),
    "org_successions": Invariants(("predecessor_org_id", "successor_org_id", "effective_on"), _successions),
    "fact_evidence": Invariants(("fact_id", "is_primary"), _statements),
    "warc_records": Invariants(("source_path", "outcome", "n_records"), _warc_records),
    "figures": Invariants(("figure_id", "best_fact_id", "fact_ids", "n_reports", "fy_start", "fy_end", "amount_gbp",
                           "amount_low_gbp", "amount_high_gbp", "min_gbp", "max_gbp"), _figures),
}


def table_invariants(table: str, frame: pl.DataFrame, tables: Tables) -> list[CheckResult]:
    invariants = TABLE_INVARIANTS.get(table)
    return invariants.checks(frame, tables) if invariants else []


def invariant_columns(table: str) -> tuple[str, ...]:
    invariants = TABLE_INVARIANTS.get(table)
    return invariants.columns if invariants else ()
