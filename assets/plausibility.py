"""The plausibility of the published figures as warning-level Dagster asset checks.

One check per fact table lists the facts whose amount is out of scale for the body they are pinned on
(`pipeline.plausibility`: bounds per body type in `pipeline/data/plausibility.csv`). Such a fact is almost always
an attribution error, but the text may be right and the bound wrong, so the check warns and never blocks: the
facts stay published, and a person reads the listed sentences.
"""

import dagster as dg

import polars as pl

from assets.resources import LedgerPaths
from pipeline.plausibility import BOUNDS_CSV, implausible_facts
from schemas.tables import FACT_TABLES

# The UI shows metadata inline: enough facts to act on, never a whole table of them.
LISTED_FACTS = 100


def check_name(table: str) -> str:
    return f"{table}_plausible_amounts"


def _plausibility_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=table, name=check_name(table), blocking=False, additional_deps=["organisations"],
                    description=f"No {table} fact is out of scale for the body it is pinned on (a warning: such a "
                                f"fact is most likely attributed to the wrong body; bounds in "
                                f"pipeline/data/{BOUNDS_CSV.name}).")
    def _check(ledger: LedgerPaths) -> dg.AssetCheckResult:
        flagged = implausible_facts(ledger.warehouse, (table,))
        return dg.AssetCheckResult(
            passed=flagged.height == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "failing_rows": dg.MetadataValue.int(flagged.height),
                "bounds": dg.MetadataValue.path(f"pipeline/data/{BOUNDS_CSV.name}"),
                **({"flagged": dg.MetadataValue.md(listing(flagged))} if flagged.height else {}),
            },
        )

    return _check


def listing(flagged: pl.DataFrame) -> str:
    """The flagged facts as Markdown, each with its body, amount, reason and whole sentence (a table would cut the
    sentence, and the sentence is what a person needs to judge the attribution)."""
    lines = []
    for row in flagged.head(LISTED_FACTS).iter_rows(named=True):
        sentence = " ".join((row["evidence"] or "").split())
        lines += [f"- `{row['fact_id']}` **{row['org_name']}** ({row['org_type']}, {row['scope']}, "
                  f"{row['match_status']}): {row['reason']}",
                  f"  > {sentence}"]
    if flagged.height > LISTED_FACTS:
        lines.append(f"- ... and {flagged.height - LISTED_FACTS} more")
    return "\n".join(lines)


PLAUSIBILITY_CHECKS = [_plausibility_check(table) for table in FACT_TABLES]
