"""Time periods in news text: UK financial years, year-end positions, horizons.

This module is the surface layer for periods. It finds the phrases that tie
a figure to a time ("in 2014/15", "by 2020/21", "by the end of 2015-16",
"between 2011/12 and 2014/2015", "over the next three years", "this financial
year", "by 2020") and normalises them to UK financial years (April to March,
written "YYYY/YY"), a horizon in years, or a kind with no year at all. It does
NOT decide which figure a period belongs to, nor fill "this year" from a
dateline: callers do that (GUIDELINES.md "The period", "Finer points").

Design constraints:
- One precompiled pattern scans the text once for year tokens and for the
  word "year"; the words around each hit are then read with anchored or
  short-window matches, so the cost stays linear in the text.
- Only years 1990-2049 are plausible; fy_start is never after fy_end.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Period", "dated_by", "find_periods", "fy_label", "parse_fy"]

FIRST_PLAUSIBLE_YEAR = 1990
LAST_PLAUSIBLE_YEAR = 2049


@dataclass(frozen=True, slots=True)
class Period:
    start: int
    end: int
    text: str
    fy_start: str | None  # UK financial year "YYYY/YY"
    fy_end: str | None
    horizon_years: int | None
    # "in", "by", "year_end", "between", "horizon", "this_year", "relative_year", "calendar", "month" (the
    # financial year holding a month of a year: "in October 2020") or "open" (a bound: "since 2015/16")
    kind: str
    # For "this_year" and "relative_year": the financial year counted from the article's own date
    # (0 "this year", -1 "last year", +1 "next year"); resolved by `dated_by` once the date is known.
    year_offset: int | None = None


def fy_label(start_year: int) -> str:
    """The financial year starting in April of `start_year`: 2014 -> "2014/15"."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def parse_fy(token: str) -> int | None:
    """Start year of a financial-year token, or None if it is not one.

    Accepts "2014/15", "2014-15", "2014–15", "2014/2015", "FY2014/15", the
    doubled-zero typo "20013/14" (read as 2013/14) and a short "14/15": a
    token handed to this function is taken to be a financial year, whereas
    find_periods only reads a short one where the text says so ("FY14/15",
    "in 14/15"). The two parts must be consecutive years in 1990-2049.
    """
    parts = _FY_PARTS.fullmatch(token.strip())
    if parts is None:
        return None
    return _fy_start_year(parts.group("first"), parts.group("second"))


def find_periods(text: str) -> list[Period]:
    """Every period phrase in `text`, sorted by start and non-overlapping."""
    found: list[Period] = []
    year_tokens: list[_YearToken] = []
    for match in _ANCHORS.finditer(text):
        if match.group("first_tail") is not None:
            token = _financial_year_token(text, match)
            if token is not None:
                year_tokens.append(token)
        elif match.group("calendar_tail") is not None:
            period = _calendar_period(text, match)
            if period is not None:
                found.append(period)
        else:
            period = _year_word_period(text, match)
            if period is not None:
                found.append(period)
    found.extend(_financial_year_periods(text, year_tokens))
    if "FY" in text:
        found.extend(_short_fy_periods(text))
    return _without_overlaps(found)


# "FY24": the financial year named by the year it ends in (April 2023 to March 2024).
_SHORT_FY = re.compile(r"(?<![\w/])(?:(?P<lead>in|for|during|by) )?FY ?(?P<yy>[0-9]{2})(?![\w/\-–])")


def _short_fy_periods(text: str) -> list[Period]:
    periods = []
    for m in _SHORT_FY.finditer(text):
        start_year = 2000 + int(m.group("yy")) - 1
        if not _plausible(start_year):
            continue
        label = fy_label(start_year)
        kind = "by" if m.group("lead") == "by" else "in"
        periods.append(Period(m.start(), m.end(), m.group(), None if kind == "by" else label, label, None, kind))
    return periods


# --- patterns -------------------------------------------------------------------

# Horizontal whitespace only (NBSP included): a period does not run across lines.
_SP = r"[^\S\r\n]"
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014"  # for use inside [...]
_FY_SEP = rf"{_SP}?[/{_DASH}]{_SP}?"

_FY_PARTS = re.compile(
    rf"(?:(?i:FY){_SP}?)?(?P<first>[0-9]{{2}}|[0-9]{{4,5}}){_FY_SEP}(?P<second>[0-9]{{2}}|[0-9]{{4}})"
)

# One scan finds every financial-year token, every plausible calendar year and
# every "year"/"years", which all period phrases contain. The pattern opens with
# a plain character class on purpose: sre then skips to the next digit or "y" in
# C; the branches below re-read that first character through lookbehinds.
_NOT_AFTER = r"\w/£$€.,:\ufffd"
_ANCHORS = re.compile(
    rf"[0-9yY](?:"
    # "2014/15", "2014-2015", "20013/14" (a typo), "14/15"; not part of a date,
    # an amount or a longer number. "FY2014/15" may touch its letters.
    rf"(?<=[0-9])(?:(?<![{_NOT_AFTER}][0-9])|(?<=FY[0-9])|(?<=fy[0-9]))"
    rf"(?P<first_tail>(?<=2)00[0-9]{{2}}|(?<=[12])[0-9]{{3}}|[0-9])"
    rf"{_FY_SEP}(?P<second>[0-9]{{4}}|[0-9]{{2}}|(?<=[0-9]{{4}}/)[0-9])(?![0-9]|[/.,:][0-9]|%)"
    # "2020" alone: not "2020s", "2,020", "£2020" or one end of "2015-2020".
    rf"|(?<=[0-9])(?<![{_NOT_AFTER}{_DASH}][0-9])(?P<calendar_tail>(?<=1)99[0-9]|(?<=2)0[0-4][0-9])"
    rf"(?![0-9]|{_SP}?[/{_DASH}]{_SP}?[0-9]|[.,:][0-9]|%|\w)"
    rf"|(?<=[yY])(?<!\w[yY])(?P<year_word>(?i:ear))(?P<plural>[sS])?(?!\w)"
    rf")"
)


def _reversed_alternation(phrases: list[str] | tuple[str, ...]) -> str:
    """Regex alternation of `phrases` written backwards, longest first.

    The words before an anchor are read by one anchored match on the reversed
    text, which costs far less than searching a window forwards; longest first
    so that "by the end of" wins over "of".
    """
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(p[::-1]).replace(r"\ ", f"{_SP}{{1,3}}") for p in ordered)


def _normalised_phrase(reversed_text: str) -> str:
    return " ".join(reversed_text[::-1].lower().split())


# Words that lead into a financial year, and what they make of it.
_FY_LEADS: dict[str, str] = {
    **dict.fromkeys(
        ("by the end of", "at the end of", "to the end of", "the end of", "by end of", "end of",
         "ended", "ending", "ends", "end"),
        "year_end",
    ),
    **dict.fromkeys(("until the end of", "till the end of", "by", "until", "till", "up to"), "by"),
    **dict.fromkeys(("in", "for", "during", "of", "throughout", "over", "across", "within"), "in"),
    **dict.fromkeys(("between", "from"), "between"),
}
# Before the token, backwards: optional "FY", "financial year", "the", then the lead.
_FY_LEAD_REVERSED = re.compile(
    rf"(?i)(?:{_SP}?YF{_SP}{{1,3}}|{_SP}{{1,3}})"
    rf"(?:raey{_SP}{{1,3}}(?:laicnanif|lacsif){_SP}{{1,3}})?"
    rf"(?:eht{_SP}{{1,3}})?"
    rf"(?P<lead>{_reversed_alternation(tuple(_FY_LEADS))})(?!\w)"
)
_FY_LETTERS_BEFORE = re.compile(rf"(?i)(?<!\w)FY{_SP}?\Z")
# "for the 2014/15 financial year": the trailing words belong to the phrase.
_FY_SUFFIX = re.compile(rf"(?i){_SP}{{1,3}}(?:financial|fiscal){_SP}{{1,3}}year(?!\w)")
# What may sit between the two years of one span: "2011/12 and 2014/15",
# "2011/12 to 2014/15", "2011/12-2014/15".
_FY_JOIN = re.compile(
    rf"{_SP}{{0,3}}(?:(?i:and|to|until|till|through)|[{_DASH}])"
    rf"{_SP}{{0,3}}(?:(?i:the){_SP}{{1,3}})?(?:(?i:financial|fiscal){_SP}{{1,3}}(?i:year){_SP}{{1,3}})?"
)
# "in 14/15 weeks" or "12/13 per cent" are not financial years.
_COUNT_AFTER = re.compile(
    rf"(?i){_SP}*(?:%|per{_SP}?cent|percent|weeks?|days?|months?|years?|hours?|minutes?|of{_SP}+the)(?!\w)"
)

_CALENDAR_PREFIX = re.compile(
    rf"(?i)(?<!\w)(?:"
    # "by March 2016" closes the financial year 2015/16.
    rf"(?P<year_to>(?:the{_SP}+)?(?:(?:financial|fiscal){_SP}+)?year{_SP}+(?:to|ending|ended)"
    rf"{_SP}+(?:31(?:st)?{_SP}+)?March)"
    rf"|(?P<march_end>(?:(?:by|at|to){_SP}+(?:the{_SP}+end{_SP}+of{_SP}+)?|(?:the{_SP}+)?end{_SP}+of{_SP}+)"
    rf"(?:31(?:st)?{_SP}+)?March)"
    rf"|(?P<calendar>(?:(?:by|at){_SP}+)?the{_SP}+end{_SP}+of|by|in|during|until|till|before|throughout)"
    rf"){_SP}+\Z"
)

_COUNT_WORD_VALUES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_COUNT_REVERSED = rf"(?P<count>{_reversed_alternation(tuple(_COUNT_WORD_VALUES))}|[0-9]{{1,2}})"
_HORIZON_PREPOSITIONS = ("over", "in", "within", "during", "across")
_LOOKING_AHEAD = ("next", "coming", "following")
# "over the next three years", "in three years", "within two years"; never
# "the previous/past/last N years".
_HORIZON_LEADS = (
    *(f"{prep} the {ahead}" for prep in (*_HORIZON_PREPOSITIONS, "for") for ahead in _LOOKING_AHEAD),
    *(f"{prep} {ahead}" for prep in _HORIZON_PREPOSITIONS for ahead in _LOOKING_AHEAD),
    *(f"the {ahead}" for ahead in _LOOKING_AHEAD),
    *_LOOKING_AHEAD,
    *(f"{prep} the" for prep in _HORIZON_PREPOSITIONS),
    *_HORIZON_PREPOSITIONS,
)
_HORIZON_BEFORE_YEARS_REVERSED = re.compile(
    rf"(?i){_SP}{{1,3}}{_COUNT_REVERSED}{_SP}{{1,3}}(?:{_reversed_alternation(_HORIZON_LEADS)})(?!\w)"
)
# "three-year" or "five year" used as an adjective.
_HORIZON_BEFORE_YEAR_REVERSED = re.compile(
    rf"(?i)(?:[{_DASH}]|{_SP}{{1,2}}){_COUNT_REVERSED}(?![\w{_DASH}])"
)
_NOT_A_HORIZON_AFTER = re.compile(rf"(?i)(?:{_SP}+ago|'?{_SP}*[{_DASH}]?{_SP}*olds?)(?!\w)")
_THIS_YEAR_BEFORE_REVERSED = re.compile(
    rf"(?i)(?:{_SP}{{1,3}}(?:(?:laicnanif|lacsif){_SP}{{1,3}})?"
    rf"(?:{_reversed_alternation(('this', 'the current', 'current'))})|[{_DASH}]ni)(?!\w)"
)
# "last year", "the previous financial year", "next year", "the year ahead" and year-end positions: a
# financial year counted from the article's date. ("the last year" is twelve months, not a year.)
_RELATIVE_YEAR_LEADS: dict[str, int] = {
    **dict.fromkeys(("last", "last financial", "previous", "the previous", "the previous financial",
                     "the preceding", "the prior", "prior"), -1),
    **dict.fromkeys(("next", "next financial", "the next financial", "the coming financial",
                     "the following financial"), 1),
    **dict.fromkeys(("the end of the", "the end of the financial", "end of the financial",
                     "by the end of the", "by the end of the financial", "at the end of the financial",
                     "at the end of the"), 0),
}
_RELATIVE_YEAR_BEFORE_REVERSED = re.compile(
    rf"(?i){_SP}{{1,3}}(?P<lead>{_reversed_alternation(tuple(_RELATIVE_YEAR_LEADS))})(?!\w)"
)
# The last two letters of every relative lead, reversed as the text before a "year" is read: a cheap test of
# the word before it ("year year year" never reaches the regex).
_RELATIVE_LAST_ENDINGS = frozenset(lead.split()[-1][::-1][:2] for lead in _RELATIVE_YEAR_LEADS)
_PREFIX_REACH = 45


# --- internals ------------------------------------------------------------------


@dataclass(slots=True)
class _YearToken:
    """A financial-year token with the words that lead into it."""

    start: int  # of the leading words, or of the token when there are none
    token_start: int
    end: int
    year: int
    kind: str  # "in", "by", "year_end" or "between" (an opening "between"/"from")


def _plausible(year: int) -> bool:
    return FIRST_PLAUSIBLE_YEAR <= year <= LAST_PLAUSIBLE_YEAR


def _fy_start_year(first: str, second: str) -> int | None:
    for year in _readings_of_first_part(first):
        if _plausible(year) and _is_next_year(year, second):
            return year
    return None


def _readings_of_first_part(first: str) -> list[int]:
    if len(first) == 2:
        century = 1900 if first >= "90" else 2000
        return [century + int(first)]
    if len(first) == 4:
        return [int(first)]
    if len(first) == 5:
        # "20013/14": the writer doubled a zero; drop one of a pair of zeros.
        return [int(first[:i] + first[i + 1 :]) for i in range(1, 5) if first[i] == "0" == first[i - 1]]
    return []


def _is_next_year(year: int, second: str) -> bool:
    if len(second) == 1:  # "2005/6": only after a four-digit year and a slash (see _ANCHORS)
        return int(second) == (year + 1) % 10
    if len(second) == 2:
        return int(second) == (year + 1) % 100
    return len(second) == 4 and int(second) == year + 1


def _financial_year_token(text: str, m: re.Match[str]) -> _YearToken | None:
    first, second = text[m.start()] + m.group("first_tail"), m.group("second")
    year = _fy_start_year(first, second)
    if year is None:
        return None
    token_start = m.start()
    lead = _FY_LEAD_REVERSED.match(_reversed_before(text, token_start))
    fy_letters = None
    if lead is None or len(first) == 2:
        fy_letters = _FY_LETTERS_BEFORE.search(text, max(0, token_start - 3), token_start)
    if len(first) == 2 and not _clearly_financial_year(text, m.end(), lead, fy_letters):
        return None
    if lead is not None:
        kind = _FY_LEADS[_normalised_phrase(lead.group("lead"))]
        return _YearToken(token_start - lead.end(), token_start, m.end(), year, kind)
    start = fy_letters.start() if fy_letters is not None else token_start
    return _YearToken(start, token_start, m.end(), year, "in")


def _reversed_before(text: str, position: int) -> str:
    return text[max(0, position - _PREFIX_REACH) : position][::-1]


def _clearly_financial_year(
    text: str, end: int, lead: re.Match[str] | None, fy_letters: re.Match[str] | None
) -> bool:
    # A short "14/15" is a financial year only when the text says so ("FY14/15",
    # "in 14/15") and it is not a count ("in 12/13 weeks").
    if fy_letters is not None:
        return True
    return lead is not None and _COUNT_AFTER.match(text, end) is None


def _financial_year_periods(text: str, tokens: list[_YearToken]) -> list[Period]:
    periods: list[Period] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following is not None and _joined(text, token, following):
            periods.append(_span_period(text, token, following))
            i += 2
            continue
        periods.append(_single_year_period(text, token))
        i += 1
    return periods


def _joined(text: str, first: _YearToken, second: _YearToken) -> bool:
    # The gap is read from the token itself, so a joining "until" that was
    # taken as the second year's lead still joins the span.
    if second.year <= first.year:
        return False
    return _FY_JOIN.fullmatch(text, first.end, second.token_start) is not None


def _span_period(text: str, first: _YearToken, last: _YearToken) -> Period:
    return Period(
        first.start, last.end, text[first.start : last.end],
        fy_label(first.year), fy_label(last.year), None, "between",
    )


# "since 2015/16", "before 2010/11", "from 2011-12 onwards": a bound in time, not a year a figure is of.
_OPEN_BOUND_BEFORE = re.compile(rf"(?i)(?<!\w)(?:since|after|before|prior{_SP}+to){_SP}+(?:the{_SP}+)?\Z")
_ONWARDS_AFTER = re.compile(rf"(?i){_SP}+(?:onwards?|and{_SP}+beyond)(?!\w)")


def _single_year_period(text: str, token: _YearToken) -> Period:
    label = fy_label(token.year)
    suffix = _FY_SUFFIX.match(text, token.end)
    end = suffix.end() if suffix is not None else token.end
    if _ONWARDS_AFTER.match(text, end) or _OPEN_BOUND_BEFORE.search(text, max(0, token.token_start - 20),
                                                                     token.token_start):
        return Period(token.start, end, text[token.start : end], None, None, None, "open")
    if token.kind == "by":
        return Period(token.start, end, text[token.start : end], None, label, None, "by")
    if token.kind == "year_end":
        return Period(token.start, end, text[token.start : end], label, label, None, "year_end")
    if token.kind == "between":
        # "between 2014/15" or "from 2014/15" with no second year: the year itself.
        return Period(token.token_start, end, text[token.token_start : end], label, label, None, "in")
    return Period(token.start, end, text[token.start : end], label, label, None, "in")


def _calendar_period(text: str, m: re.Match[str]) -> Period | None:
    year = int(text[m.start()] + m.group("calendar_tail"))
    dated = _month_period(text, m, year)
    if dated is not None:
        return dated
    prefix = _CALENDAR_PREFIX.search(text, max(0, m.start() - _PREFIX_REACH), m.start())
    if prefix is None:
        return None  # "the 2015 election" says nothing about a figure's period
    phrase = text[prefix.start() : m.end()]
    if prefix.lastgroup == "year_to" and _plausible(year - 1):
        label = fy_label(year - 1)
        return Period(prefix.start(), m.end(), phrase, label, label, None, "in")
    if prefix.lastgroup == "march_end" and _plausible(year - 1):
        label = fy_label(year - 1)
        return Period(prefix.start(), m.end(), phrase, label, label, None, "year_end")
    return Period(prefix.start(), m.end(), phrase, None, None, None, "calendar")


_MONTHS = {name: number for number, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")), start=1) for name in names}
# "in October 2020", "by the end of August 2016", "by April 2025": a month of a year lies in one financial
# year. "March" is left to the year-end phrases above; "since May 2019" points back, not at a period.
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_BEFORE = re.compile(
    rf"(?i)(?<!\w)(?:(?P<lead>(?:(?:by|at|to){_SP}+)?the{_SP}+end{_SP}+of|end{_SP}+of|by|before|until|till|in|"
    rf"during|for|at|to|of|since|from){_SP}+)?(?:(?:the{_SP}+)?[0-9]{{1,2}}(?:st|nd|rd|th)?{_SP}+(?:of{_SP}+)?)?"
    rf"(?:(?:{_MONTH_NAMES}){_SP}+(?:and|to|or){_SP}+)?(?P<month>{_MONTH_NAMES}){_SP}+\Z")
_MONTH_REACH = 40


def _month_period(text: str, m: re.Match[str], year: int) -> Period | None:
    before = _MONTH_BEFORE.search(text, max(0, m.start() - _MONTH_REACH), m.start())
    if before is None:
        return None
    month = _MONTHS[before.group("month").lower()]
    lead = " ".join((before.group("lead") or "").lower().split())
    if month == 3 or lead in ("since", "from"):
        return None
    phrase = text[before.start():m.end()]
    if lead in ("by", "before", "until", "till") and month == 4:
        # "by April 2025": by the end of the financial year that April closes.
        label = fy_label(year - 1)
        return Period(before.start(), m.end(), phrase, label, label, None, "year_end")
    start_year = financial_year_of(dt.date(year, month, 1))
    if not _plausible(start_year):
        return None
    label = fy_label(start_year)
    return Period(before.start(), m.end(), phrase, label, label, None, "month")


def _year_word_period(text: str, m: re.Match[str]) -> Period | None:
    start, end = m.start(), m.end()
    before = _reversed_before(text, start)
    if m.group("plural"):
        lead = _HORIZON_BEFORE_YEARS_REVERSED.match(before)
    elif (this_year := _THIS_YEAR_BEFORE_REVERSED.match(before)) is not None:
        phrase_start = start - this_year.end()
        return Period(phrase_start, end, text[phrase_start:end], None, None, None, "this_year", 0)
    elif before[1:3].lower() in _RELATIVE_LAST_ENDINGS \
            and (relative := _RELATIVE_YEAR_BEFORE_REVERSED.match(before)) is not None \
            and not _NOT_A_HORIZON_AFTER.match(text, end):
        phrase_start = start - relative.end()
        lead = " ".join(relative.group("lead")[::-1].lower().split())
        offset = _RELATIVE_YEAR_LEADS[lead]
        if lead.startswith("last") and re.search(r"(?i)\b(?:the|in|over|during)\s+$", text[max(0, phrase_start - 8):phrase_start]):
            return None  # "in the last year": the past twelve months, not a financial year
        kind = "year_end" if offset == 0 else "relative_year"
        return Period(phrase_start, end, text[phrase_start:end], None, None, None, kind, offset)
    else:
        lead = _HORIZON_BEFORE_YEAR_REVERSED.match(before)
    if lead is None or _NOT_A_HORIZON_AFTER.match(text, end):
        return None
    phrase_start = start - lead.end()
    count = lead.group("count")[::-1].lower()
    years = _COUNT_WORD_VALUES.get(count) or int(count)
    return Period(phrase_start, end, text[phrase_start:end], None, None, years, "horizon")


def _without_overlaps(periods: list[Period]) -> list[Period]:
    kept: list[Period] = []
    for period in sorted(periods, key=lambda p: (p.start, -p.end)):
        if kept and period.start < kept[-1].end:
            continue
        kept.append(period)
    return kept


def financial_year_of(day) -> int:
    """The start year of the UK financial year (April to March) holding a date."""
    return day.year if day.month >= 4 else day.year - 1


def dated_by(periods: list[Period], published_on) -> list[Period]:
    """Periods with "this year", "last year", "next year" and year-end positions resolved against the
    article's date (GUIDELINES.md: "this year" is filled only when a dateline fixes the year)."""
    if published_on is None or not any(p.year_offset is not None for p in periods):
        return periods
    base = financial_year_of(published_on)
    resolved = []
    for p in periods:
        if p.year_offset is None:
            resolved.append(p)
            continue
        label = fy_label(base + p.year_offset)
        kind = "year_end" if p.kind == "year_end" else "in"
        resolved.append(Period(p.start, p.end, p.text, label, label, None, kind, p.year_offset))
    return resolved
