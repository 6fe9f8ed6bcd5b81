"""How the scorer compares organisation names, as devset/GUIDELINES.md ("How a prediction is scored") says.

What belongs here: the name normaliser (`normalise_org_name`, public so that other
steps compare names the way the scorer does) and the kinds of collectives
(`collective_kinds`: "150 trusts that overspent", "the trust sector",
"providers" and "NHS trusts" are all trusts). The collective nouns and the count
and determiner words set aside before them are the data table
`pipeline/data/evaluation_collectives.csv`, kept apart from the extractor's own
word lists so that the scorer never inherits the extractor's mistakes.

What does not belong here: deciding which names a fact may be matched through
(gold aliases, group members: `scoring`) and the matching itself (`matching`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Iterable

from pipeline.data import data_path, read_rows

COLLECTIVES_CSV = data_path("evaluation_collectives.csv")

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201f": '"'})
_POSSESSIVE = re.compile(r"'s\b")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_DESIGNATORS = (
    "ccg", "pct", "icb", "sha", "trust", "nhs trust", "nhs foundation trust", "foundation trust",
    "clinical commissioning group", "primary care trust", "integrated care board",
    "strategic health authority",
)
# Longest first, so "nhs foundation trust" goes as a whole before "trust" could split it.
_DESIGNATOR_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(d) for d in sorted(_DESIGNATORS, key=len, reverse=True)) + r")\b"
)


class _Collectives:
    """The rows of evaluation_collectives.csv: collective nouns by kind, and the words that may lead them."""

    def __init__(self, rows: Iterable[dict[str, str]]) -> None:
        self.kind_of: dict[str, str] = {}
        self.leading: set[str] = set()
        for row in rows:
            phrase = _clean(row["phrase"])
            if row["role"] == "collective":
                self.kind_of[phrase] = row["kind"]
            elif row["role"] == "lead":
                self.leading.add(phrase)
            else:
                raise ValueError(f"{COLLECTIVES_CSV.name}: unknown role {row['role']!r}")
        # Longest first: "primary care trusts" is PCTs, not trusts.
        self.nouns = re.compile(
            r"\b(?:" + "|".join(re.escape(p) for p in sorted(self.kind_of, key=len, reverse=True)) + r")\b")


@cache
def _collectives() -> _Collectives:
    return _Collectives(read_rows(COLLECTIVES_CSV))


def _clean(name: str) -> str:
    text = name.translate(_CURLY).lower()
    text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _strip_leading_word(text: str, word: str) -> str:
    if text == word:
        return ""
    if text.startswith(word + " "):
        return text[len(word) + 1:]
    return text


def _kinds_of_clean(text: str) -> frozenset[str]:
    collectives = _collectives()
    return frozenset(collectives.kind_of[m.group(0)] for m in collectives.nouns.finditer(text))


def collective_kinds(name: str | None) -> frozenset[str]:
    """The kinds of body a collective name stands for; empty for the name of one body.

    "the 34 PCTs" gives {"PCTs"}, "providers" {"trusts"}, "PCTs and SHAs" {"PCTs", "SHAs"};
    "NHS Salford CCG" and "East Midlands SHA" give nothing: a body's designator is
    singular, a collective's noun plural (or a sector).
    """
    return _kinds_of_clean(_clean(name)) if name else frozenset()


def _strip_leading_counts(text: str) -> str:
    """Drop a collective's leading count or determiner: "the 34 pcts", "31 out of 42 icss", "all pcts"."""
    leading = _collectives().leading
    words = text.split(" ")
    start = 0
    while start < len(words) - 1 and (words[start].isdigit() or words[start] in leading):
        start += 1
    return " ".join(words[start:])


def normalise_org_name(name: str | None) -> str:
    """The comparison key of an organisation name, as GUIDELINES.md scores names.

    "NHS Salford CCG", "Salford clinical commissioning group" and "the Salford
    CCG's" all give "salford". A collective also loses its leading count or
    determiner: "22 trusts", "NHS trusts" and "the 34 PCTs" give "trusts" and
    "pcts" (a body's own name keeps its words: "5 Boroughs Partnership NHS
    Foundation Trust" is not 5 of anything). A name made only of set-aside words
    ("NHS", "the trust") keeps its cleaned form ("nhs", "trust") rather than
    becoming empty: gold uses "NHS" for the NHS as a whole, and an empty key
    could never match.
    """
    if not name:
        return ""
    text = _clean(name)
    cleaned = _strip_leading_counts(text) if _kinds_of_clean(text) else _strip_leading_word(text, "the")
    stripped = _strip_leading_word(cleaned, "nhs")
    stripped = _SPACES.sub(" ", _DESIGNATOR_RE.sub(" ", stripped)).strip()
    return stripped or cleaned


def normalised_names(names: Iterable[str | None]) -> set[str]:
    """The non-empty comparison keys of some names."""
    return {key for key in map(normalise_org_name, names) if key}


def kinds_of(names: Iterable[str | None]) -> set[frozenset[str]]:
    """The collective kinds among some names (a name of one body adds none)."""
    return {kinds for kinds in map(collective_kinds, names) if kinds}
