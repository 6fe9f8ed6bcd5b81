"""Whether a figure is a fact at all, of which kind and of which measure: the cues that speak for it.

What belongs here: choosing the fact cue (a saving word, a deficit word, or a negative such as a budget or an
investment) that speaks for a figure in its sentence or its table's header, the words that make a
shortfall a savings shortfall, and choosing the measure cue ("target", "achieved", "forecast", ...) in the
figure's clause or column. The cue words themselves are the lexicon's (`lexicon.fact_cues`,
`lexicon.measure_cues`).
"""

from __future__ import annotations

import re

from pipeline.extract.amounts import Money
from pipeline.extract.fact_clauses import _ASIDE_MAX_CHARS, _asides, _clause, _distance
from pipeline.extract.fact_table_headers import _column_header
from pipeline.extract.lexicon import CueHit, fact_cues, measure_cues
from pipeline.extract.sentences import Sentence


MAX_CUE_DISTANCE = 120


# ---- is it a fact, and of which kind ----

def _fact_cue(text: str, money: Money, span: tuple[int, int], header: str | None) -> tuple[CueHit | None, str | None]:
    if header is not None:
        hits = fact_cues().find(header)
        best = next((h for h in hits if h.rule.kind != "negative"), hits[0] if hits else None)
        return best, None
    asides = _asides(text, span)
    # A cue further than the reach plus the longest aside could never win: skip the costly scoring.
    reach = MAX_CUE_DISTANCE + _ASIDE_MAX_CHARS
    hits = [h for h in fact_cues().find(text, span[0], span[1])
            if money.start - reach <= h.start <= money.end + reach
            and not (money.start <= h.start < money.end)
            and not any(a <= h.start < b and not a <= money.start < b for a, b in asides)]
    lo, hi = _clause(text, Sentence(span[0], span[1], "sentence", span[0], span[1]), money)
    veto = next((h for h in hits if h.rule.reach == "clause" and lo <= h.start < hi), None)
    if veto is not None:
        return veto, None
    best, best_distance = None, MAX_CUE_DISTANCE + 1
    for hit in hits:
        distance = _distance(hit.start, hit.end, money) - _aside_length_between(asides, hit, money)
        if _other_money_between(text, hit, money):
            distance += 40
        if not (lo <= hit.start < hi):
            distance += 30  # a cue in another clause speaks for this figure less
        if distance < best_distance or (distance == best_distance and best is not None and hit.rule.kind != "negative"):
            best, best_distance = hit, distance
    return best, None


def _aside_length_between(asides: list[tuple[int, int]], hit: CueHit, money: Money) -> int:
    """An aside between a cue and its figure does not put them further apart."""
    lo, hi = (hit.end, money.start) if hit.end <= money.start else (money.end, hit.start)
    return sum(b - a for a, b in asides if lo <= a and b <= hi)


_MONEY_SIGN = re.compile(r"£|\d(?:m|bn|k)\b|million|billion")


def _other_money_between(text: str, hit: CueHit, money: Money) -> bool:
    lo, hi = (hit.end, money.start) if hit.end <= money.start else (money.end, hit.start)
    return bool(_MONEY_SIGN.search(text, lo, hi)) if hi > lo else False


_SAVINGS_WORDS = re.compile(r"\b(?:savings?|QIPP|CIPs?|efficiency|efficiencies|target)\b", re.I)


_SAVINGS_NOUNS = re.compile(r"\b(?:savings?|QIPP|CIPs?|cost improvements?|efficienc(?:y|ies)|cuts?)\b", re.I)
_DEFICIT_WORDS = re.compile(r"\b(?:deficits?|in the red|overspen(?:d|ds|ding|t))\b", re.I)


def _near_savings_words(text: str, cue: CueHit) -> bool:
    """A "QIPP shortfall" or a "shortfall against its savings target" is a savings shortfall;
    "its £29m shortfall" alone is the body's financial shortfall, a deficit."""
    return bool(_SAVINGS_WORDS.search(text, max(0, cue.start - 40), cue.end + 40))


# ---- which measure ----

def _measure(text: str, money: Money, sentence: Sentence, table: str, cue: CueHit | None,
             hint: str | None, header: str | None) -> tuple[str, bool]:
    applies = "saving" if table == "savings" else "deficit"
    if header is not None:
        column = _column_header(text, money, sentence, header)
        hits = measure_cues(applies).find(column)
        if hits:
            return hits[0].rule.measure, False
    if hint:
        return hint, False
    lo, hi = _clause(text, sentence, money)
    hits = measure_cues(applies).find(text, lo, hi)
    hits = [h for h in hits if h.rule.strength != "weak"] or hits
    if hits:
        nearest = min(hits, key=lambda h: (_distance(h.start, h.end, money), _MEASURE_PRIORITY[h.rule.measure]))
        return nearest.rule.measure, False
    if cue is not None and cue.rule.measure and cue.rule.kind == applies:
        return cue.rule.measure, True
    return ("target" if table == "savings" else "forecast"), True


_MEASURE_PRIORITY = {"shortfall": 0, "achieved": 1, "potential": 2, "target": 3, "planned": 0, "actual": 1, "forecast": 2}
