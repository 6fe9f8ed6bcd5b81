"""The naming data of public bodies, read once at import: type words, known bodies, curated aliases, word lists.

What belongs here: reading `pipeline/data/org_patterns.csv`, `org_known_bodies.csv` and `org_aliases.csv`
into the tables the recogniser looks things up in (type words as `_Suffix`, known bodies as `_Known`, the
stop words, era dates and signals), and `_fold`, the form those tables are keyed by. What does not: regexes
built from the tables (`name_scan`), the parsing that uses them (`name_parsing`), keys (`body_keys`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pipeline.data import read_rows


# ---------------------------------------------------------------- data files

@dataclass(frozen=True, slots=True)
class _Suffix:
    phrase: str
    org_type: str
    plural: bool       # "CCGs": a list of bodies, or a collective when only one place is named
    key_suffix: str    # what the phrase becomes in the key ("" for most; "lmc" for LMCs)
    rule_id: str


@dataclass(frozen=True, slots=True)
class _Known:
    canonical: str
    org_type: str      # "" for an excluded body (think tank, membership body, publisher)
    excluded: bool


def _fold(text: str) -> str:
    """Case, curly quotes and spacing set aside: the form looked up in the data tables."""
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


_PATTERN_ROWS = read_rows("org_patterns.csv", strip=True)


def _values(kind: str) -> list[dict[str, str]]:
    return [row for row in _PATTERN_ROWS if row["kind"] == kind]


_SUFFIXES = [
    _Suffix(r["value"], r["org_type"], r["number"] == "many", r["key_suffix"], r["rule_id"])
    for r in _values("suffix")
]
_SUFFIX_BY_FOLD = {_fold(s.phrase): s for s in _SUFFIXES}
_SUFFIX_CASE = {_fold(r["value"]): r["case"] for r in _values("suffix")}
_PREFIXES = {_fold(r["value"]): r for r in _values("prefix")}
_LEAD_STOP = frozenset(r["value"] for r in _values("lead_stop"))
_PERSON_TITLE = frozenset(r["value"] for r in _values("person_title"))
_OF_HEAD = frozenset(r["value"] for r in _values("of_head"))
_NHS_STOP = frozenset(r["value"] for r in _values("nhs_stop"))
_BODY_NOUNS = frozenset(r["value"] for r in _values("body_noun"))
_COUNT_WORDS = frozenset(r["value"] for r in _values("count_word"))
_KIND_WORDS = frozenset(r["value"] for r in _values("kind_word"))
_ADJECTIVE_ENDINGS = tuple(r["value"] for r in _values("adjective_ending"))
_NHS_BRANDED = frozenset(r["value"] for r in _values("nhs_branded"))
_NHS_PREFIXED = frozenset(r["value"] for r in _values("nhs_prefixed"))
_ERA_STARTS = sorted((datetime.date.fromisoformat(r["value"]), r["org_type"]) for r in _values("era_start"))
_PCT_MENTIONS_UNTIL = datetime.date.fromisoformat(_values("pct_mentions_until")[0]["value"])
_ERA_SIGNALS = [(r["value"], r["org_type"], r["case"]) for r in _values("era_signal")]


# ---------------------------------------------------------------- known bodies and aliases

def _load_known() -> tuple[dict[str, _Known], dict[tuple[str, str], str], list[str]]:
    """(folded name or alias -> known body, curated place aliases, every known spelling)."""
    known: dict[str, _Known] = {}
    for row in read_rows("org_known_bodies.csv", strip=True):
        known[_fold(row["name"])] = _Known(row["name"], row["org_type"], row["status"] == "exclude")
    place_aliases: dict[tuple[str, str], str] = {}
    for row in read_rows("org_aliases.csv", strip=True):
        target = known.get(_fold(row["canonical"]))
        if target is not None:
            known[_fold(row["alias"])] = target
        else:
            place_aliases[(row["org_type"] or "*", row["alias"])] = row["canonical"]
    spellings = [row["name"] for row in read_rows("org_known_bodies.csv", strip=True)]
    spellings += [row["alias"] for row in read_rows("org_aliases.csv", strip=True) if _fold(row["canonical"]) in known]
    return known, place_aliases, spellings


_KNOWN, _PLACE_ALIASES_RAW, _KNOWN_SPELLINGS = _load_known()
