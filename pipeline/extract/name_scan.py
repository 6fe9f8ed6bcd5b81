"""The one scan: the precompiled alternation that finds every candidate name in a text, and its building blocks.

What belongs here: the regex atoms of a name (a capitalised word, the lower-case links inside one, "and"
and comma lists), the trie that folds the type words and known spellings into one alternation, `_MASTER`
with its four branches (place + type word, type word first, "NHS <place>", known bodies), and the
patterns the parser cuts a candidate with. Speed rules (see `orgs`): a leading character class, bounded
repetitions, everything compiled once at import. What does not: what a candidate's words mean
(`name_parsing`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.extract.literals import confined_to_line
from pipeline.extract.name_data import _KNOWN_SPELLINGS, _SUFFIX_CASE, _SUFFIXES, _Suffix, _fold, _values


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


# The branches that read a place's words first: an area word before them leaves the body unnamed ("a north
# London CCG"), and when their run names nothing the other branches are tried at the same position.
_PLACE_FIRST = frozenset({"sfx", "pre"})


def _described(text: str, start: int) -> bool:
    """Is the candidate at `start` preceded by a lower-case area word?"""
    if start < 2 or text[start - 1] != " ":
        return False
    return text[text.rfind(" ", 0, start - 1) + 1:start - 1] in _DESCRIPTORS
