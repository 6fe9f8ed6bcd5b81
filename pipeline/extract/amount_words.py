"""Amounts written in words: "five million pounds", "half a billion euros", "two and a half million pounds".

What belongs here: the number words, the pattern of a counted amount that ends in a scale word and a
currency word, the substring search for the "million pounds"-like anchors that pattern is tried backwards
from, and the value the words add up to.
"""

from __future__ import annotations

import re

from pipeline.extract.amount_grammar import _CURRENCY_WORD, _MULTIPLIERS, _SP, _Candidate, _currency_of_word


_SCALE_WORD_FRAGMENTS = ("illion", "ILLION", "housand", "HOUSAND")
_CURRENCY_WORD_FRAGMENTS = (
    "ound", "OUND", "uro", "URO", "ollar", "OLLAR", "terling", "TERLING", "quid", "QUID",
)


_UNIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEEN_WORDS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_VALUES: dict[str, int] = {
    **{w: i + 1 for i, w in enumerate(_UNIT_WORDS)},
    **{w: i + 10 for i, w in enumerate(_TEEN_WORDS)},
    **{w: (i + 2) * 10 for i, w in enumerate(_TENS_WORDS)},
    "a": 1, "an": 1,
}
_UNIT_RE = "|".join(_UNIT_WORDS)
_UNDER_HUNDRED = (
    rf"(?:(?:{'|'.join(_TENS_WORDS)})(?:(?:-|{_SP})(?:{_UNIT_RE}))?"
    rf"|{'|'.join(_TEEN_WORDS)}|{_UNIT_RE})"
)
_COUNT_WORDS = (
    rf"(?:(?:{_UNIT_RE}|an?){_SP}{{1,3}}hundred(?:{_SP}{{1,3}}(?:and{_SP}{{1,3}})?{_UNDER_HUNDRED})?"
    rf"|{_UNDER_HUNDRED})"
)
# Only a counted amount is money: "millions" and "tens of millions of pounds"
# are vague and deliberately have no branch here. The pattern is slow over a
# whole article, so it is only tried backwards from a "million pounds" anchor.
_WORD_MONEY_ENDING_HERE = re.compile(
    rf"(?i)(?<![\w-])(?P<amount>"
    rf"(?P<half>half{_SP}{{1,3}}an?)"
    rf"|(?P<quarter>(?:a{_SP}{{1,3}})?quarter{_SP}{{1,3}}of{_SP}{{1,3}}an?)"
    rf"|(?P<count>{_COUNT_WORDS})(?P<and_half>{_SP}{{1,3}}and{_SP}{{1,3}}an?{_SP}{{1,3}}half)?"
    rf"|(?P<single>an?))"
    rf"{_SP}{{1,3}}(?P<scale>million|billion|thousand)"
    rf"{_SP}{{1,3}}(?P<word>{_CURRENCY_WORD})\Z"
)
_CURRENCY_WORD_AFTER_SCALE = re.compile(rf"{_SP}{{1,3}}{_CURRENCY_WORD}")
_WORD_AMOUNT_REACH = 80


def _may_hold_word_amounts(text: str) -> bool:
    # Substring tests run in C and cost far less than any regex scan.
    return any(w in text for w in _SCALE_WORD_FRAGMENTS) and any(
        w in text for w in _CURRENCY_WORD_FRAGMENTS
    )


def _word_candidates(text: str) -> list[_Candidate]:
    found = []
    for anchor_end in _scale_word_currency_ends(text):
        m = _WORD_MONEY_ENDING_HERE.search(text, max(0, anchor_end - _WORD_AMOUNT_REACH), anchor_end)
        if m is None:
            continue
        scale = m.group("scale").lower()
        amount = float(_count_of_words(m) * _MULTIPLIERS[scale])
        currency = _currency_of_word(m.group("word"))
        found.append(
            _Candidate(m.start(), m.end(), m.group("amount"), scale, amount, None, None, currency, True, from_words=True)
        )
    found.sort(key=lambda c: c.start)
    return found


def _scale_word_currency_ends(text: str) -> list[int]:
    """End offsets of every "million pounds"-like pair, found by substring search."""
    ends = []
    for fragment in _SCALE_WORD_FRAGMENTS:
        at = text.find(fragment)
        while at != -1:
            after = _CURRENCY_WORD_AFTER_SCALE.match(text, at + len(fragment))
            if after is not None:
                ends.append(after.end())
            at = text.find(fragment, at + 1)
    return ends


def _count_of_words(m: re.Match[str]) -> float:
    if m.group("half"):
        return 0.5
    if m.group("quarter"):
        return 0.25
    if m.group("single"):
        return 1
    count = 0
    for token in re.split(r"[\s-]+", m.group("count").lower()):
        if token == "hundred":
            count = (count or 1) * 100
        elif token != "and":
            count += _WORD_VALUES[token]
    return count + (0.5 if m.group("and_half") else 0)
