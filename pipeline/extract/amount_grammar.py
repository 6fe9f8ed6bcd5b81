"""The grammar of written figures: the numeric pattern, scales and their values, currency signs and words.

What belongs here: the one precompiled pattern that finds every figure written in digits, with the pieces
other patterns share (horizontal space, dashes, scale and currency words); the multipliers of scales and the
exact value of a written figure; which currency a sign or a currency word names; and `_Candidate`, the
record every finder fills in before a `Money` is made. Turning a match into a candidate is
`amount_numeric`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


# --- the numeric pattern ----------------------------------------------------

# Horizontal whitespace only (NBSP and narrow NBSP included): an amount may
# contain "£7.6\u00a0million" but must not run across a line break.
_SP = r"[^\S\r\n]"
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014"  # for use inside [...]

# Thousands separators must be well-formed: "£1,2,3" and "£3,5m" are not amounts.
# Digit runs are bounded (up to 999 trillion, 12 decimals) so that a megabyte of
# digits is rejected in linear time and never reaches int()/float().
_NUMBER_TAIL = r"(?:[0-9]{0,2}(?:,[0-9]{3}){1,4}|[0-9]{0,14})(?:\.[0-9]{1,12})?(?![0-9]|,[0-9])"
_NUMBER = r"[0-9]" + _NUMBER_TAIL
_SCALE = r"(?i:million|mn|m|billion|bn|trillion|tn|thousand|k)(?!\w)"
_WORD_SCALE = r"(?i:million|billion|trillion|thousand|mn|bn)(?!\w)"
# "\ufffd" is a pound sign lost to a bad encoding; every dollar ("US$", "NZ$") is foreign.
_SIGN_CHARS = "£€$\ufffd"
_CURRENCY_WORD = (
    rf"(?i:pounds(?:{_SP}sterling)?|sterling|quid|euros?|(?:US{_SP})?dollars?)(?!\w)"
)
_RANGE_SEP = rf"(?:{_SP}?[{_DASH}]{_SP}?|{_SP}{{1,3}}to{_SP}{{1,3}})"

_AFTER_SIGN = (
    rf"(?<=[{_SIGN_CHARS}]){_SP}?(?P<n1>{_NUMBER})(?:{_SP}?(?P<s1>{_SCALE}))?"
    rf"(?:(?P<sep>{_RANGE_SEP})(?:(?P<sign2>[{_SIGN_CHARS}]){_SP}?)?(?P<n2>{_NUMBER})"
    rf"(?:{_SP}?(?P<s2>{_SCALE}))?)?"
    rf"(?:{_SP}{{1,3}}(?P<word>{_CURRENCY_WORD}))?"
)
# A bare figure must start a token (not "A1", the "19" of "Covid-19", the "15"
# of "2014/15", nor a figure after another currency's sign), and must carry a
# scale; a lone "m" must touch the number ("63m"), a scale word may follow a space.
_AFTER_FIRST_DIGIT = (
    rf"(?<=[0-9])(?<![\w.,/¥¢¤{_SIGN_CHARS}\u20a0-\u20cf{_DASH}][0-9])"
    rf"(?P<bn1>{_NUMBER_TAIL})(?:{_SP}?[{_DASH}]{_SP}?(?P<bn2>{_NUMBER}))?"
    rf"(?:{_SP}(?={_WORD_SCALE}))?(?P<bs>{_SCALE})"
    rf"(?:{_SP}{{1,3}}(?P<bword>{_CURRENCY_WORD}))?"
)
# The pattern opens with a plain character class on purpose: sre then skips to
# the next sign or digit in C instead of trying the pattern at every position.
_NUMERIC_MONEY = re.compile(rf"[{_SIGN_CHARS}0-9](?:{_AFTER_SIGN}|{_AFTER_FIRST_DIGIT})")
_SIGNED_GROUPS = ("n1", "s1", "sep", "sign2", "n2", "s2", "word")
_BARE_GROUPS = ("bn1", "bn2", "bs", "bword")


_MULTIPLIERS: dict[str, int] = {
    "": 1,
    "k": 1_000, "thousand": 1_000,
    "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
    "bn": 1_000_000_000, "billion": 1_000_000_000,
    "tn": 1_000_000_000_000, "trillion": 1_000_000_000_000,
}


def _value(digits: str, multiplier: int) -> float:
    # Integer arithmetic and one correctly rounded division: "7.6" x 1e6 gives
    # exactly 7600000.0, not 7599999.999999999.
    whole, _, fraction = digits.partition(".")
    return int(whole + fraction) * multiplier / 10 ** len(fraction)


def _figure(number: str, scale: str | None) -> float:
    """Value of a figure already validated by the numeric pattern."""
    return _value(number.replace(",", ""), _MULTIPLIERS[scale.lower()] if scale else 1)


def _currency_of_sign(sign: str) -> tuple[str, bool]:
    if sign == "£":
        return "GBP", True
    if sign == "\ufffd":
        return "GBP", False
    if sign == "€":
        return "EUR", True
    return "USD", True


def _currency_of_word(word: str) -> str:
    lowered = word.lower()
    if lowered.startswith("euro"):
        return "EUR"
    if "dollar" in lowered:
        return "USD"
    return "GBP"


@dataclass(slots=True)
class _Candidate:
    """An amount found in the scan text, before its qualifier and offsets are settled."""

    start: int
    end: int
    number: str  # the first figure as written, kept so a range can inherit a scale
    scale: str | None
    amount: float | None
    low: float | None
    high: float | None
    currency: str
    explicit: bool
    value_start: int | None = None  # set when the phrase starts before its figures ("between")
    from_words: bool = False  # "five million pounds": `number` holds words, not digits
