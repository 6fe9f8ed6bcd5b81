"""The words right around a found figure that qualify it: a hedge before it, a per-unit tail after it.

What belongs here: the hedge words ("more than", "about", but not the "about" of "talk about £21bn"), read
by one anchored match on the reversed text before a figure, and the words after a figure that make it a
per-unit sum ("each", "per patient", "a head", but not "a year").
"""

from __future__ import annotations

import re

from pipeline.extract.amount_grammar import _SP


# Hedges written before a figure. Reported as written (lower-cased, spaces
# collapsed) so that "over" and "more than" stay distinct.
QUALIFIERS: tuple[str, ...] = (
    "a little less than", "a little more than", "a little over", "a little under",
    "just less than", "just more than", "just over", "just under", "just below",
    "just above", "well over", "well under", "well above", "well below",
    "no less than", "no more than", "not less than", "not more than",
    "more than", "less than", "in excess of", "upwards of", "in the region of",
    "as much as", "as little as", "close to", "at least", "at most", "up to",
    "an estimated", "approximately", "approx.", "roughly", "around", "about",
    "nearly", "almost", "circa", "some", "over", "under", "above", "below",
)


# Matched against the reversed text just before a figure, so the lookup is a
# single anchored match instead of a scan over the preceding window.
# Longest first, so "just over" wins over "over".
_QUALIFIER_REVERSED = re.compile(
    rf"(?i){_SP}{{1,3}}(?P<q>"
    + "|".join(
        re.escape(q[::-1]).replace(r"\ ", f"{_SP}{{1,3}}")
        for q in sorted(QUALIFIERS, key=len, reverse=True)
    )
    + r")(?![\w.])"
)
_QUALIFIER_REACH = 40
_QUALIFIER_ALIASES = {"approx.": "approximately"}
# After these words "about"/"over" introduce a topic, not a hedge:
# "talk about £21bn", "a row over £2m".
_TOPIC_WORDS = frozenset(
    """talk talks talking talked think thinking thought worry worries worried concern
    concerns concerned ask asked asking question questions know knew care cares row rows
    dispute disputes battle battles fight fights wrangle wrangles clash clashes argument
    arguments debate debates probe inquiry investigation anger fury outrage controversy
    confusion uncertainty complain complained complaining complaints""".split()
)
_PREVIOUS_WORD = re.compile(rf"(?P<w>[A-Za-z]+){_SP}{{1,3}}\Z")


# "£5m a year" and "£2m a week" are rates of spending, not per-unit sums.
_TIME_UNITS = r"(?:years?|yr|annum|months?|weeks?|days?|quarters?|fortnights?|night)"
_PER_UNIT_NOUNS = (
    r"(?:head|patient|practice|session|hour|item|person|gp|dose|test|visit|appointment"
    r"|consultation|bed|prescription|pen|pupil|resident|employee|member|user|claim"
    r"|pack|tablet|course|procedure|operation|case|place|child|adult|household|vaccination)"
)
_PER_UNIT_AFTER = re.compile(
    rf"(?i){_SP}{{0,3}}(?:"
    rf"each(?!\w)(?!{_SP}{{1,3}}{_TIME_UNITS}(?!\w))"
    rf"|(?:per|/){_SP}{{0,3}}(?!(?:{_TIME_UNITS}|cent)(?!\w))[a-z0-9]"
    rf"|an?{_SP}{{1,3}}(?:(?:registered|weighted|eligible|individual|single){_SP}{{1,3}})?"
    rf"{_PER_UNIT_NOUNS}(?!\w)"
    # A rate or a ratio: "£2000 every hour", "£1 in every £4".
    rf"|every{_SP}{{1,3}}(?:hour|minute|day|second)s?(?!\w)"
    rf"|in{_SP}{{1,3}}ever(?:y)?{_SP}{{1,3}}£"
    rf")"
)


def _qualifier_before(text: str, value_start: int) -> tuple[int, str] | None:
    reversed_before = text[max(0, value_start - _QUALIFIER_REACH) : value_start][::-1]
    match = _QUALIFIER_REVERSED.match(reversed_before)
    if match is None:
        return None
    start = value_start - match.end("q")
    qualifier = " ".join(match.group("q")[::-1].lower().split())
    if qualifier in ("about", "over"):
        previous = _PREVIOUS_WORD.search(text, max(0, start - 30), start)
        if previous is not None and previous.group("w").lower() in _TOPIC_WORDS:
            return None
    return start, _QUALIFIER_ALIASES.get(qualifier, qualifier)
