"""The register's data files, read once: ODS vocabulary, type eras, curated aliases.

What belongs here: turning `pipeline/data/ods_vocabulary.csv`,
`org_type_eras.csv` and `curated_aliases.csv` into plain Python lookups.
What the words mean for matching or loading is decided in the modules that
use them.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
VOCABULARY_CSV = DATA_DIR / "ods_vocabulary.csv"
ERAS_CSV = DATA_DIR / "org_type_eras.csv"
CURATED_ALIASES_CSV = DATA_DIR / "curated_aliases.csv"

# The types ODS codes exist for: the bodies whose match rate a build reports.
NHS_TYPES = ("CCG", "PCT", "SHA", "ICB", "trust")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


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
