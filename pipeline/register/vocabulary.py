"""The register's data files, read once: ODS vocabulary, type eras, curated aliases.

What belongs here: turning `pipeline/data/ods_vocabulary.csv`,
`org_type_eras.csv` and `curated_aliases.csv` into plain Python lookups.
What the words mean for matching or loading is decided in the modules that
use them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.data import data_path, read_rows

VOCABULARY_CSV = data_path("ods_vocabulary.csv")
ERAS_CSV = data_path("org_type_eras.csv")
CURATED_ALIASES_CSV = data_path("curated_aliases.csv")

# The types ODS codes exist for: the bodies whose match rate a build reports.
NHS_TYPES = ("CCG", "PCT", "SHA", "ICB", "trust")


def _rows(path: Path) -> list[dict[str, str]]:
    return read_rows(path, strip=True)


@cache
def vocabulary(kind: str) -> dict[str, str]:
    """value -> means for one kind of row of ods_vocabulary.csv, in file order."""
    return {row["value"]: row["means"] for row in _rows(VOCABULARY_CSV) if row["kind"] == kind}


@dataclass(frozen=True)
class Era:
    org_type: str
    began: dt.date | None
    ended: dt.date | None
    successor_type: str | None


@cache
def eras() -> dict[str, Era]:
    def day(text: str) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    return {row["org_type"]: Era(row["org_type"], day(row["began"]), day(row["ended"]), row["successor_type"] or None)
            for row in _rows(ERAS_CSV)}


@dataclass(frozen=True)
class CuratedAlias:
    alias: str
    canonical: str
    org_type: str


@cache
def curated_aliases() -> tuple[CuratedAlias, ...]:
    return tuple(CuratedAlias(r["alias"], r["canonical"], r["org_type"]) for r in _rows(CURATED_ALIASES_CSV))
