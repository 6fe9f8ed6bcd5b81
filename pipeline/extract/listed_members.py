"""Bodies named one by one in a printed list after a plural type word, or in brackets after one body's type.

What belongs here: "the county's four CCGs – North Derbyshire, Hardwick, Erewash and Southern Derbyshire"
(each place one CCG) and "One ICB (South Yorkshire) maintained its budget", found cheaply from the
list's opener. What does not: lists written inside one name ("Haringey and Islington CCGs"), which the
parser splits (`name_parsing`).
"""

from __future__ import annotations

import re

from pipeline.extract.body_keys import org_key
from pipeline.extract.mention_rows import _Taken, _with_added
from pipeline.extract.name_data import _LEAD_STOP
from pipeline.extract.re2_gates import AnyLiteral


# "the county's four CCGs – North Derbyshire, Hardwick, Erewash and Southern Derbyshire": a list of places
# after a plural type word names one body of that type each.
_LIST_TYPES = {"CCGs": "CCG", "PCTs": "PCT", "ICBs": "ICB", "ICSs": "ICB", "trusts": "trust", "SHAs": "SHA",
               "clinical commissioning groups": "CCG", "primary care trusts": "PCT", "integrated care boards": "ICB"}
# A listed name may hold "and" ("Northern Lincolnshire and Goole"); the list's own last "and" is found by
# backtracking, so "A, B and C" still gives three names.
_LISTED_NAME = r"[A-Z][\w’'&-]*(?: (?:and (?:the )?|of |upon |on |in |with )?[A-Z][\w’'&-]*){0,4}"
_LIST_TYPE_WORDS = "|".join(sorted(map(re.escape, _LIST_TYPES), key=len, reverse=True))
_OPENER_WORDS = ("namely", "including", "such as", "of which")
# "other trusts serving the region facing a deficit in 2014-15 including Leeds, ...": a few words may describe
# the collective before "including" opens its list.
_LISTED_MEMBERS = re.compile(
    rf"\b(?P<type>{_LIST_TYPE_WORDS})"
    r"(?:(?: \w+){0,4}?\s*(?:[–—:]|\s-|\()|(?: [\w-]+){0,9}?,? (?:" + "|".join(_OPENER_WORDS) + r")\b)\s*"
    rf"(?P<list>{_LISTED_NAME}(?:, {_LISTED_NAME}){{1,8}},? and {_LISTED_NAME})"
)
# Where a list may stand, found cheaply from its opener (a dash, colon or bracket; or "including", "namely",
# "such as", "of which"), each a rare character or word the engine skips to, with the type word looked for in
# the stretch before it.
_LIST_OPENERS = (re.compile(r"[–—:(]"), re.compile(r" - "), re.compile(r"\b(?:" + "|".join(_OPENER_WORDS) + r")\b"))
_LIST_TYPE = re.compile(rf"\b(?:{_LIST_TYPE_WORDS})\b")
_ANY_LIST_TYPE = AnyLiteral(_LIST_TYPES)
_OPENER_REACH = 100
# "One ICB (South Yorkshire) maintained its budget": a place in brackets after one body's type word names it.
_BRACKETED_TYPES = {"CCG": "CCG", "PCT": "PCT", "ICB": "ICB", "ICS": "ICB", "trust": "trust", "SHA": "SHA"}
# Found from the bracket, the cheap part to look for; the type word and its article before it are checked after.
_OPEN_BRACKET = re.compile(r" \(")
_ONE_BODY_OF_A_TYPE = re.compile(
    rf"(?<![\w-])(?:[Oo]ne|[Aa]n?|[Aa]nother|[Tt]he) (?:\w+ )?(?P<type>{'|'.join(_BRACKETED_TYPES)})\Z")
_BRACKETED_MEMBER = re.compile(rf" \((?P<name>{_LISTED_NAME})\)")


LISTED_MEMBER_RULE = "org.listed_member"


def _with_listed_members(raws: list[list], text: str) -> list[list]:
    matches = _printed_lists(text)
    bracketed = [(kind, m) for bracket in _OPEN_BRACKET.finditer(text)
                 if (kind := _ONE_BODY_OF_A_TYPE.search(text, max(0, bracket.start() - 40), bracket.start()))
                 and (m := _BRACKETED_MEMBER.match(text, bracket.start()))]
    if not matches and not bracketed:
        return raws
    taken = _Taken(raws)
    added, seen = [], set()
    items = [(m.start(), _LIST_TYPES[m.group("type")], _list_items(text, m.start("list"), m.end("list")))
             for m in matches]
    items += [(m.start(), _BRACKETED_TYPES[kind.group("type")], [m.span("name")]) for kind, m in bracketed]
    for _, org_type, spans in sorted(items, key=lambda item: item[0]):
        for start, end in spans:
            name = text[start:end]
            if name in ("and", "The") or name.split()[0] in _LEAD_STOP:
                continue
            if taken.covers(start) or start in seen:
                continue
            seen.add(start)
            full = f"{name} {'CCG' if org_type == 'CCG' else org_type}" if org_type != "trust" else name
            added.append([start, end, org_type, full, LISTED_MEMBER_RULE, org_key(org_type, name)])
    return _with_added(raws, added)


def _printed_lists(text: str) -> list[re.Match]:
    # Every list opens with a plural type word, each one of `_LIST_TYPES` written out: an article without any
    # (most of them) needs no look for openers.
    if not _ANY_LIST_TYPE.found_in(text):
        return []
    starts: set[int] = set()
    # Each opener pattern alone, so that the engine skips to its first character; the words only where present.
    openers = [m.start() for m in _LIST_OPENERS[0].finditer(text)]
    if " - " in text:
        openers += [m.start() for m in _LIST_OPENERS[1].finditer(text)]
    if any(word in text for word in _OPENER_WORDS):
        openers += [m.start() for m in _LIST_OPENERS[2].finditer(text)]
    for opener in openers:
        starts.update(t.start() for t in _LIST_TYPE.finditer(text, max(0, opener - _OPENER_REACH), opener))
    return list({m.start(): m for start in sorted(starts) if (m := _LISTED_MEMBERS.match(text, start))}.values())


def _list_items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of a printed list's names: split at its commas, and the last piece at its last "and" unless
    a comma stands before that "and" ("A, B and C"; "A, B and C, and D")."""
    spans, position = [], start
    for piece in text[start:end].split(", "):
        spans.append((position, position + len(piece)))
        position += len(piece) + 2
    last_start, last_end = spans.pop()
    last = text[last_start:last_end]
    if last.startswith("and "):
        spans.append((last_start + 4, last_end))
    else:
        cut = last.rfind(" and ")
        spans += [(last_start, last_start + cut), (last_start + cut + 5, last_end)]
    return spans
