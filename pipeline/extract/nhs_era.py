"""The type of a bare "NHS <place>": a PCT, CCG, ICB or SHA, as the article shows it or as its era says.

What belongs here: taking the type from the same place written with a type word elsewhere in the article,
and otherwise the article's era, from its date and the era signal words it uses (`org_patterns.csv`).
What does not: the era dates and signals themselves (data, read in `name_data`).
"""

from __future__ import annotations

import datetime

from pipeline.extract.body_keys import org_key
from pipeline.extract.mention_rows import _BARE, _NAME, _RULE, _TYPE
from pipeline.extract.name_data import _ERA_SIGNALS, _ERA_STARTS, _PCT_MENTIONS_UNTIL


# Era signal words are counted with str.count (C speed, on a text that is
# scanned at most once per article): exact-case words in the text itself,
# the others in its lower-cased copy.
_ERA_EXACT = [(phrase, era) for phrase, era, case in _ERA_SIGNALS if case == "exact"]
_ERA_ANY_CASE = [(phrase.lower(), era) for phrase, era, case in _ERA_SIGNALS if case != "exact"]


# The types a bare "NHS <place>" can take from an explicit form of the same place.
_ERA_TYPES = frozenset({"PCT", "CCG", "ICB", "SHA"})


def _type_bare_nhs(raws: list[list], text: str, published_on: datetime.date | None) -> None:
    """Give each "NHS <place>" the type the article shows for it.

    The same place written with a type word elsewhere in the article decides
    ("NHS Walsall" ... "Walsall Primary Care Trust"); otherwise the article's
    era, from its date and the kinds of body it talks about.
    """
    explicit: dict[str, set[str]] = {}
    for r in raws:
        if r[_TYPE] in _ERA_TYPES:
            explicit.setdefault(org_key(r[_TYPE], r[_NAME]).split(":", 1)[1], set()).add(r[_TYPE])
    era = None
    for r in raws:
        if r[_TYPE] != _BARE:
            continue
        types = explicit.get(org_key("PCT", r[_NAME]).split(":", 1)[1], set())
        if len(types) == 1:
            r[_TYPE] = next(iter(types))
        else:
            era = era or _article_era(text, published_on)
            r[_TYPE] = era if not types or era in types else sorted(types)[0]
        r[_RULE] = f"org.nhs_x_as_{r[_TYPE].lower()}"


def _article_era(text: str, published_on: datetime.date | None) -> str:
    """PCT, CCG or ICB: which kind of local NHS body a bare "NHS <place>" is.

    "NHS <place>" was the PCTs' own branding, so an article that talks about
    PCTs at all reads it as a PCT (a CCG-era article that names its CCGs
    writes "CCG"), unless its date is long past the PCTs. Otherwise the date
    decides, and failing a date the commoner of CCG and ICB words.
    """
    if published_on is not None:
        # Only whether the article talks about PCTs at all can matter, and only before the cut-off: the
        # counts below (a lower-cased copy of the whole text) are not needed.
        if published_on < _PCT_MENTIONS_UNTIL and _mentions_the_pct_era(text):
            return "PCT"
        era = _ERA_STARTS[0][1]
        for start, org_type in _ERA_STARTS:
            if published_on >= start:
                era = org_type
        return era
    counts = {"PCT": 0, "CCG": 0, "ICB": 0}
    for phrase, era in _ERA_EXACT:
        counts[era] += text.count(phrase)
    lowered = text.lower()
    for phrase, era in _ERA_ANY_CASE:
        counts[era] += lowered.count(phrase)
    if counts["PCT"]:
        return "PCT"
    if counts["ICB"] > counts["CCG"]:
        return "ICB"
    return "CCG" if counts["CCG"] else "PCT"


def _mentions_the_pct_era(text: str) -> bool:
    """Whether any PCT-era signal is in the text: the exact-case words first, which most such articles hold."""
    if any(phrase in text for phrase, era in _ERA_EXACT if era == "PCT"):
        return True
    lowered = text.lower()
    return any(phrase in lowered for phrase, era in _ERA_ANY_CASE if era == "PCT")
