"""Money phrases in news text: where they are, what they are worth, how they are hedged.

This module is the surface layer for amounts. It finds every written sum of
money ("£7.6m", "more than £35m", "between £3m and £5m", "£34-37m", "five
million pounds", a mangled "�33 million", "€5m") and reports its span, its
value in units of its currency, its hedge word and whether it is a per-unit
sum. It does NOT decide whether a figure is a saving, a deficit, a budget or
page noise, which body it belongs to, or which year it is for: callers decide
that from the sentence around each `Money`.

Design constraints (GUIDELINES.md "The amount" and "Finer points"):
- It runs over hundreds of thousands of articles, so an article is scanned
  once by one precompiled numeric pattern; the word-amount pattern only runs
  backwards from "million pounds"-like anchors found by plain substring search.
  Every repetition is bounded, so no input makes a pattern backtrack
  quadratically and no digit run is long enough to slow int().
- Spans always index the text exactly as given. Zero-width characters are
  removed before scanning and offsets are mapped back; non-breaking spaces need
  no removal because the patterns treat them as spaces.
- A foreign figure never comes back as GBP, and a bare "63m" is returned (with
  explicit_currency=False) only when a scale is written and the next word does
  not make it a count of something else.

What belongs here: `Money`, the public API and the steps of `find_money` that join the finders (removing
zero-width characters, merging the candidates, making each a `Money`). The rest lives beside it:
`amount_grammar` (the numeric pattern, scales, currencies), `amount_numeric` (signed and bare figures in
digits), `amount_ranges` (ranges and "between"), `amount_words` (amounts in words) and `amount_context`
(hedges and per-unit sums).
"""

from __future__ import annotations

from dataclasses import dataclass

# QUALIFIERS and NON_MONEY_UNITS are part of this module's public API (see __all__): import them from here.
from pipeline.extract.amount_context import _PER_UNIT_AFTER, QUALIFIERS, _qualifier_before
from pipeline.extract.amount_grammar import _MULTIPLIERS, _Candidate, _value
from pipeline.extract.amount_numeric import NON_MONEY_UNITS, _numeric_candidates
from pipeline.extract.amount_ranges import _join_between_ranges
from pipeline.extract.amount_words import _may_hold_word_amounts, _word_candidates

__all__ = [
    "Money",
    "NON_MONEY_UNITS",
    "QUALIFIERS",
    "find_money",
    "parse_amount",
]


@dataclass(frozen=True, slots=True)
class Money:
    start: int  # whole phrase, including a leading qualifier or "between"
    end: int
    value_start: int  # the figures only, without the qualifier or "between"
    value_end: int
    amount_gbp: float | None  # the single stated value, in units of `currency`; None for a range
    low_gbp: float | None
    high_gbp: float | None
    qualifier: str | None
    currency: str  # "GBP", "EUR" or "USD"
    explicit_currency: bool
    per_unit: bool
    text: str


_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


# --- public API ---------------------------------------------------------------


def parse_amount(number: str, scale: str | None) -> float:
    """Value of a written figure: ("7.6", "m") -> 7_600_000.0, ("400,000", None) -> 400_000.0.

    Raises ValueError for anything that is not a plain decimal number or a known scale.
    """
    digits = number.replace(",", "").strip()
    if not digits or not digits.replace(".", "", 1).isdigit() or not digits.isascii():
        raise ValueError(f"not a written number: {number!r}")
    key = (scale or "").strip().lower()
    if key not in _MULTIPLIERS:
        raise ValueError(f"unknown scale: {scale!r}")
    return _value(digits, _MULTIPLIERS[key])


def find_money(text: str) -> list[Money]:
    """Every money phrase in `text`, sorted by start and non-overlapping."""
    scan_text, kept_offsets = _without_zero_width(text)
    candidates = _numeric_candidates(scan_text)
    if _may_hold_word_amounts(scan_text):
        candidates = _merge_sorted(candidates, _word_candidates(scan_text))
    candidates = _join_between_ranges(scan_text, candidates)
    return [_to_money(text, scan_text, kept_offsets, c) for c in candidates]


# --- internals ----------------------------------------------------------------


def _without_zero_width(text: str) -> tuple[str, list[int] | None]:
    if not any(ch in text for ch in _ZERO_WIDTH):
        return text, None
    kept = [i for i, ch in enumerate(text) if ch not in _ZERO_WIDTH]
    return "".join(text[i] for i in kept), kept


def _merge_sorted(first: list[_Candidate], second: list[_Candidate]) -> list[_Candidate]:
    if not second:
        return first
    merged: list[_Candidate] = []
    for candidate in sorted(first + second, key=lambda c: (c.start, -c.end)):
        if merged and candidate.start < merged[-1].end:
            continue
        merged.append(candidate)
    return merged


def _to_money(original: str, text: str, kept: list[int] | None, c: _Candidate) -> Money:
    start = c.start
    value_start = c.start if c.value_start is None else c.value_start
    qualifier = None
    if c.value_start is None:
        hedge = _qualifier_before(text, c.start)
        if hedge is not None:
            start, qualifier = hedge
    end = c.end
    per_unit = _PER_UNIT_AFTER.match(text, end) is not None
    if kept is not None:
        start, value_start = kept[start], kept[value_start]
        end = kept[end - 1] + 1
    return Money(
        start, end, value_start, end, c.amount, c.low, c.high, qualifier,
        c.currency, c.explicit, per_unit, original[start:end],
    )
