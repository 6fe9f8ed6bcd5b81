"""Recognise the public bodies an article names: where, what kind, and one key per body.

What belongs here: the *naming rules* of English NHS and public bodies and how
they read in running text -- a place name closed by a type word ("Salford
CCG", "Kent County Council", "Sherwood Forest Hospitals NHS Foundation
Trust"), "NHS <place>" (a PCT, an SHA, a CCG or an ICB depending on the
article's era), "London Borough of <place>", bodies known by name ("NHS
England", "the Treasury", "BMA"), lists joined by "and" that are one body
("NHS Bournemouth and Poole") or several ("NHS Dorset and NHS Bournemouth and
Poole", "Haringey and Islington CCGs") -- and the within-article merging of the
forms one body takes ("NHS Walsall" / "Walsall Primary Care Trust").

What does not: every list that changes with the world. Type words, known
bodies, curated aliases, stop words and era dates live in
`pipeline/data/org_patterns.csv`, `org_known_bodies.csv` and
`org_aliases.csv`, read once at import. Generic references ("the CCG"),
collectives ("95 CCGs", "the NHS"), money and Dagster belong elsewhere.

Speed is part of the contract (hundreds of thousands of articles, well over
2,000 a second per core for the whole extractor), so the text is scanned by
one precompiled alternation that starts with a character class (the engine
skips to the next capital in C), every repetition in it is bounded (no
catastrophic backtracking on a megabyte of capitalised words; a run that
names nothing is looked at again from its next word, still linear), and the
per-candidate parsing -- the main Python-level work -- is cached on the
candidate's text, which repeats across articles.

Where the parts live: this module finds the mentions of one article (`find_org_mentions`) and defines
`OrgMention`; the data tables are read in `name_data`, the scan is `name_scan`, candidates are parsed in
`name_parsing`, keys are `body_keys`, capitals are recased in `capitals`, printed lists are
`listed_members`, the era of a bare "NHS <place>" is `nhs_era`, and later short forms of a body are
`short_forms` (the rows they all build are `mention_rows`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pipeline.data import DATA_DIR
from pipeline.extract.body_keys import org_key
from pipeline.extract.capitals import _readable_capitals
from pipeline.extract.listed_members import LISTED_MEMBER_RULE, _with_listed_members
from pipeline.extract.mention_rows import _BARE, _KEY, _NAME, _TYPE
from pipeline.extract.name_parsing import _PARSERS
from pipeline.extract.name_scan import _MASTER, _NOT_PLACE_FIRST, _PLACE_FIRST, NAMES_STAY_ON_ONE_LINE, _described
from pipeline.extract.nhs_era import _type_bare_nhs
from pipeline.extract.short_forms import _merge_forms, _with_defined_abbreviations, _with_places_standing_for_bodies

# The module's public API, imported from here by the rest of the pipeline and the tests (defined in the
# modules above, re-exported): the recogniser, its mention type, the key of a body, the rule of a listed
# member, whether names stay on one line, and the data folder.
__all__ = ["DATA_DIR", "LISTED_MEMBER_RULE", "NAMES_STAY_ON_ONE_LINE", "OrgMention", "find_org_mentions", "org_key"]


@dataclass(frozen=True, slots=True)
class OrgMention:
    start: int
    end: int
    surface: str    # text[start:end]: the name as written, without "the" or a possessive 's
    name: str       # the body's fullest form in this article, e.g. "NHS Salford CCG"
    org_type: str   # CCG, PCT, SHA, ICB, trust, local authority, national, professional
    key: str        # article-independent "<org_type>:<normalised core name>", e.g. "CCG:salford"
    rule_id: str    # the naming rule that matched, e.g. "org.nhs_x_ccg"


def find_org_mentions(text: str, published_on: datetime.date | None = None) -> list[OrgMention]:
    """Every named public body in `text`, sorted by start and non-overlapping."""
    original, text = text, _readable_capitals(text)
    raws: list[list] = []
    search, pos = _MASTER.search, 0
    while (m := search(text, pos)) is not None:
        at, kind = m.start(), m.lastgroup
        if kind in _PLACE_FIRST and _described(text, at):
            pos = m.end()
            continue
        pieces = _PARSERS[kind](m.group())
        if not pieces and kind in _PLACE_FIRST and (other := _NOT_PLACE_FIRST.match(text, at)) is not None:
            m, kind = other, other.lastgroup
            pieces = _PARSERS[kind](m.group())
        for s, e, t, n, r in pieces:
            raws.append([at + s, at + e, t, n, r, ""])
        # A run that names nothing ("Yesterday NHS Trust", read as a trust
        # called "Yesterday") may hide a name that starts inside it ("NHS
        # Trust Development Authority"): look again from its next word. Runs
        # are bounded, so this stays linear.
        # A run whose bodies end before it does ("Monitor and the NHS Trust ...") is read on from the last one.
        pos = at + (pieces[0][1] if len(pieces) == 1 else max(e for _, e, _, _, _ in pieces)) if pieces else at + 1
    raws = _with_listed_members(raws, text)
    if not raws:
        return []
    if isinstance(published_on, datetime.datetime):  # a datetime does not compare with a date
        published_on = published_on.date()
    if any(r[_TYPE] == _BARE for r in raws):
        _type_bare_nhs(raws, text, published_on)
    for r in raws:
        r[_KEY] = org_key(r[_TYPE], r[_NAME])
    _merge_forms(raws)
    raws = _with_defined_abbreviations(raws, text)
    raws = _with_places_standing_for_bodies(raws, text)
    fullest: dict[str, str] = {}
    for r in raws:
        if len(r[_NAME]) > len(fullest.get(r[_KEY], "")):
            fullest[r[_KEY]] = r[_NAME]
    return [
        OrgMention(start, end, original[start:end], fullest[key], org_type, key, rule_id)
        for start, end, org_type, _name, rule_id, key in raws
    ]
