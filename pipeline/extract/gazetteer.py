"""Find the bodies of the reference data in an article: a gazetteer of every reference name and its short forms.

The recogniser (`orgs`) reads names by their shape: capitalised words closed
by a type word. The press also writes bodies in forms that shape misses
("Barts Health", "the United Lincolnshire trust", "the Worcestershire acute
trust", "South West Essex primary care trust"). When a build has reference
data, this module finds every name the reference gives a body of an NHS type,
and the forms the press makes of it, with one Aho-Corasick automaton
(pyahocorasick) built once per process.

What belongs here: turning reference names into forms (by the type rules of
`pipeline/data/gazetteer_forms.csv`: the core of a name without its type
words, the words the press drops from its end, the type words it writes
after it), finding the forms in a text (word boundaries, capitals where a
name has them, the article's date where a form names bodies of several
eras), and merging what it finds with the recogniser's mentions (the
recogniser's win where spans overlap). What does not: reading the reference
files (`pipeline.register.reference`), deciding which body a name is
(`pipeline.register.matching`): a mention found here carries the reference
name it came from, which the register matches as any other.

The project ships no reference data: a gazetteer exists only for a build
given some, and its fingerprint is part of the batches' run ids
(`pipeline.batches`), so changing the reference data extracts again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from pipeline.data import read_rows
from pipeline.extract.orgs import OrgMention, org_key
from pipeline.register.matching import ERA_SLACK
from pipeline.register.reference import ReferenceBody, ReferenceData, load_reference
from pipeline.register.vocabulary import NHS_TYPES

RULE_ID = "org.gazetteer"
FORMS_CSV = "gazetteer_forms.csv"
# A bump re-extracts every batch built with reference data (the fingerprint includes it), as a change to
# this file does through the code fingerprint.
FORMAT = 1

# Folding keeps every character in place (one character for one), so an offset in the folded text is an
# offset in the article. str.replace, not str.translate: translate with a table goes character by character in
# Python's slow path and cost as much as the whole recogniser.
_FOLD = (("’", "'"), ("‘", "'"), ("\u00a0", " "), ("–", "-"), ("‐", "-"))
# Characters that continue a word: a form must not start or end inside one.
_WORD_JOINERS = frozenset("-'’")
# What may stand before a capitalised word that starts a sentence, so the word is no part of a name.
_SENTENCE_BREAKS = frozenset(".!?:;\"“”‘’'([\n")
# What continues a name after a core written without type words: "Frimley Health and Care" is the ICS, not
# Frimley Health NHS FT; "Barts Health Charity" another body.
_CONTINUED = re.compile(r"[ \u00a0](?:(?:and|&|of)[ \u00a0])?[A-Z]")


def fold(text: str) -> str:
    """Lower case, curly quotes and dashes straightened, no-break spaces as spaces: one character for one."""
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowers to two characters: keep such letters as they are
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    for old, new in _FOLD:
        if old in lowered:
            lowered = lowered.replace(old, new)
    return lowered


# ---------------------------------------------------------------- the rules of forms

@dataclass(frozen=True)
class _Rules:
    lead: dict[str, tuple[str, ...]]
    tail: dict[str, tuple[str, ...]]          # longest first
    optional_end: dict[str, frozenset[str]]
    min_short_words: dict[str, int]
    variants: dict[str, dict[str, str]]       # org_type -> folded last word -> its other number
    forms: dict[str, tuple[str, ...]]
    bare_end: dict[str, frozenset[str]]
    free_case: frozenset[str]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    rows = read_rows(FORMS_CSV)

    def by_type(kind: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in rows:
            if row["kind"] == kind:
                out.setdefault(row["org_type"], []).append(row["value"])
        return out

    variants: dict[str, dict[str, str]] = {}
    for org_type, pairs in by_type("variant").items():
        for pair in pairs:
            a, b = pair.split("|")
            variants.setdefault(org_type, {}).update({a.lower(): b, b.lower(): a})
    return _Rules(
        lead={t: tuple(v) for t, v in by_type("lead").items()},
        tail={t: tuple(sorted(v, key=len, reverse=True)) for t, v in by_type("tail").items()},
        optional_end={t: frozenset(w.lower() for w in v) for t, v in by_type("optional_end").items()},
        min_short_words={t: int(v[0]) for t, v in by_type("min_short_words").items()},
        variants=variants,
        forms={t: tuple(v) for t, v in by_type("form").items()},
        bare_end={t: frozenset(w.lower() for w in v) for t, v in by_type("bare_end").items()},
        free_case=frozenset(w.lower() for w in by_type("free_case").get("*", [])),
    )


def name_core(org_type: str, name: str) -> str | None:
    """A reference name without its leading "NHS" / "The" and its type words: "NHS Salford CCG" -> "Salford"."""
    rules = _rules()
    core = " ".join(name.split())
    for lead in rules.lead.get(org_type, ()):
        if core.lower().startswith(lead.lower() + " "):
            core = core[len(lead) + 1:]
            break
    for tail in rules.tail.get(org_type, ()):
        if core.lower().endswith(" " + tail.lower()):
            core = core[: -len(tail) - 1]
            break
    return core.strip(" ,") or None


def core_variants(org_type: str, core: str) -> list[str]:
    """The whole core and the cores the press writes for it: optional words dropped from the end, the last word
    in its other number, "&" for "and", hyphens as spaces, apostrophes left out."""
    rules = _rules()
    optional = rules.optional_end.get(org_type, frozenset())
    words = core.split()
    found = [core]
    cut = words
    while len(cut) > 1 and cut[-1].lower() in optional:
        cut = cut[:-1]
        if cut[-1].lower() in ("and", "of", "the", "&"):
            break
        if len(cut) >= rules.min_short_words.get(org_type, 1):
            found.append(" ".join(cut))
    other = rules.variants.get(org_type, {}).get(words[-1].lower())
    if other is not None:
        found.append(" ".join([*words[:-1], other]))
    for text in list(found):
        found += [text.replace(" and ", " & "), text.replace("-", " "), text.replace("'", "")]
    return list(dict.fromkeys(found))


def _required_capitals(form: str, core_at: int, core: str, bare: bool) -> tuple[int, ...]:
    """Offsets in `form` whose letter must be a capital in the text: the initial of each capitalised word of the
    core (in a form with type words, not those a writer may lower-case, such as "acute"), and every letter of
    an acronym among the type words (NHS, PCT, FT)."""
    free = frozenset() if bare else _rules().free_case
    required: list[int] = []
    at = 0
    for word in form.split(" "):
        in_core = core_at <= at < core_at + len(core)
        if in_core:
            if word[:1].isupper() and word.lower() not in free:
                required.append(at)
        elif len(word) >= 2 and word.isupper():
            required.extend(range(at, at + len(word)))
        at += len(word) + 1
    return tuple(required)


# ---------------------------------------------------------------- the gazetteer

@dataclass(frozen=True, slots=True)
class _Candidate:
    code: str
    org_type: str
    name: str           # the reference name the form was made from: what the mention is named
    key: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def existed_on(self, day: dt.date) -> bool:
        start = self.valid_from - ERA_SLACK if self.valid_from else dt.date.min
        end = self.valid_to + ERA_SLACK if self.valid_to else dt.date.max
        return start <= day <= end


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    candidates: tuple[_Candidate, ...]


class Gazetteer:
    """Every form of every reference name of an NHS type, in one automaton over folded text."""

    def __init__(self, bodies: Iterable[ReferenceBody]):
        # folded form -> {(required capitals, open-ended) -> candidates}: forms that fold alike may ask for other
        # capitals; an open-ended form (a core without type words) must not run on into a longer name.
        table: dict[str, dict[tuple[tuple[int, ...], bool], dict[tuple, _Candidate]]] = {}
        rules = _rules()
        for body in sorted(bodies, key=lambda b: b.code):
            if body.org_type not in NHS_TYPES:
                continue
            for reference_name in body.names:
                name = reference_name.name
                candidate = _Candidate(body.code, body.org_type, name, org_key(body.org_type, name),
                                       body.valid_from, body.valid_to)
                for form, required, open_ended in self._forms(body.org_type, name, rules):
                    slot = table.setdefault(fold(form), {}).setdefault((required, open_ended), {})
                    slot.setdefault((candidate.code, candidate.key), candidate)
        self._automaton = ahocorasick.Automaton()
        digest = hashlib.sha256(f"gazetteer\x1f{FORMAT}".encode())
        for folded in sorted(table):
            entries = tuple((required, tuple(found.values())) for required, found in sorted(table[folded].items()))
            self._automaton.add_word(folded, (len(folded), entries))
            digest.update(repr((folded, [(r, [(c.code, c.key, c.name, c.valid_from, c.valid_to) for c in cs])
                                         for r, cs in entries])).encode())
        self._size = len(table)
        if self._size:
            self._automaton.make_automaton()
        self.fingerprint = digest.hexdigest()[:16]

    @staticmethod
    def _forms(org_type: str, name: str, rules: _Rules) -> Iterable[tuple[str, tuple[int, ...], bool]]:
        yield name, _required_capitals(name, 0, name, bare=True), False
        core = name_core(org_type, name)
        if core is None:
            return
        bare_end = rules.bare_end.get(org_type, frozenset())
        for variant in core_variants(org_type, core):
            if variant.split()[-1].lower() in bare_end:
                yield variant, _required_capitals(variant, 0, variant, bare=True), True
            for template in rules.forms.get(org_type, ()):
                form = template.replace("{core}", variant)
                yield form, _required_capitals(form, template.index("{core}"), variant, bare=False), False

    def __len__(self) -> int:
        return self._size

    @classmethod
    def from_reference(cls, data: ReferenceData) -> Gazetteer | None:
        """The gazetteer of loaded reference data; None when it holds no body of an NHS type."""
        gazetteer = cls(data.bodies.values())
        return gazetteer if len(gazetteer) else None

    # ------------------------------------------------------------ finding

    def find(self, text: str, published_on: dt.date | None = None) -> list[OrgMention]:
        """The reference bodies `text` names, sorted and non-overlapping (the longest form at each place)."""
        if not self._size or not text:
            return []
        if isinstance(published_on, dt.datetime):
            published_on = published_on.date()
        hits: list[_Hit] = []
        for last, (length, entries) in self._automaton.iter(fold(text)):
            start, end = last - length + 1, last + 1
            if not _bounded(text, start, end):
                continue
            continued = None
            candidates = []
            for (required, open_ended), cs in entries:
                if open_ended:
                    continued = _CONTINUED.match(text, end) is not None if continued is None else continued
                    if continued:
                        continue
                if all(text[start + i].isupper() for i in required):
                    candidates.extend(cs)
            candidates = tuple(candidates)
            if published_on is not None:
                candidates = tuple(c for c in candidates if c.existed_on(published_on))
            # One body (under any of its names), or bodies of one name the register tells apart by the dates.
            if candidates and (len({c.code for c in candidates}) == 1 or len({c.key for c in candidates}) == 1):
                hits.append(_Hit(start, end, candidates))
        hits.sort(key=lambda h: (h.start, -h.end))
        mentions: list[OrgMention] = []
        reached = -1
        for hit in hits:
            if hit.start < reached:
                continue
            first = hit.candidates[0]
            mentions.append(OrgMention(hit.start, hit.end, text[hit.start:hit.end], first.name, first.org_type,
                                       first.key, RULE_ID))
            reached = hit.end
        return mentions

    def add_to(self, text: str, mentions: list[OrgMention],
               published_on: dt.date | None = None) -> list[OrgMention]:
        """The recogniser's `mentions` with the bodies found here that overlap none of them, sorted by start."""
        found = self.find(text, published_on)
        if not found:
            return mentions
        starts = [m.start for m in mentions]
        kept = []
        for mention in found:
            i = bisect_left(starts, mention.end)  # recogniser mentions starting before this one ends
            if i and mentions[i - 1].end > mention.start:
                continue
            kept.append(mention)
        if not kept:
            return mentions
        return sorted([*mentions, *kept], key=lambda m: (m.start, m.end))


def _bounded(text: str, start: int, end: int) -> bool:
    """Does [start, end) hold whole words, and not the tail of a longer capitalised name?"""
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in _WORD_JOINERS):
        return False
    if end < len(text) and (text[end].isalnum() or text[end] == "-"):
        return False
    if start >= 2 and text[start - 1] == " " and text[start - 2].isalnum():
        # "Mid Cheshire Hospitals" holds a form "Cheshire Hospitals" of no body: a capitalised word before
        # the form, not the first of a sentence, is part of a longer name.
        word_start = start - 2
        while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] in _WORD_JOINERS):
            word_start -= 1
        if text[word_start].isupper():
            before = text[:word_start].rstrip(" ")
            if before and before[-1] not in _SENTENCE_BREAKS:
                return False
    return True


# ---------------------------------------------------------------- once per process

_BUILT: dict[tuple, Gazetteer | None] = {}


def _folder_signature(directory: Path) -> tuple:
    """What the gazetteer of a folder depends on: each file's path, size and modification time."""
    signature = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        info = path.stat()
        signature.append((path.relative_to(directory).as_posix(), info.st_size, info.st_mtime_ns))
    return tuple(signature)


def gazetteer_for(directory: Path | str | None) -> Gazetteer | None:
    """The gazetteer of the reference folder `directory`, built once per process while its files stay the same;
    None without a folder or without bodies of an NHS type in it."""
    if directory is None or not Path(directory).is_dir():
        return None
    root = Path(os.path.realpath(directory))
    key = (str(root), _folder_signature(root))
    if key not in _BUILT:
        if len(_BUILT) >= 4:  # a long-lived process (the Dagster daemon) meets a few folders, not many
            _BUILT.clear()
        _BUILT[key] = Gazetteer.from_reference(load_reference(root))
    return _BUILT[key]


def reference_fingerprint(directory: Path | str | None) -> str | None:
    """What extraction depends on in a reference folder (None when it gives no gazetteer): part of run ids."""
    gazetteer = gazetteer_for(directory)
    return gazetteer.fingerprint if gazetteer is not None else None
