"""Is this name that body? Matching the names of bodies to reference bodies, or to each other.

What belongs here: the rules that decide when two names of the same type
are one body, and the judgement recorded with each decision (OpenSanctions
style: a status, a score and a reason a person can check). Tiers, tried in
order, the first that finds anything deciding:

1. the same whole name ("South Tees Hospitals NHS Foundation Trust"),
2. the same core, type words and a leading NHS set aside ("Salford CCG" =
   "NHS SALFORD CCG"),
3. the same core without the words a name may carry or drop ("NHS
   Manchester" = "Manchester Teaching PCT"; a trust's "acute", "university",
   "hospitals": "East Kent Hospitals FT" = "East Kent Hospitals University
   NHS Foundation Trust"), then the same words in another order ("Cheshire
   West PCT" = "Western Cheshire PCT"),
4. a fuzzy match (rapidfuzz), for typos and shortenings ("NHS South
   Gloucester" = "South Gloucestershire PCT"): the names must have the same
   number of words, equal compass and kind words ("North Lincolnshire" is
   never "North East Lincolnshire", "East Kent" never "West Kent"), each
   word equal, a shortening of at least four letters of the other in a name
   of two words or more, or a one-letter slip; and the whole must score at
   least `FUZZY_THRESHOLD` (measured in `calibrate`).

Where several bodies tie, the dates of the articles that name the body
decide (a body must have existed, give or take a year, when it was
written about); failing that, a body still open beats a closed one with
dates, which beats a closed one without. A tie left after that is
`ambiguous`, never a guess. Different types never match: Salford PCT and
NHS Salford CCG are two bodies.

What does not belong here: reading reference files, the register's rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from pipeline.register.names import core, full_form, tokens
from pipeline.register.vocabulary import curated_aliases, vocabulary

# Minimum rapidfuzz `fuzz.ratio` (0-100) of two names' match tokens for a
# fuzzy match, once the word rules of `compatible` have passed. Measured by
# `python -m pipeline.register.calibrate ../shared/reference` (ODS and ONS
# extracts, 1,128 bodies of the NHS types): at 76 no two different bodies
# merge even with one of them missing from the reference (0 at every
# threshold: the word rules do that work), 3,581 of 4,224 shortened or
# misspelt real names (85%) find their own body and 4 (0.1%) another, and
# the devset's "NHS South Gloucester" (86.5) is kept; 76 is the least-cost
# threshold, a false merge costing ten missed slips, and stays so for any
# cost from 3 to 70. Higher thresholds only lose slips (85: 81%, 90: 72%)
# while guarding four pairs that the word rules pass only when no word of
# theirs is known ("Hertfordshire PCT" / "Herefordshire PCT" at 92).
FUZZY_THRESHOLD = 76.0
# Two fuzzy candidates closer than this are a tie (a set value, not measured: about one letter in
# a name of twenty), left to the dates and otherwise reported as ambiguous.
TIE_MARGIN = 2.0
# A word may be shortened to no fewer letters than this, and a word this long or longer may carry a slip.
MIN_SHORTENING = 4
MIN_SLIPPED_WORD = 5
# How long before its opening (shadow bodies: CCGs were named in 2012) and
# after its closing (looking back) an article may name a body.
ERA_SLACK = dt.timedelta(days=366)

MATCHED, NO_CANDIDATE, AMBIGUOUS = "matched", "no candidate", "ambiguous"


@dataclass(frozen=True)
class Entry:
    """Something a name can be matched to: a reference body, or another body of the register."""
    code: str
    org_type: str
    names: tuple[str, ...]
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    closed: bool = False
    inferred_names: frozenset[str] = frozenset()  # names no file writes (see reference._infer_names)


@dataclass(frozen=True)
class Match:
    status: str                 # MATCHED, NO_CANDIDATE or AMBIGUOUS
    code: str | None = None
    name: str | None = None     # the entry's name that matched
    score: float | None = None  # 100 for the exact tiers, the fuzzy score otherwise
    reason: str = ""            # the judgement in words, for the register's match_reason
    rule: str = ""              # the tier that decided: "same name", "similar name (fuzzy 86)", ...
    candidates: tuple[str, ...] = field(default_factory=tuple)


def compatible(query: Sequence[str], target: Sequence[str],
               is_known: Callable[[str], bool] = lambda word: False) -> bool:
    """May the words of a name (`query`) be a slip or shortening of another's (`target`)?

    The word rules of tier 4, score aside: as many words; compass and kind
    words equal; every other word equal, or a shortening (at least four
    letters, in a name of two words or more), or a one-letter slip of the
    target's word -- and then a word that no real name uses: a writer who
    wrote "Hertfordshire" or "Nottingham" meant that place, not Herefordshire
    or Nottinghamshire, whereas "Gloucester" in "NHS South Gloucester" names
    nothing. `is_known(word)` says whether some other body's name uses it.
    """
    if len(query) != len(target):
        return False
    distinguishing = vocabulary("distinguishing_word")
    for x, y in zip(query, target):
        if x == y:
            continue
        if x in distinguishing or y in distinguishing or any(ch.isdigit() for ch in x + y) or is_known(x):
            return False
        short, long = sorted((x, y), key=len)
        if long.startswith(short) and len(short) >= MIN_SHORTENING and len(query) >= 2:
            continue  # "gloucester" for "gloucestershire"; never "derby" alone for "derbyshire"
        if len(short) >= MIN_SLIPPED_WORD and DamerauLevenshtein.distance(x, y) <= 1:
            continue  # "lincolnshre", "lincolsnhire": one letter dropped, added, replaced or swapped
        return False
    return True


class Matcher:
    """An index of entries of every type, and the decision for a body's names."""

    def __init__(self, entries: Iterable[Entry], other_names: Iterable[tuple[str, str]] = ()):
        """`other_names`: (org_type, name) of bodies that are no entry (other types, say) but whose words
        are real words all the same."""
        self.entries: dict[str, Entry] = {}
        self._words_of: dict[str, set[str]] = {}
        # (type, form of a name) -> {code: the entry's name of that form}
        self._full: dict[tuple[str, str], dict[str, str]] = {}
        self._core: dict[tuple[str, str], dict[str, str]] = {}
        self._tokens: dict[tuple[str, str], dict[str, str]] = {}
        self._word_sets: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
        self._choices: dict[str, list[tuple[str, str, str]]] = {}  # type -> [(token string, code, name)]
        for entry in entries:
            self.entries[entry.code] = entry
            for name in entry.names:
                c = core(entry.org_type, name)
                t = " ".join(tokens(c, entry.org_type))
                self._full.setdefault((entry.org_type, full_form(name)), {}).setdefault(entry.code, name)
                self._core.setdefault((entry.org_type, c), {}).setdefault(entry.code, name)
                self._tokens.setdefault((entry.org_type, t), {}).setdefault(entry.code, name)
                self._word_sets.setdefault((entry.org_type, tuple(sorted(t.split()))), {}).setdefault(
                    entry.code, name)
                self._choices.setdefault(entry.org_type, []).append((t, entry.code, name))
                self._words_of.setdefault(entry.code, set()).update(t.split())
        self._strings = {t: [c[0] for c in cs] for t, cs in self._choices.items()}
        # How many bodies' names use each word (the other names count as one body each).
        self._word_bodies: Counter[str] = Counter(w for words in self._words_of.values() for w in words)
        for org_type, name in other_names:
            self._word_bodies.update(set(tokens(core(org_type, name), org_type)))
        self._aliases = {(a.org_type, core(a.org_type, a.alias)): a.canonical for a in curated_aliases()}

    def match(self, org_type: str, names: Iterable[str], dates: Iterable[dt.date] = (),
              exclude: frozenset[str] = frozenset(), nearest: bool = True) -> Match:
        """The entry the names (of one body, of type `org_type`) belong to, with the reason.

        `nearest=False` skips finding the nearest name for an unmatched body's reason, which lets
        rapidfuzz prune by the threshold: much faster over many entries."""
        names = list(dict.fromkeys(n for n in names if n))
        dates = sorted(set(dates))
        via = ""
        for name in list(names):
            canonical = self._aliases.get((org_type, core(org_type, name)))
            if canonical and canonical not in names:
                names.append(canonical)
                via = f" (curated alias {name!r} -> {canonical!r})"
        tiers = (
            ("same name", lambda n: self._full.get((org_type, full_form(n)), {})),
            ("same name once type words are set aside",
             lambda n: self._core.get((org_type, core(org_type, n)), {})),
            ("same name without optional words", lambda n: self._tokens.get(
                (org_type, " ".join(tokens(core(org_type, n), org_type))), {})),
            ("same words in another order", lambda n: self._word_sets.get(
                (org_type, tuple(sorted(tokens(core(org_type, n), org_type)))), {})),
        )
        for label, lookup in tiers:
            hits = {code: ref_name for name in names
                    for code, ref_name in lookup(name).items() if code not in exclude}
            if hits:
                return self._decide(hits, {c: 100.0 for c in hits}, dates, label + via)
        return self._fuzzy(org_type, names, dates, exclude, via, nearest)

    def _fuzzy(self, org_type: str, names: list[str], dates: list[dt.date], exclude: frozenset[str],
               via: str, want_nearest: bool) -> Match:
        choices = self._choices.get(org_type, [])
        if not choices:
            return Match(NO_CANDIDATE, reason=f"no {org_type} in the reference data")
        strings = self._strings[org_type]
        own_words = set().union(*(self._words_of.get(code, set()) for code in exclude)) if exclude else set()

        def is_known(word: str) -> bool:  # used by another body than the one asking
            return self._word_bodies[word] > (1 if word in own_words else 0)

        best: dict[str, float] = {}
        matched_name: dict[str, str] = {}
        nearest: tuple[float, str] = (0.0, "")
        for name in names:
            query = tokens(core(org_type, name), org_type)
            cutoff = None if want_nearest else FUZZY_THRESHOLD
            for _, score, i in process.extract(" ".join(query), strings, scorer=fuzz.ratio, limit=25,
                                               score_cutoff=cutoff):
                text, code, ref_name = choices[i]
                if code in exclude:
                    continue
                if score > nearest[0]:
                    nearest = (score, ref_name)
                if score < FUZZY_THRESHOLD or score <= best.get(code, -1.0):
                    continue
                if compatible(query, text.split(), is_known):
                    best[code] = score
                    matched_name[code] = ref_name
        if not best:
            hint = f"; nearest {nearest[1]!r} scored {nearest[0]:.0f}" if nearest[1] else ""
            return Match(NO_CANDIDATE, reason=f"no {org_type} of this name in the reference data{hint}")
        top = max(best.values())
        tied = {c: matched_name[c] for c, s in best.items() if s >= top - TIE_MARGIN}
        return self._decide(tied, best, dates, f"similar name (fuzzy {top:.0f})" + via)

    def _decide(self, hits: dict[str, str], scores: dict[str, float], dates: list[dt.date], label: str) -> Match:
        codes = sorted(hits)
        if len(codes) > 1:
            ranks = {c: self._era_rank(self.entries[c], dates) for c in codes}
            best_rank = min(ranks.values())
            codes = [c for c in codes if ranks[c] == best_rank]
        if len(codes) > 1:
            listed = "; ".join(f"{c} {self.entries[c].names[0]}" for c in codes)
            return Match(AMBIGUOUS, score=max(scores[c] for c in codes), reason=f"{label}: {listed}",
                         rule=label, candidates=tuple(codes))
        code = codes[0]
        entry = self.entries[code]
        if hits[code] in entry.inferred_names and dates and self._era_rank(entry, dates) == 3:
            # A name made up from a later one is no evidence for an article written before the body existed.
            return Match(NO_CANDIDATE, reason=f"{label} {hits[code]!r}, a name inferred for {code}, which did not "
                                               f"exist when the articles were written", rule=label)
        tie_note = f", chosen by dates among {len(hits)}" if len(hits) > 1 else ""
        return Match(MATCHED, code, hits[code], scores[code], f"{label} {hits[code]!r}{tie_note}", rule=label)

    @staticmethod
    def _era_rank(entry: Entry, dates: list[dt.date]) -> int:
        dated = entry.valid_from is not None or entry.valid_to is not None
        if dates and dated:
            start = entry.valid_from - ERA_SLACK if entry.valid_from else dt.date.min
            end = entry.valid_to + ERA_SLACK if entry.valid_to else dt.date.max
            return 0 if all(start <= d <= end for d in dates) else 3
        if not entry.closed:
            return 0 if not dates else 1
        return 1 if dated else 2
