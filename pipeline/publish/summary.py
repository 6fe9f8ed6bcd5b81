"""The end-of-build summary: what the warehouse holds, what was rejected, which checks passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.warehouse import store

COUNTED_TABLES = ("articles", "organisations", "org_mentions", "savings", "deficits", "rejected_inputs")


@dataclass
class BuildSummary:
    warehouse: Path
    rows: dict[str, int]
    rejected: pl.DataFrame
    checks: list[tuple[str, bool]]
    step_failures: list[str] = field(default_factory=list)
    ods_match: str = ""
    web_archive_records: dict[str, int] = field(default_factory=dict)  # warc_records outcome -> records

    @property
    def checks_passed(self) -> int:
        return sum(1 for _, passed in self.checks if passed)


def build_summary(warehouse: Path, checks: list[tuple[str, bool]], step_failures: list[str]) -> BuildSummary:
    # Counts come from the Parquet footers and only the rejected inputs' few columns are read: the summary
    # costs the same whatever the size of the warehouse's text.
    rows = {table: store.table_rows(warehouse, table) for table in COUNTED_TABLES}
    rejected = store.read_columns(warehouse, "rejected_inputs", ["source_path", "reason", "detail"])
    from pipeline.register.report import match_rates, render_match_rates

    ods_match = render_match_rates(match_rates(store.read_table(warehouse, "organisations")))
    records = store.read_columns(warehouse, "warc_records", ["outcome", "n_records"])
    by_outcome = {outcome: int(n) for outcome, n in
                  records.group_by("outcome").agg(pl.col("n_records").sum()).sort("outcome").iter_rows()}
    return BuildSummary(warehouse, rows, rejected, checks, step_failures, ods_match, by_outcome)


def render_summary(summary: BuildSummary) -> str:
    lines = [f"NHS Ledger build: {summary.warehouse}"]
    labels = {"articles": "articles", "organisations": "organisations", "org_mentions": "organisation mentions",
              "savings": "savings", "deficits": "deficits", "rejected_inputs": "rejected inputs"}
    width = max(len(label) for label in labels.values())
    lines += [f"  {labels[t]:<{width}}  {summary.rows[t]:>7,}" for t in COUNTED_TABLES]
    if summary.web_archive_records:
        records = summary.web_archive_records
        lines.append(f"  {'web archive records':<{width}}  {sum(records.values()):>7,} ({records.get('read', 0):,} "
                     f"read as pages; see table warc_records)")
    lines.append(f"  {'checks passed':<{width}}  {summary.checks_passed:>3} of {len(summary.checks)}")
    if summary.ods_match:
        lines.append(f"  {summary.ods_match}")
    for path, reason, detail in summary.rejected.head(20).iter_rows():
        lines.append(f"  rejected: {path}: {reason} ({detail})")
    if summary.rejected.height > 20:
        lines.append(f"  ... and {summary.rejected.height - 20} more rejected inputs (table rejected_inputs)")
    for name, passed in summary.checks:
        if not passed:
            lines.append(f"  FAILED check: {name}")
    for failure in summary.step_failures:
        lines.append(f"  FAILED step: {failure}")
    lines.append(f"  DuckDB: {summary.warehouse / 'nhs_ledger.duckdb'}")
    return "\n".join(lines)
