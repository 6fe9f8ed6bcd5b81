"""Ranges: when two figures are one range, and what its bounds are.

What belongs here: the bounds of "£34-37m", "£500,000-£1m" and "£5m to £7m" (a low end written without a
scale takes the high end's), and joining "between £3m and £5m" into one range. That "rose from £2m to £3m"
is a change, not a range, is decided where the pair is read (`amount_numeric`).
"""

from __future__ import annotations

import re

from pipeline.extract.amount_grammar import _SP, _Candidate, _figure


_BETWEEN_BEFORE = re.compile(rf"(?i)(?<!\w)between{_SP}{{1,3}}\Z")
_AND_GAP = re.compile(rf"{_SP}{{1,3}}and{_SP}{{1,3}}")


def _range_bounds(
    low_number: str, low_scale: str | None, high_number: str, high_scale: str | None,
    *, joined_by_to: bool, second_sign: bool,
) -> tuple[float, float] | None:
    if low_scale and not high_scale:
        return None  # "£5m-2015": the second number is not money
    if joined_by_to and not high_scale and not second_sign:
        return None  # "£5 to 10 practices"
    return _ordered_bounds(low_number, low_scale, high_number, high_scale)


def _ordered_bounds(
    low_number: str, low_scale: str | None, high_number: str, high_scale: str | None
) -> tuple[float, float] | None:
    low = _low_end(low_number, low_scale, high_number, high_scale)
    if low is None:
        return None
    high = _figure(high_number, high_scale)
    return (low, high) if low < high else None


def _low_end(low_number: str, low_scale: str | None, high_number: str, high_scale: str | None) -> float | None:
    if low_scale is not None or high_scale is None:
        return _figure(low_number, low_scale)
    # "£34-37m" and "between £3 and £5 million" mean millions at both ends.
    if _figure(low_number, None) <= _figure(high_number, None):
        return _figure(low_number, high_scale)
    # "£500,000-£1m" states its low end in full; "2014-15m" is not a range at all.
    return _figure(low_number, None) if "," in low_number else None


def _join_between_ranges(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Widen "between £34-37m" and join "between £3m and £5m" into one range."""
    joined: list[_Candidate] = []
    i = 0
    while i < len(candidates):
        current = candidates[i]
        window_start = max(0, current.start - 12)
        if "etween" in text[window_start : current.start]:
            between = _BETWEEN_BEFORE.search(text, window_start, current.start)
            if between is not None and current.amount is None:
                current.value_start = current.start
                current.start = between.start()
            elif between is not None and i + 1 < len(candidates):
                pair = _between_pair(text, current, candidates[i + 1], between.start())
                if pair is not None:
                    joined.append(pair)
                    i += 2
                    continue
        joined.append(current)
        i += 1
    return joined


def _between_pair(text: str, low: _Candidate, high: _Candidate, phrase_start: int) -> _Candidate | None:
    if high.amount is None or low.from_words or high.from_words or low.currency != high.currency:
        return None
    if _AND_GAP.fullmatch(text, low.end, high.start) is None:
        return None
    bounds = _ordered_bounds(low.number, low.scale, high.number, high.scale)
    if bounds is None:
        return None
    return _Candidate(
        phrase_start, high.end, low.number, low.scale, None, bounds[0], bounds[1],
        low.currency, low.explicit or high.explicit, value_start=low.start,
    )
