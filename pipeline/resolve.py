"""The organisations register: one row per body, from every mention and fact the extractor found.

Bodies are identified by their normalised org key (`<type>:<name>`), so the
same body named in different articles is one row; the register gives each key a
stable `org_id` derived from it. Groups (bodies sharing a figure) and collectives
(regions, counts of bodies, the NHS) come from the facts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import polars as pl

from pipeline import store
from pipeline.extract.extractor import stable_id
from schemas import REGISTRY
from schemas.polars_types import polars_schema


def org_id_for(key: str) -> str:
    return stable_id("org", key)


def build_register(mentions: pl.DataFrame, facts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(organisations, org_keys) from the staging candidates of every batch."""
    names: dict[str, Counter] = defaultdict(Counter)
    types: dict[str, str] = {}
    aliases: dict[str, set[str]] = defaultdict(set)
    articles: dict[str, set[str]] = defaultdict(set)
    members: dict[str, list[str]] = {}

    def see(key: str, name: str, org_type: str, article_id: str, surface: str | None = None) -> None:
        names[key][name] += 1
        types.setdefault(key, org_type)
        aliases[key].add(surface or name)
        articles[key].add(article_id)

    for row in mentions.iter_rows(named=True):
        see(row["org_key"], row["org_name"], row["org_type"], row["article_id"], row["surface"])
    for row in facts.iter_rows(named=True):
        see(row["org_key"], row["org_name"], row["org_type"], row["article_id"])
        if row["member_org_keys"]:
            members[row["org_key"]] = list(row["member_org_keys"])
            for key, name, org_type in zip(row["member_org_keys"], row["member_names"], row["member_types"]):
                see(key, name, org_type, row["article_id"])
    rows = []
    for key in sorted(names):
        rows.append({
            "org_id": org_id_for(key),
            "name": _canonical_name(names[key]),
            "org_type": types[key],
            "ods_code": None,
            "aliases": sorted(aliases[key]),
            "member_org_ids": [org_id_for(m) for m in members.get(key, [])],
            "n_articles": len(articles[key]),
        })
    organisations = pl.DataFrame(rows, schema=polars_schema(REGISTRY["organisations"]))
    org_keys = pl.DataFrame({"org_key": sorted(names), "org_id": [org_id_for(k) for k in sorted(names)]},
                            schema=polars_schema(REGISTRY["org_keys"]))
    return organisations, org_keys


def _canonical_name(seen: Counter) -> str:
    # The fullest form is the most official one ("NHS Salford CCG" over "Salford CCG"); ties go to the commonest.
    return max(seen.items(), key=lambda item: (len(item[0]), item[1], item[0]))[0]


def resolve(warehouse: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    organisations, org_keys = build_register(
        store.read_table(warehouse, "mention_candidates"), store.read_table(warehouse, "fact_candidates"))
    store.write_table(warehouse, "organisations", organisations)
    store.write_table(warehouse, "org_keys", org_keys)
    return organisations, org_keys
