"""Candidate parsing: which bodies a run of words found by the scan names, cached on the run's text.

What belongs here: reading one candidate -- "NHS <words>" (a known body, or a place typed later by the
article's era), a run closed by a type word (which may hold several bodies, noise and lists), a type word
first ("London Borough of Barnet"), a known body -- into pieces (span, type, display name, rule). The
candidate's text repeats across articles, so each parser is an `lru_cache`. What does not: finding the
candidates (`name_scan`) or anything that needs the rest of the article (`orgs` and the passes it calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract.mention_rows import _BARE
from pipeline.extract.name_data import (
    _ADJECTIVE_ENDINGS,
    _BODY_NOUNS,
    _COUNT_WORDS,
    _KIND_WORDS,
    _KNOWN,
    _LEAD_STOP,
    _NHS_BRANDED,
    _NHS_STOP,
    _OF_HEAD,
    _PERSON_TITLE,
    _PREFIXES,
    _SUFFIX_BY_FOLD,
    _Known,
    _fold,
)
from pipeline.extract.name_scan import _INNER_SUFFIX, _SEPARATOR, _SUFFIX_AT_END, _TOKEN


# ---------------------------------------------------------------- candidate parsing

# A piece of a candidate: (start, end) relative to the candidate, org_type
# (_BARE for "NHS <place>" awaiting the era), display name, rule_id.
_Piece = tuple[int, int, str, str, str]


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _lookup_known(text: str) -> _Known | None:
    folded = _fold(text)
    return _KNOWN.get(folded[4:] if folded.startswith("the ") else folded)


def _known_piece(text: str, start: int, end: int) -> tuple[_Piece, ...]:
    body = _lookup_known(text[start:end])
    if body is None or body.excluded:
        return ()
    return ((start, end, body.org_type, text[start:end], "org.known_body"),)


def _strip_possessive(text: str, end: int) -> int:
    return end - 2 if text[:end].endswith(("’s", "'s")) else end


@lru_cache(maxsize=65536)
def _parse_nhs(text: str) -> tuple[_Piece, ...]:
    """ "NHS <words>": a known national body, an SHA, or a place (typed later)."""
    toks = _tokens(text)
    body = _lookup_known(text)
    if body is not None:
        return () if body.excluded else ((0, len(text), body.org_type, text, "org.known_body"),)
    # "NHS England North West", "NHS England Chief Executive": the longest known head.
    for k in range(len(toks) - 1, 1, -1):
        head = _lookup_known(text[: toks[k - 1].end])
        if head is not None and head.org_type in ("national", "professional", ""):
            return _known_piece(text, 0, toks[k - 1].end)
    end = len(text)
    for i, tok in enumerate(toks[1:], start=1):
        if tok.text in _NHS_STOP:
            end = toks[i - 1].end
            break
        if tok.text.endswith(("’s", "'s")) and tok.text not in ("King’s", "King's"):
            end = tok.end - 2
            break
    kept = [t for t in toks if t.start < end]
    while kept and kept[-1].text in ("and", "&", "of", "the", "with", "upon", ","):
        kept.pop()
    if len(kept) < 2:
        return ()
    end = min(end, kept[-1].end)
    body = _lookup_known(text[:end])
    if body is not None:
        return () if body.excluded else ((0, end, body.org_type, text[:end], "org.known_body"),)
    return ((0, end, _BARE, text[:end], "org.nhs_x"),)


def _conjuncts(toks: list[_Tok]) -> list[list[_Tok]]:
    """Split a name's words at commas and "and": ["Castle Point", "Rochford"]."""
    out: list[list[_Tok]] = [[]]
    i = 0
    while i < len(toks):
        t = toks[i].text
        if t in (",", "and", "&"):
            if out[-1]:
                out.append([])
            i += 1
            if i < len(toks) and toks[i].text == "the":
                i += 1
            continue
        out[-1].append(toks[i])
        i += 1
    return [c for c in out if c]


def _name_start(conj: list[_Tok], nhs_starts: bool = True) -> list[_Tok]:
    """The words of the first conjunct that belong to the name.

    "Chair of Salford" -> "Salford" (only an Isle, Vale, University ... may
    stand before "of" in a name); "Neighbouring NHS Calderdale" -> "NHS
    Calderdale" (NHS starts a name); "However Salford" -> "Salford".
    """
    for j in range(len(conj) - 1, 0, -1):
        if conj[j].text == "of" and conj[j - 1].text not in _OF_HEAD:
            conj = conj[j + 1:]
            if conj and conj[0].text == "the":
                conj = conj[1:]
            break
    # "NHS" starts the names of commissioners ("Neighbouring NHS Calderdale CCG"), while a trust may carry it
    # inside its name ("Bexley NHS Care Trust", "Somerset Partnership NHS and Social Care Trust").
    nhs = [j for j, t in enumerate(conj) if t.text == "NHS"] if nhs_starts else []
    if nhs and nhs[-1] > 0:
        conj = conj[nhs[-1]:]
    # In a title-case headline ("Trust Chief Says Salford CCG Must Save") a
    # stop word ends whatever came before the name.
    stops = [j for j, t in enumerate(conj)
             if (t.text in _LEAD_STOP and t.text not in _TITLE_CONNECTORS) or t.text.endswith(_ADJECTIVE_ENDINGS)]
    if stops:
        conj = conj[stops[-1] + 1:]
    while conj and conj[0].text in _LEAD_STOP:
        conj = conj[1:]
    return conj


# Title-case spellings of the words that join a name ("Kent And Medway ICB"):
# stripped from the front of a name, never a reason to cut inside one.
_TITLE_CONNECTORS = frozenset({"And", "Of", "The", "On", "Upon", "With"})


def _is_noise(conj: list[_Tok]) -> bool:
    """A leading conjunct that is no part of a name: "Meanwhile", "GPs", "Dr Smith"."""
    return conj[0].text in _PERSON_TITLE or all(t.text in _LEAD_STOP for t in conj)


@lru_cache(maxsize=65536)
def _parse_suffixed(text: str) -> tuple[_Piece, ...]:
    """A run of capitalised words closed by a type word; may hold several bodies."""
    pieces: list[_Piece] = []
    seg_start = 0
    for m in _INNER_SUFFIX.finditer(text):
        pieces += _parse_segment(text, seg_start, m.end())
        rest = _SEPARATOR.match(text, m.end())
        seg_start = rest.end() if rest else m.end()
    pieces += _parse_segment(text, seg_start, len(text))
    return tuple(pieces)


def _parse_segment(text: str, start: int, end: int) -> list[_Piece]:
    segment = text[start:end]
    m = _SUFFIX_AT_END.search(segment)
    if m is None:
        return []
    suffix = _SUFFIX_BY_FOLD[_fold(m.group())]
    head = [_Tok(t.text, t.start + start, t.end + start) for t in _tokens(segment[: m.start()])]
    conjs = _conjuncts(head)
    pieces: list[_Piece] = []
    # Bodies standing before the name in the same run: "NHS England and
    # Salford CCG", "NHS Dorset and NHS Bournemouth and Poole CCG", "NHS Hull
    # and Hull City Council"; and noise: "Meanwhile, ...", "GPs and ...".
    # "Greater Manchester Health and Social Care Partnership and Greater
    # Manchester Combined Authority": a list item that ends like a body's
    # name ends the name before it.
    ended = max((i for i, c in enumerate(conjs[:-1]) if c[-1].text in _BODY_NOUNS), default=-1)
    conjs = conjs[ended + 1:]
    last_nhs = max((i for i, c in enumerate(conjs) if i and c[0].text == "NHS"), default=0)
    while len(conjs) > 1:
        first = conjs[0]
        span = (first[0].start, first[-1].end)
        known = _lookup_known(text[span[0]:span[1]])
        nhs_led = first[0].text == "NHS" and (last_nhs > 0 or suffix.org_type not in _NHS_BRANDED)
        if known is not None:
            pieces += _known_piece(text, *span)
        elif nhs_led:
            pieces += [(s + span[0], e + span[0], t, n, r) for s, e, t, n, r in _parse_nhs(text[span[0]:span[1]])]
        elif not (last_nhs > 0 or _is_noise(first)):
            break
        conjs = conjs[1:]
        last_nhs -= 1
    if not conjs:
        return pieces
    conjs[0] = _name_start(conjs[0], nhs_starts=suffix.org_type != "trust")
    if not conjs[0]:
        conjs = conjs[1:]
        if not conjs:
            return pieces  # "The CCG", "Both CCGs": generic, resolved elsewhere
    if len(conjs) == 1 and len(conjs[0]) == 1 and conjs[0][0].text in _COUNT_WORDS:
        return pieces  # "Three ICS": a count of bodies, not a body called "Three"
    if len(conjs) == 1 and all(t.text in _KIND_WORDS for t in conjs[0]):
        return pieces  # "Hospital trust continues to battle ...": a kind of body, not a name
    name_start = conjs[0][0].start
    whole = _lookup_known(text[name_start:end])
    if whole is not None:  # "General Medical Council" is a regulator, not a council
        return pieces + ([] if whole.excluded else [(name_start, end, whole.org_type, text[name_start:end],
                                                     "org.known_body")])
    head_known = _lookup_known(text[name_start:conjs[-1][-1].end])
    if head_known is not None and head_known.org_type in ("national", "professional"):
        return pieces + list(_known_piece(text, name_start, conjs[-1][-1].end))  # "BMA Council"
    rule = suffix.rule_id
    if conjs[0][0].text == "NHS":
        rule = rule.replace("org.x_", "org.nhs_x_", 1)
    if suffix.plural:
        if len(conjs) < 2:
            return pieces  # "North West CCGs": a collective, not a named body
        singular = m.group()[:-1] if m.group().endswith("s") else m.group()
        for conj in conjs:
            s, e = conj[0].start, conj[-1].end
            pieces.append((s, e, suffix.org_type, f"{text[s:e]} {singular}", rule + ".split"))
        return pieces
    pieces.append((name_start, end, suffix.org_type, text[name_start:end], rule))
    return pieces


@lru_cache(maxsize=65536)
def _parse_prefixed(text: str) -> tuple[_Piece, ...]:
    """ "London Borough of Barnet"."""
    end = _strip_possessive(text, len(text))
    for folded, row in _PREFIXES.items():
        if _fold(text).startswith(folded):
            return ((0, end, row["org_type"], text[:end], row["rule_id"]),)
    return ()


@lru_cache(maxsize=65536)
def _parse_known(text: str) -> tuple[_Piece, ...]:
    return _known_piece(text, 0, len(text))


_PARSERS = {"sfx": _parse_suffixed, "pre": _parse_prefixed, "nhs": _parse_nhs, "known": _parse_known}
