"""Claims of the fact tables as `pipeline.publish.figures.reconcile` reads them, made up for tests."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.publish.figures import CLAIM_COLUMNS
from schemas import REGISTRY
from schemas.polars_types import POLARS_TYPES

# Each column's type as the table it is read from has it.
_SOURCES = {"fact_id": "fact_candidates", "fact_table": "fact_candidates", "published_on": "articles"}
_TYPES = {name: POLARS_TYPES[REGISTRY[_SOURCES.get(name, "deficits")].field(name).type] for name in CLAIM_COLUMNS}
DEFICIT_MEASURES = {"forecast", "actual", "planned"}


def claim(measure: str, amount: float | None, *, fact_id: str, published_on: dt.date | None = None,
          article_id: str | None = None, org_id: str = "org_" + "1" * 16, fy: str | None = "2016/17",
          qualifier: str | None = None, low: float | None = None, high: float | None = None,
          scope: str = "org") -> dict:
    return {
        "fact_id": fact_id, "fact_table": "deficits" if measure in DEFICIT_MEASURES else "savings",
        "article_id": article_id or fact_id[-16:], "org_id": org_id, "scope": scope, "measure": measure,
        "amount_gbp": amount, "amount_low_gbp": low, "amount_high_gbp": high, "qualifier": qualifier,
        "fy_start": fy, "fy_end": fy, "published_on": published_on,
    }


def claims(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=_TYPES).select(CLAIM_COLUMNS)


def figure_claims(measure: str, amounts: list[float]) -> pl.DataFrame:
    """One claim per amount of one figure, each in an article a month after the one before."""
    prefix = "def" if measure in DEFICIT_MEASURES else "sav"
    return claims(*(claim(measure, amount, fact_id=f"{prefix}_{n:016x}", published_on=dt.date(2016, 6 + n, 1))
                    for n, amount in enumerate(amounts)))
