"""How well the register is joined to ODS: match rates per type and the unmatched bodies.

What belongs here: figures computed from the `organisations` table alone,
so a build, a release and a user's own query agree (PUDL's users watch the
same number). Only bodies the articles name count; bodies present only as
successors come from the reference data and always carry a code, and
collectives ("CCGs", "30 trusts") are no bodies.
"""

from __future__ import annotations

import polars as pl

from pipeline.register.vocabulary import NHS_TYPES


def _named_nhs_bodies(organisations: pl.DataFrame) -> pl.DataFrame:
    # A collective ("30 trusts") is no body: no ODS code could stand for it.
    return organisations.filter(pl.col("org_type").is_in(NHS_TYPES) & (pl.col("n_articles") > 0)
                                & (pl.col("match_status") != "collective"))


def match_rates(organisations: pl.DataFrame) -> dict[str, dict[str, float]]:
    """{org_type: {"bodies", "with_ods_code", "rate"}} for the NHS types, and "all" for them together."""
    bodies = _named_nhs_bodies(organisations)
    rates: dict[str, dict[str, float]] = {}
    for org_type in (*NHS_TYPES, "all"):
        rows = bodies if org_type == "all" else bodies.filter(pl.col("org_type") == org_type)
        if rows.height == 0 and org_type != "all":
            continue
        coded = rows.filter(pl.col("ods_code").is_not_null()).height
        rates[org_type] = {"bodies": rows.height, "with_ods_code": coded,
                           "rate": round(coded / rows.height, 4) if rows.height else 0.0}
    return rates


def unmatched(organisations: pl.DataFrame) -> pl.DataFrame:
    """Bodies of NHS types named in the articles with no ODS code, and why (no candidate, ambiguous, ...)."""
    return (_named_nhs_bodies(organisations).filter(pl.col("ods_code").is_null())
            .select("org_id", "name", "org_type", "match_status", "match_reason", "n_articles")
            .sort("org_type", "name"))


def render_match_rates(rates: dict[str, dict[str, float]]) -> str:
    """One line for a build summary: "ODS codes: 93% of 130 NHS bodies (CCG 36/39, ICB 10/10, ...)"."""
    total = rates.get("all", {"bodies": 0})
    if not total["bodies"]:
        return "ODS codes: no NHS bodies"
    parts = ", ".join(f"{t} {r['with_ods_code']}/{r['bodies']}" for t, r in rates.items() if t != "all")
    return f"ODS codes: {total['rate']:.0%} of {total['bodies']} NHS bodies ({parts})"
