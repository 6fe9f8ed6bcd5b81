"""The shorter forms one body takes later in the same article, given the body's key.

What belongs here: abbreviations an article defines in brackets ("Nottingham University Hospitals (NUH)
Trust", then "NUH"), a commissioner's place standing for it ("NHS Hillingdon", then "Hillingdon posted
..."), and merging the short and abbreviated forms of a name with its full form ("South Gloucester" /
"South Gloucestershire", "BaNES" / "Bath and North East Somerset"). What does not: keys across
articles (`body_keys`).
"""

from __future__ import annotations

import re

from pipeline.extract.capitals import _ACRONYMS
from pipeline.extract.mention_rows import _END, _KEY, _NAME, _START, _TYPE, _Taken, _with_added
from pipeline.extract.name_data import _SUFFIXES


# "Nottingham University Hospitals (NUH) Trust", "Barking, Havering and Redbridge (BHR) CCGs": an
# abbreviation in brackets inside or right after a name stands for that body wherever the article uses it.
# Type words in brackets ("Warrington (PCT)") are no abbreviation of a body.
_SUFFIX_WORDS = frozenset(s.phrase for s in _SUFFIXES) | _ACRONYMS
_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z&]{1,7})\)")


def _with_defined_abbreviations(raws: list[list], text: str) -> list[list]:
    if "(" not in text:
        return raws
    defined: dict[str, list] = {}
    for r in raws:
        window = text[r[_START]:min(len(text), r[_END] + 12)]
        for m in _ABBREVIATION.finditer(window):
            if r[_START] + m.start() >= r[_END] and text[r[_END]:r[_START] + m.start()].strip():
                continue  # not right after the name
            abbreviation = m.group(1)
            if sum(ch.isupper() for ch in abbreviation) >= 2 and abbreviation not in _SUFFIX_WORDS:
                defined.setdefault(abbreviation, r)
    if not defined:
        return raws
    taken = _Taken(raws)
    added = []
    pattern = re.compile(r"(?<![\w(])(?:" + "|".join(map(re.escape, defined)) + r")(?![\w)])")
    for m in pattern.finditer(text):
        if taken.covers(m.start()):
            continue  # inside a name already found
        body = defined[m.group()]
        added.append([m.start(), m.end(), body[_TYPE], body[_NAME], "org.defined_abbreviation", body[_KEY]])
    return _with_added(raws, added)


# "Hillingdon and Cambridgeshire posting debts of £52m" after "NHS Hillingdon" and "NHS Cambridgeshire": once an
# article has named a commissioner by its place, the place alone, as the subject of a clause, stands for it.
_PLACE_STANDS_FOR = frozenset({"PCT", "CCG", "ICB"})
_BEFORE_A_PLACE = re.compile(r"(?:\b(?:in|across|around|of|to|from|for|near|at|on|into|throughout|outside|"
                             r"within|the|and|or|,)\s*|[\w’']\s)$", re.I)
_AFTER_A_PLACE = re.compile(r"\s*(?:,|and\b|[’']s\b|\s(?:is|was|has|had|have|posted|reported|faces|forecast|"
                            r"predicted|expects|plans|must|will|needs|ended|overspent|saved|ran|recorded|posting|reporting|forecasting)\b)")
_CLAUSE_START_BEFORE = re.compile(r"(?:^|[.!?:;]\s*|\n\s*|,\s|and\s)$")


def _with_places_standing_for_bodies(raws: list[list], text: str) -> list[list]:
    by_key: dict[str, list] = {}
    named: dict[str, int] = {}
    for r in raws:
        if r[_TYPE] in _PLACE_STANDS_FOR:
            key = r[_KEY]
            if key not in named:
                by_key[key] = r
                named[key] = 0
            named[key] += 1
    places: dict[str, list] = {}
    for key, r in by_key.items():
        core = key.split(":", 1)[1]
        if core and core.replace(" ", "").isalpha():
            places[core] = r
            named[core] = named.pop(key)
    if not places:
        return raws
    taken: _Taken | None = None
    added = []
    for core, body in places.items():
        written = " ".join(w.capitalize() if w not in ("and", "of", "the", "upon", "on") else w for w in core.split())
        if text.count(written) <= named[core]:
            continue  # every time the place is written it is inside the body's name
        taken = taken or _Taken(raws)
        # str.find runs in C: most articles name a place a few times, and a regex per place would be compiled anew.
        start = text.find(written)
        while start >= 0:
            end = start + len(written)
            at, start = start, text.find(written, end)
            if (at and (text[at - 1].isalnum() or text[at - 1] in "’'-")) or \
                    (end < len(text) and (text[end].isalnum() or text[end] in "-")):
                continue
            if taken.covers(at):
                continue  # part of a name found already
            before = text[max(0, at - 14):at]
            if _BEFORE_A_PLACE.search(before) and not _CLAUSE_START_BEFORE.search(before):
                continue  # "patients in Hillingdon": the place, not the body
            if not _AFTER_A_PLACE.match(text, end):
                continue
            added.append([at, end, body[_TYPE], body[_NAME], "org.place_for_body", body[_KEY]])
    return _with_added(raws, added)


# Types whose cores are place names, where a shortened or abbreviated form
# of a longer name in the same article is the same body.
_PLACE_TYPES = frozenset({"CCG", "PCT", "SHA", "ICB", "trust", "local authority"})


def _merge_forms(raws: list[list]) -> None:
    """Give the short and abbreviated forms of a body the key of its full form.

    Linear-ish in the number of distinct bodies (sorted cores and an initials
    index), so a pathological text naming thousands of bodies stays fast.
    """
    by_type: dict[str, dict[str, str]] = {}   # org_type -> key -> a name written for it
    for r in raws:
        if r[_TYPE] in _PLACE_TYPES:
            by_type.setdefault(r[_TYPE], {}).setdefault(r[_KEY], r[_NAME])
    remap: dict[str, str] = {}
    for org_type, names in by_type.items():
        if len(names) < 2:
            continue
        prefix = org_type + ":"
        cores = sorted(k[len(prefix):] for k in names)
        acronyms = {c for c in cores if _looks_like_acronym(names[prefix + c], c)}
        initials: dict[str, set[str]] = {}
        for core in cores if acronyms else ():
            for letters in _initials(core):
                initials.setdefault(letters, set()).add(core)
        for i, core in enumerate(cores):
            targets = set()
            # Longer names that start with this one sort right after it.
            j = i + 1
            while j < len(cores) and len(targets) < 2 and cores[j].startswith(core):
                if _is_shortening(core, cores[j]):
                    targets.add(cores[j])
                j += 1
            if core in acronyms:
                targets |= initials.get(core, set()) - {core}
            if len(targets) == 1:
                remap[prefix + core] = prefix + targets.pop()
    if not remap:
        return
    for r in raws:
        seen = set()
        while r[_KEY] in remap and r[_KEY] not in seen:  # follow chains, never loop
            seen.add(r[_KEY])
            r[_KEY] = remap[r[_KEY]]


def _is_shortening(short: str, long: str) -> bool:
    """ "south gloucester" for "south gloucestershire"; "derby" for "derby city".

    Never across "and" ("kent" is not "kent and medway"), and a cut inside a
    word only for names of two words or more ("derby" is not "derbyshire").
    """
    if len(short) >= len(long) or not long.startswith(short):
        return False
    rest = long[len(short):]
    if rest[0] == " ":
        return not rest.startswith((" and ", " with "))
    return " " in short and rest.split(" ", 1)[0].isalpha()


def _looks_like_acronym(name: str, core: str) -> bool:
    """ "HRW" and "BaNES" are abbreviations; "Hull" is a word."""
    if len(core) > 6 or len(core) < 2 or not core.isalpha():
        return False
    written = next((w for w in re.split(r"[^\w]+", name) if w.lower() == core), "")
    return sum(c.isupper() for c in written) >= 2


def _initials(core: str) -> tuple[str, ...]:
    """The abbreviations a multi-word name may go by: the initials of every
    word ("banes" for "bath and north east somerset"), or of the words other
    than "and"/"of"/"the" ("hrw" for "hambleton richmondshire and whitby")."""
    words = core.split()
    if len(words) < 2:
        return ()
    every = "".join(w[0] for w in words)
    content = "".join(w[0] for w in words if w not in ("and", "of", "the", "with", "upon"))
    return (every, content) if content != every else (every,)
