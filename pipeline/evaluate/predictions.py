"""What a built warehouse predicts, read out of its DuckDB file as plain Python values.

What belongs here: the prediction dataclasses, `load_predictions` (read-only),
and how a warehouse article's source path names its gold article. What does
not: scoring, and any writing to the warehouse.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.evaluate.errors import WarehouseError

WAREHOUSE_DB_NAME = "nhs_ledger.duckdb"

@dataclass(frozen=True)
class PredictedArticle:
    article_id: str
    source_path: str

    @property
    def gold_key(self) -> str:
        return gold_key_of_source_path(self.source_path)


@dataclass(frozen=True)
class PredictedOrg:
    org_id: str
    name: str
    org_type: str | None = None
    aliases: tuple[str, ...] = ()
    member_org_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PredictedFact:
    fact_id: str
    table: str
    article_id: str
    org_id: str
    scope: str | None
    measure: str | None
    amount_gbp: float | None
    amount_low_gbp: float | None = None
    amount_high_gbp: float | None = None
    fy_start: str | None = None
    fy_end: str | None = None
    horizon_years: int | None = None
    evidence: str | None = None


@dataclass
class Predictions:
    """What the scorer needs from a warehouse, as plain Python values."""

    articles: list[PredictedArticle]
    orgs: dict[str, PredictedOrg]
    mentions: dict[str, set[str]]  # article_id -> org_ids mentioned in it
    facts: list[PredictedFact]

    def names_of(self, org_id: str) -> set[str]:
        """Name and aliases of an org, and for a group those of every member too."""
        org = self.orgs.get(org_id)
        if org is None:
            return set()
        names = {org.name, *org.aliases}
        for member_id in org.member_org_ids:
            member = self.orgs.get(member_id)
            if member is not None:
                names.update({member.name, *member.aliases})
        return names

    def label_of(self, org_id: str) -> str:
        org = self.orgs.get(org_id)
        if org is None:
            return f"<unknown org {org_id}>"
        members = [self.orgs[m].name for m in org.member_org_ids if m in self.orgs]
        return f"{org.name} [{' + '.join(members)}]" if members else org.name


_RECORD_SUFFIX = re.compile(r"#\d+$")


def gold_key_of_source_path(source_path: str) -> str:
    """The gold `article` value a source path stands for: its basename without any `#N`."""
    without_record = _RECORD_SUFFIX.sub("", source_path)
    return re.split(r"[\\/]", without_record)[-1]


_FACT_COLUMNS = ("article_id, org_id, scope, measure, amount_gbp, amount_low_gbp, amount_high_gbp, "
                 "fy_start, fy_end, horizon_years, evidence")


def load_predictions(warehouse: Path) -> Predictions:
    """Read articles, organisations, mentions and facts from <warehouse>/nhs_ledger.duckdb (read-only)."""
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise WarehouseError(f"warehouse folder not found: {warehouse}")
    if not warehouse.is_dir():
        raise WarehouseError(f"warehouse must be a folder holding {WAREHOUSE_DB_NAME}: {warehouse}")
    db_path = warehouse / WAREHOUSE_DB_NAME
    if not db_path.exists():
        raise WarehouseError(f"no {WAREHOUSE_DB_NAME} in {warehouse}; build the warehouse first")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        # Most often a build still holds the write lock.
        raise WarehouseError(f"cannot open {db_path}: {_first_line(exc)}") from exc
    try:
        return Predictions(
            articles=[PredictedArticle(*row) for row in _query(
                con, "articles", "SELECT article_id, source_path FROM articles ORDER BY article_id")],
            orgs={row[0]: PredictedOrg(row[0], row[1], row[2], tuple(row[3] or ()), tuple(row[4] or ()))
                  for row in _query(con, "organisations",
                                    "SELECT org_id, name, org_type, aliases, member_org_ids FROM organisations")},
            mentions=_mentions_by_article(_query(
                con, "org_mentions", "SELECT DISTINCT article_id, org_id FROM org_mentions")),
            facts=[fact for table, id_column in (("savings", "saving_id"), ("deficits", "deficit_id"))
                   for fact in _load_facts(con, table, id_column)],
        )
    finally:
        con.close()


def _query(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> list[tuple]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read table {table} of the warehouse: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _mentions_by_article(rows: list[tuple]) -> dict[str, set[str]]:
    mentions: dict[str, set[str]] = defaultdict(set)
    for article_id, org_id in rows:
        mentions[article_id].add(org_id)
    return dict(mentions)


def _load_facts(con: duckdb.DuckDBPyConnection, table: str, id_column: str) -> list[PredictedFact]:
    rows = _query(con, table, f"SELECT {id_column}, {_FACT_COLUMNS} FROM {table} ORDER BY {id_column}")
    return [
        PredictedFact(
            fact_id=fact_id, table=table, article_id=article_id, org_id=org_id, scope=scope,
            measure=measure, amount_gbp=_float_or_none(amount), amount_low_gbp=_float_or_none(low),
            amount_high_gbp=_float_or_none(high), fy_start=fy_start, fy_end=fy_end,
            horizon_years=None if horizon is None else int(horizon), evidence=evidence,
        )
        for fact_id, article_id, org_id, scope, measure, amount, low, high, fy_start, fy_end, horizon, evidence
        in rows
    ]


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
