"""The data contract's checks: schema rules from `schemas/` and the invariants of CONTRACT.md.

Each check returns a `CheckResult` naming the rule and, when it fails, the
offending rows, so a failure says what failed and where, not just "failed".
The same functions run as Dagster asset checks, in `nhs-ledger build`'s summary
and in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandera.errors
import polars as pl

from pipeline import store
from schemas import REGISTRY
from schemas.pandera_models import pandera_schema
from schemas.polars_types import empty_frame

FACT_TABLES = {"savings": "saving_id", "deficits": "deficit_id"}


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


def schema_check(table: str, frame: pl.DataFrame) -> CheckResult:
    """Types, enums, patterns, bounds, nullability and uniqueness, generated from the registry.

    Each failure names the column, the rule, the failing value and the row's key."""
    try:
        pandera_schema(table).validate(frame, lazy=True)
        failures = pl.DataFrame()
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failures = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        failures = failures.select([c for c in ("column", "check", "failure_case", "index") if c in failures.columns])
        failures = failures.with_columns([pl.col(c).cast(pl.Utf8) for c in failures.columns])
        failures = _with_row_keys(table, frame, failures)
    except pandera.errors.SchemaError as exc:
        failures = pl.DataFrame({"column": [str(getattr(exc, "column_name", ""))], "check": [str(exc)]})
    return _result(f"{table}_schema", table, f"{table} matches its schema in schemas/", failures)


def _with_row_keys(table: str, frame: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    key = REGISTRY[table].primary_key[0]
    if "index" not in failures.columns or key not in frame.columns:
        return failures
    keys = frame.select(pl.int_range(pl.len()).cast(pl.Utf8).alias("index"), pl.col(key).cast(pl.Utf8).alias("row_key"))
    return failures.join(keys, on="index", how="left")


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
    values = frame.filter(pl.col(column).is_not_null())
    bad = values.join(parent.select(pl.col(parent_column).alias(column)), on=column, how="anti")
    return _result(f"{table}_{column}_exists_in_{parent_name}", table,
                   f"every {column} in {table} exists in {parent_name}", bad.select(list(dict.fromkeys([*_key(table), column]))))


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


def _articles_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    return [schema_check("articles", t["articles"]), unique_check("articles", t["articles"], "article_id")]


def _rejected_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    return [schema_check("rejected_inputs", t["rejected_inputs"])]


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


def _mentions_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    mentions = t["org_mentions"]
    return [
        schema_check("org_mentions", mentions),
        span_check("org_mentions", mentions, t["articles"], "surface"),
        foreign_key_check("org_mentions", mentions, "article_id", t["articles"], "article_id", "articles"),
        foreign_key_check("org_mentions", mentions, "org_id", t["organisations"], "org_id", "organisations"),
    ]


def _fact_checks(table: str):
    def checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
        frame = t[table]
        results = [
            schema_check(table, frame),
            unique_check(table, frame, FACT_TABLES[table]),
            span_check(table, frame, t["articles"], "evidence"),
            foreign_key_check(table, frame, "article_id", t["articles"], "article_id", "articles"),
            foreign_key_check(table, frame, "org_id", t["organisations"], "org_id", "organisations"),
            amounts_check(table, frame),
            periods_check(table, frame),
        ]
        if table == "savings":
            results.append(foreign_key_check("savings", frame, "parent_saving_id", frame, "saving_id", "savings"))
        return results
    return checks


def _evidence_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    evidence = t["fact_evidence"]
    facts = pl.concat([t["savings"].select(pl.col("saving_id").alias("fact_id")),
                       t["deficits"].select(pl.col("deficit_id").alias("fact_id"))])
    primaries = evidence.filter(pl.col("is_primary")).group_by("fact_id").len()
    return [
        schema_check("fact_evidence", evidence),
        span_check("fact_evidence", evidence, t["articles"], "evidence"),
        foreign_key_check("fact_evidence", evidence, "fact_id", facts, "fact_id", "facts"),
        foreign_key_check("fact_evidence", evidence, "article_id", t["articles"], "article_id", "articles"),
        _result("fact_evidence_one_primary_per_fact", "fact_evidence",
                "every fact has exactly one primary statement",
                facts.join(primaries, on="fact_id", how="left").filter(pl.col("len").fill_null(0) != 1)),
    ]


def _runs_checks(t: dict[str, pl.DataFrame]) -> list[CheckResult]:
    return [schema_check("runs", t["runs"]), unique_check("runs", t["runs"], "run_id")]


# For each public table: the tables its checks read, and the checks.
TABLE_CHECKS = {
    "articles": (("articles",), _articles_checks),
    "rejected_inputs": (("rejected_inputs",), _rejected_checks),
    "organisations": (("organisations",), _organisations_checks),
    "org_successions": (("org_successions", "organisations"), _successions_checks),
    "org_mentions": (("org_mentions", "articles", "organisations"), _mentions_checks),
    "savings": (("savings", "articles", "organisations"), _fact_checks("savings")),
    "deficits": (("deficits", "articles", "organisations"), _fact_checks("deficits")),
    "fact_evidence": (("fact_evidence", "savings", "deficits", "articles"), _evidence_checks),
    "runs": (("runs",), _runs_checks),
}
PUBLIC_TABLES = tuple(TABLE_CHECKS)


def table_checks(table: str, tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    # A table the caller did not pass is an empty one (as an unwritten table reads back).
    needs = TABLE_CHECKS[table][0]
    tables = {**{name: empty_frame(REGISTRY[name]) for name in needs if name not in tables}, **tables}
    return TABLE_CHECKS[table][1](tables)


def contract_checks(tables: dict[str, pl.DataFrame]) -> list[CheckResult]:
    """Every invariant of CONTRACT.md over a set of public tables."""
    return [result for table in TABLE_CHECKS for result in table_checks(table, tables)]


def warehouse_checks(warehouse: Path) -> list[CheckResult]:
    return contract_checks({name: store.read_table(warehouse, name) for name in PUBLIC_TABLES})
