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
"""

from __future__ import annotations

import bisect
import csv
import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.extract.literals import confined_to_line

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PATTERNS_CSV = DATA_DIR / "org_patterns.csv"
KNOWN_CSV = DATA_DIR / "org_known_bodies.csv"
ALIASES_CSV = DATA_DIR / "org_aliases.csv"

# The type of a bare "NHS <place>" until the article tells us its era.
_BARE = "?"


@dataclass(frozen=True, slots=True)
class OrgMention:
    start: int
    end: int
    surface: str    # text[start:end]: the name as written, without "the" or a possessive 's
    name: str       # the body's fullest form in this article, e.g. "NHS Salford CCG"
    org_type: str   # CCG, PCT, SHA, ICB, trust, local authority, national, professional
    key: str        # article-independent "<org_type>:<normalised core name>", e.g. "CCG:salford"
    rule_id: str    # the naming rule that matched, e.g. "org.nhs_x_ccg"


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


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _fold(text: str) -> str:
    """Case, curly quotes and spacing set aside: the form looked up in the data tables."""
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


_PATTERN_ROWS = _read_rows(PATTERNS_CSV)


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
_ADJECTIVE_ENDINGS = tuple(r["value"] for r in _values("adjective_ending"))
_NHS_BRANDED = frozenset(r["value"] for r in _values("nhs_branded"))
_NHS_PREFIXED = frozenset(r["value"] for r in _values("nhs_prefixed"))
_ERA_STARTS = sorted((datetime.date.fromisoformat(r["value"]), r["org_type"]) for r in _values("era_start"))
_PCT_MENTIONS_UNTIL = datetime.date.fromisoformat(_values("pct_mentions_until")[0]["value"])
_ERA_SIGNALS = [(r["value"], r["org_type"], r["case"]) for r in _values("era_signal")]


# ---------------------------------------------------------------- regex building blocks

_SP = "[ \u00a0]"                      # one space; names never run across a line break
_WORD_START = r"(?<![\w’'\-])"
_WORD_END = r"(?![\w\-])"              # an apostrophe may follow: "Salford CCG's"
# A capitalised word of a name: "Salford", "Stoke-on-Trent", "King's", "BaNES", "St."
_CAP = r"(?:St\.|[A-Z][\w’']*+(?:-[\w’']++)*+)"
# Lower-case words that may sit between the capitalised words of one name:
# connectors ("Isle of Wight", "Blackburn with Darwen") and the links of
# unhyphenated place names ("Stoke on Trent"), the latter only before their place.
_LINKS = [r["value"].split() for r in _values("place_link")]
_LINK_WORDS = "|".join(sorted({re.escape(first) for first, _place in _LINKS}))
_LINK_PLACES = "|".join(sorted({re.escape(place) for _first, place in _LINKS}))
_INNER = (rf"{_SP}(?:(?:of|of{_SP}the|upon|with|de|du|la|le|en){_SP}"
          rf"|(?:{_LINK_WORDS})(?={_SP}(?:{_LINK_PLACES})(?![\w\-])){_SP})?")
_AND = rf",?{_SP}(?:and|&){_SP}(?:the{_SP})?"
_COMMA = rf",{_SP}"
# Every repetition is bounded: a candidate is at most a few dozen words, so the
# scan costs O(text length) however the capitalised words are arranged.
_PART = rf"{_CAP}(?:{_INNER}{_CAP}){{0,5}}"


def _atoms(phrase: str, case: str) -> list[str]:
    """Regex atoms for a literal phrase, one per character.

    case "title_or_lower": each word's first letter may be either case
    ("clinical commissioning group" as well as "Clinical Commissioning
    Group"); "first_word_exact": the same for every word but the first,
    whose case tells a name from a word ("Monitor", "NICE"; "the BMA's GP
    Committee" or "committee"); "exact": as written.
    """
    atoms = []
    for i, ch in enumerate(phrase):
        word_start = i == 0 or phrase[i - 1] == " "
        flexible = case == "title_or_lower" or (case == "first_word_exact" and " " in phrase[:i])
        if ch == " ":
            atoms.append(_SP)
        elif ch in "'’":
            atoms.append("['’]")
        elif flexible and word_start and ch.isalpha():
            atoms.append(f"[{ch.upper()}{ch.lower()}]")
        else:
            atoms.append(re.escape(ch))
    return atoms


def _trie_regex(phrases: Iterable[list[str]]) -> str:
    """One alternation of many phrases, factored into a trie so the engine
    tests a shared prefix once instead of once per phrase; longer phrases are
    tried first."""
    trie: dict = {}
    for atoms in phrases:
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [atom + emit(child) for atom, child in node.items() if atom]
        if not branches:
            return ""
        ends_here = "" in node
        if len(branches) == 1 and not ends_here:
            return branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if ends_here else group

    return emit(trie)


def _suffix_atoms(suffix: _Suffix) -> list[str]:
    return _atoms(suffix.phrase, _SUFFIX_CASE[_fold(suffix.phrase)])


_SUFFIX_ALT = _trie_regex(_suffix_atoms(s) for s in _SUFFIXES)
# A type word followed by one of these is inside a longer name ("Care Trust Plus", "NHS Trust Development
# Authority"), so the name does not end there.
_NAME_GOES_ON = "(?!{sp}(?:{words}){end})".format(
    sp=_SP, words="|".join(re.escape(r["value"]) for r in _values("name_continues")), end=_WORD_END)


# ---------------------------------------------------------------- known bodies and aliases

def _load_known() -> tuple[dict[str, _Known], dict[tuple[str, str], str], list[str]]:
    """(folded name or alias -> known body, curated place aliases, every known spelling)."""
    known: dict[str, _Known] = {}
    for row in _read_rows(KNOWN_CSV):
        known[_fold(row["name"])] = _Known(row["name"], row["org_type"], row["status"] == "exclude")
    place_aliases: dict[tuple[str, str], str] = {}
    for row in _read_rows(ALIASES_CSV):
        target = known.get(_fold(row["canonical"]))
        if target is not None:
            known[_fold(row["alias"])] = target
        else:
            place_aliases[(row["org_type"] or "*", row["alias"])] = row["canonical"]
    spellings = [row["name"] for row in _read_rows(KNOWN_CSV)]
    spellings += [row["alias"] for row in _read_rows(ALIASES_CSV) if _fold(row["canonical"]) in known]
    return known, place_aliases, spellings


_KNOWN, _PLACE_ALIASES_RAW, _KNOWN_SPELLINGS = _load_known()


# ---------------------------------------------------------------- keys

_TAILS: dict[str, tuple[re.Pattern, dict[str, str]]] = {}
_KEY_PREFIXES: dict[str, re.Pattern] = {}


def _normal(name: str) -> str:
    """Lower case, no punctuation, no possessive, no leading "the"."""
    s = name.replace("’", "'").replace("‘", "'").lower().replace("&", " and ")
    s = re.sub(r"'s$", "", s.strip())
    # "Northumberland's CCG" is Northumberland CCG: a possessive place right before the last (type) word.
    s = re.sub(r"'s (?=\w+$)", " ", s)
    s = s.replace("'", "")
    s = " ".join(re.sub(r"[^\w\s]", " ", s).split())
    return s[4:] if s.startswith("the ") else s


def _build_key_tables() -> None:
    by_type: dict[str, dict[str, str]] = {}
    for s in _SUFFIXES:
        by_type.setdefault(s.org_type, {})[_normal(s.phrase)] = s.key_suffix
    for org_type, tails in by_type.items():
        alternation = "|".join(re.escape(t) for t in sorted(tails, key=len, reverse=True))
        _TAILS[org_type] = (re.compile(rf"(?:^| )({alternation})$"), tails)
    prefixes: dict[str, list[str]] = {}
    for row in _values("key_prefix"):
        prefixes.setdefault(row["org_type"], []).append(_normal(row["value"]))
    for org_type, words in prefixes.items():
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        _KEY_PREFIXES[org_type] = re.compile(rf"^(?:{alternation}) ")


_build_key_tables()


def _bare_core(org_type: str, name: str) -> str:
    """The key's core before curated aliases: type words and a leading NHS set aside."""
    s = _normal(name)
    if org_type in _NHS_PREFIXED and s.startswith("nhs "):
        s = s[4:]
    tail = _TAILS.get(org_type)
    if tail is not None:
        m = tail[0].search(s)
        if m and m.start(1) > 0:
            s = (s[: m.start()] + " " + tail[1][m.group(1)]).strip()
    prefix = _KEY_PREFIXES.get(org_type)
    if prefix is not None:
        s = prefix.sub("", s, count=1)
    return s


def _place_aliases() -> dict[tuple[str, str], str]:
    """Curated aliases as (org_type or "*", alias core) -> canonical core."""
    table: dict[tuple[str, str], str] = {}
    for (org_type, alias), canonical in _PLACE_ALIASES_RAW.items():
        table[(org_type, _normal(alias))] = _normal(canonical)
    for folded, body in _KNOWN.items():
        if not body.excluded:
            core = _bare_core(body.org_type, folded)
            canonical = _bare_core(body.org_type, body.canonical)
            if core != canonical:
                table[(body.org_type, core)] = canonical
    return table


_ALIAS_CORE = _place_aliases()


@lru_cache(maxsize=65536)
def org_key(org_type: str, name: str) -> str:
    """Article-independent key of a body: "<org_type>:<normalised core name>".

    All the forms one body takes share it ("NHS Salford CCG", "Salford CCG"
    -> "CCG:salford"; "DoH", "Department of Health and Social Care" ->
    "national:department of health"); different bodies never do, because the
    type is part of the key ("PCT:salford" is not "CCG:salford").
    """
    core = _bare_core(org_type, name)
    core = _ALIAS_CORE.get((org_type, core)) or _ALIAS_CORE.get(("*", core)) or core
    return f"{org_type}:{core}"


# ---------------------------------------------------------------- the one scan

def _after_first(phrases: Iterable[list[str]]) -> str:
    """An alternation of phrases written from their *second* character on.

    The scan consumes a name's capital first (see _MASTER), so each branch
    continues after it. The first letter is not re-checked here (one
    lookbehind per first letter would cost more than the whole trie); the
    parser looks every hit up by its full text, which drops a wrong one.
    """
    return _trie_regex(atoms[1:] for atoms in phrases)


def _known_alternation() -> str:
    # "NHS ..." names are read by the NHS branch, which knows where they end.
    spellings = {s for s in _KNOWN_SPELLINGS if not s.startswith("NHS ")}
    return _after_first(_atoms(s, "first_word_exact") for s in sorted(spellings))


_NHS_WORD = rf"(?!NHS\b){_CAP}"
# "NHS Bath and North East Somerset, Swindon and Wiltshire", "NHS Shropshire, Telford and Wrekin": an
# ICB's name may list places with commas, closed by "and" as a list is.
_NHS_COMMA_LIST = (rf"(?:(?:{_COMMA}{_NHS_WORD}(?:{_INNER}{_NHS_WORD}){{0,3}}){{1,3}}"
                   rf",?{_SP}and{_SP}{_NHS_WORD}(?:{_INNER}{_NHS_WORD}){{0,3}})?")
_NHS_BRANCH = rf"(?P<nhs>(?<=N)HS{_SP}{_NHS_WORD}(?:(?:{_INNER}|{_AND}){_NHS_WORD}){{0,7}}{_NHS_COMMA_LIST})"
_KNOWN_BRANCH = rf"(?P<known>(?:{_known_alternation()}){_WORD_END})"


# The rest of a name's first capitalised word once its capital is consumed.
_CAP_REST = r"(?:(?<=S)t\.|[\w’']*+(?:-[\w’']++)*+)"
_PART_REST = rf"{_CAP_REST}(?:{_INNER}{_CAP}){{0,5}}"
# "A, B and C": commas only inside a list that an "and" closes.
_CHUNK_REST = rf"{_PART_REST}(?:(?:{_COMMA}{_PART}){{0,3}}{_AND}{_PART}){{0,2}}"
# "a north London CCG" is an unnamed CCG in north London: names write their
# compass words with a capital ("North Staffordshire CCG"). Checked on the
# few hits rather than by lookbehinds at every capital.
_DESCRIPTORS = frozenset(r["value"] for r in _values("descriptor"))
_KIND_WORDS = frozenset(r["value"] for r in _values("kind_word"))
# Every candidate starts with a capital letter, and a pattern that starts with
# a character class lets the engine skip to the next capital in C; the word
# boundary before it is checked by a lookbehind once the capital is consumed.
# That makes the scan several times faster than testing every position.
_MASTER = re.compile(
    rf"[A-Z](?<![\w’'\-].)(?:"
    # Place name closed by a type word: "Salford CCG", "Kent County Council".
    rf"(?P<sfx>{_CHUNK_REST}{_SP}(?:{_SUFFIX_ALT}){_WORD_END}{_NAME_GOES_ON})"
    # Type word first: "London Borough of Barnet".
    rf"|(?P<pre>(?:{_after_first(_atoms(r['value'], r['case']) for r in _values('prefix'))})"
    rf"{_SP}{_PART}(?:{_AND}{_PART}){{0,2}})"
    # "NHS <place>": a PCT, SHA, CCG or ICB, or a known national body.
    rf"|{_NHS_BRANCH}"
    # Bodies known by name: "Department of Health", "BMA", "Monitor".
    rf"|{_KNOWN_BRANCH}"
    r")"
)
# The branches after the place-first ones, tried at the same position when a place-first run names nothing:
# "NHS Trust Development Authority" reads as "NHS" + "Trust" before it reads as a known body.
_NOT_PLACE_FIRST = re.compile(rf"[A-Z](?<![\w’'\-].)(?:{_NHS_BRANCH}|{_KNOWN_BRANCH})")
# A name never runs across a line break (spaces in names are `_SP`): readers of one line at a time rely on it.
NAMES_STAY_ON_ONE_LINE = confined_to_line(_MASTER) and confined_to_line(_NOT_PLACE_FIRST)
_SUFFIX_AT_END = re.compile(rf"{_WORD_START}(?:{_SUFFIX_ALT})$")
_AND_OR_COMMA = rf"(?:{_COMMA}|{_AND})(?:the{_SP})?"
_SEPARATOR = re.compile(_AND_OR_COMMA)
# A type word inside a candidate that closes one body before the next: "Kent
# County Council and Medway Council", "NHS Haringey CCG and NHS Islington CCG".
_INNER_SUFFIX = re.compile(rf"{_WORD_START}(?:{_SUFFIX_ALT})(?={_AND_OR_COMMA}[A-Z])")
_TOKEN = re.compile(r"St\.|[^\W\d_][\w’']*(?:-[\w’']+)*|&|,")


# Era signal words are counted with str.count (C speed, on a text that is
# scanned at most once per article): exact-case words in the text itself,
# the others in its lower-cased copy.
_ERA_EXACT = [(phrase, era) for phrase, era, case in _ERA_SIGNALS if case == "exact"]
_ERA_ANY_CASE = [(phrase.lower(), era) for phrase, era, case in _ERA_SIGNALS if case != "exact"]


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


# ---------------------------------------------------------------- the article

# A mention being built: [start, end, org_type, name, rule_id, key]. Plain
# lists, because a dense text can hold tens of thousands of them.
_START, _END, _TYPE, _NAME, _RULE, _KEY = range(6)


# Tables and headings print names in capitals ("NORTH BRISTOL NHS TRUST"). A run of such words is read in
# title case (a copy of the same length, so every span still points into the text); acronyms stay.
_CAPITALS_RUN = re.compile(r"[A-Z](?<![\w’'\-].)[A-Z’'&\-]+(?:[ ,]+[A-Z][A-Z’'&\-]*)+\b")
_CAPITALS_GATE = re.compile(r"[A-Z]{2}[A-Z’'&\-]*[ ,]+[A-Z][A-Z’'&\-]")
_CAPITALS_WORD = re.compile(r"[A-Z][A-Z’'-]*")
_LOWER_IN_NAMES = frozenset({"AND", "OF", "THE", "ON", "UPON", "IN"})
_ACRONYMS = frozenset({"NHS", "CCG", "CCGS", "ICB", "ICBS", "ICS", "PCT", "PCTS", "SHA", "FT", "STP", "UK", "LMC",
                       "BMA", "GP", "GPS"})


def _title_word(m: re.Match[str]) -> str:
    word = m.group()
    if word in _ACRONYMS or len(word) < 2:
        return word
    if word in _LOWER_IN_NAMES and m.start() > 0:
        recased = word.lower()
    else:
        recased = word[0] + word[1:].lower()
    return recased if len(recased) == len(word) else word


def _title_case_run(m: re.Match[str]) -> str:
    run = m.group()
    # A run of short acronyms ("CPR CCG") stays as written: only a run with a word of four letters or more
    # ("NORTH BRISTOL NHS TRUST") is a name printed in capitals.
    if sum(1 for w in _CAPITALS_WORD.findall(run) if w not in _ACRONYMS and len(w) > 3) < 1:
        return run
    return _CAPITALS_WORD.sub(_title_word, run)


def _readable_capitals(text: str) -> str:
    # Most articles have no two capitalised words side by side: a gate without lookbehinds says so first.
    if _CAPITALS_GATE.search(text) is None:
        return text
    return _CAPITALS_RUN.sub(_title_case_run, text)


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


_PLACE_FIRST = frozenset({"sfx", "pre"})


class _Taken:
    """Which positions the mentions found so far cover (they are sorted by start and never overlap)."""

    def __init__(self, raws: list[list]) -> None:
        self.spans = [(r[_START], r[_END]) for r in raws]
        self.starts = [a for a, _ in self.spans]

    def covers(self, position: int) -> bool:
        i = bisect.bisect_right(self.starts, position) - 1
        return i >= 0 and self.spans[i][1] > position


def _with_added(raws: list[list], added: list[list]) -> list[list]:
    return sorted(raws + added, key=lambda r: (r[_START], r[_END])) if added else raws
# "Nottingham University Hospitals (NUH) Trust", "Barking, Havering and Redbridge (BHR) CCGs": an
# abbreviation in brackets inside or right after a name stands for that body wherever the article uses it.
# Type words in brackets ("Warrington (PCT)") are no abbreviation of a body.
_SUFFIX_WORDS = frozenset(s.phrase for s in _SUFFIXES) | _ACRONYMS
_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z&]{1,7})\)")


# "Hillingdon and Cambridgeshire posting debts of £52m" after "NHS Hillingdon" and "NHS Cambridgeshire": once an
# article has named a commissioner by its place, the place alone, as the subject of a clause, stands for it.
_PLACE_STANDS_FOR = frozenset({"PCT", "CCG", "ICB"})
_BEFORE_A_PLACE = re.compile(r"(?:\b(?:in|across|around|of|to|from|for|near|at|on|into|throughout|outside|"
                             r"within|the|and|or|,)\s*|[\w’']\s)$", re.I)
_AFTER_A_PLACE = re.compile(r"\s*(?:,|and\b|[’']s\b|\s(?:is|was|has|had|have|posted|reported|faces|forecast|"
                            r"predicted|expects|plans|must|will|needs|ended|overspent|saved|ran|recorded|posting|reporting|forecasting)\b)")


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
    starts: set[int] = set()
    # Each opener pattern alone, so that the engine skips to its first character; the words only where present.
    openers = [m.start() for m in _LIST_OPENERS[0].finditer(text)]
    if " - " in text:
        openers += [m.start() for m in _LIST_OPENERS[1].finditer(text)]
    if any(word in text for word in _OPENER_WORDS):
        openers += [m.start() for m in _LIST_OPENERS[2].finditer(text)]
    for opener in openers:
        starts.update(t.start() for t in _LIST_TYPE.finditer(text, max(0, opener - _OPENER_REACH), opener))
    matches = list({m.start(): m for start in sorted(starts) if (m := _LISTED_MEMBERS.match(text, start))}.values())
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


def _described(text: str, start: int) -> bool:
    """Is the candidate at `start` preceded by a lower-case area word?"""
    if start < 2 or text[start - 1] != " ":
        return False
    return text[text.rfind(" ", 0, start - 1) + 1:start - 1] in _DESCRIPTORS


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
    counts = {"PCT": 0, "CCG": 0, "ICB": 0}
    for phrase, era in _ERA_EXACT:
        counts[era] += text.count(phrase)
    lowered = text.lower()
    for phrase, era in _ERA_ANY_CASE:
        counts[era] += lowered.count(phrase)
    if counts["PCT"] and (published_on is None or published_on < _PCT_MENTIONS_UNTIL):
        return "PCT"
    if published_on is not None:
        era = _ERA_STARTS[0][1]
        for start, org_type in _ERA_STARTS:
            if published_on >= start:
                era = org_type
        return era
    if counts["ICB"] > counts["CCG"]:
        return "ICB"
    return "CCG" if counts["CCG"] else "PCT"


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
