"""Figures written in digits: each match of the numeric pattern made a candidate, signed or bare.

What belongs here: a figure after a currency sign ("£7.6m", "US$5m", a "�33 million" whose pound sign a
bad encoding lost) and the range it may open, and a bare figure with a scale ("63m") that lost its pound
sign, with the tests that reject one as another currency's ("CHF 5m") or as a count of something else
("2m more patients").
"""

from __future__ import annotations

import re

from pipeline.extract.amount_grammar import (_BARE_GROUPS, _DASH, _NUMERIC_MONEY, _SIGNED_GROUPS, _SP, _Candidate,
                                             _currency_of_sign, _currency_of_word, _figure)
from pipeline.extract.amount_ranges import _range_bounds


# A bare "63m" followed by one of these words counts something other than money.
NON_MONEY_UNITS: frozenset[str] = frozenset(
    {
        # people and bodies
        "people", "persons", "person", "patients", "patient", "residents", "population",
        "users", "user", "members", "staff", "workers", "employees", "nurses", "doctors",
        "gps", "children", "adults", "women", "men", "households", "homes", "pupils",
        "students", "voters", "viewers", "readers", "subscribers", "followers",
        "customers", "carers", "practices", "beds", "cases", "deaths", "births", "lives",
        # activity
        "prescriptions", "prescription", "items", "item", "appointments", "appointment",
        "visits", "visit", "admissions", "attendances", "consultations", "referrals",
        "calls", "operations", "procedures", "tests", "doses", "dose", "jabs",
        "vaccinations", "vaccines", "records", "letters", "emails", "texts", "messages",
        "pages", "words", "units", "packs", "tablets", "pills", "steps", "downloads",
        "views", "hits", "clicks", "votes", "copies", "sessions", "hours", "hour",
        # time and measures
        "years", "year", "months", "weeks", "days", "minutes", "seconds", "miles", "mile",
        "km", "kilometres", "metres", "meters", "feet", "tonnes", "tons", "litres",
        "gallons", "acres", "hectares", "sq", "square", "away", "tall", "wide", "long",
        "high", "deep",
        # other currencies written as a word after the number
        "yen", "yuan", "rupees", "francs", "kroner", "krona", "rand", "roubles", "pesos",
    }
)


# Codes of currencies other than pounds, euros and dollars: a bare "5m" right
# after one of them is foreign, not a pound figure that lost its sign.
_FOREIGN_CODES = frozenset(
    "CHF JPY CNY RMB INR AUD CAD NZD HKD SEK NOK DKK ZAR RUB SGD PLN CZK HUF TRY BRL MXN KRW".split()
)
_CODE_CURRENCIES = {"GBP": "GBP", "EUR": "EUR", "USD": "USD"}


_FROM_BEFORE = re.compile(rf"(?i)(?<!\w)from{_SP}{{1,3}}\Z")
_LETTERS_BEFORE_DOLLAR = re.compile(r"(?<![A-Za-z])[A-Z]{1,3}\Z")
_CURRENCY_CODE_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<code>[A-Z]{{3}}){_SP}?\Z")


_NEXT_WORD = re.compile(rf"{_SP}{{0,3}}(?:[{_DASH}]{_SP}?)?(?P<w>[A-Za-z]+)")
# Adjectives that may sit between a count and its unit: "2m more patients".
_COUNT_MODIFIERS = frozenset(
    "more extra additional new fewer other further different separate unique registered "
    "eligible active individual annual daily weekly monthly".split()
)


def _numeric_candidates(text: str, pos: int = 0, endpos: int | None = None) -> list[_Candidate]:
    found: list[_Candidate] = []
    matches = _NUMERIC_MONEY.finditer(text, pos, len(text) if endpos is None else endpos)
    for match in matches:
        if match.group("n1") is not None:
            candidate, rest_start = _signed_candidate(text, match)
        else:
            candidate, rest_start = _bare_candidate(text, match)
        if candidate is not None:
            found.append(candidate)
        if rest_start < match.end():
            # A rejected range ("from £2m to £3m"): its second figure stands alone.
            found.extend(_numeric_candidates(text, rest_start, match.end()))
    return found


def _signed_candidate(text: str, m: re.Match[str]) -> tuple[_Candidate | None, int]:
    n1, s1, sep, sign2, n2, s2, word = m.group(*_SIGNED_GROUPS)
    start = m.start()
    sign = text[start]
    if sign == "$" and (letters := _LETTERS_BEFORE_DOLLAR.search(text, max(0, start - 3), start)):
        start = letters.start()  # "US$5m", "NZ$5m"
    currency, explicit = _currency_of_sign(sign)
    if word and not explicit and _currency_of_word(word) == "GBP":
        explicit = True  # "�33 million pounds": the word survived even if the sign did not
    if n2 is None:
        return _single(start, m.end(), n1, s1, currency, explicit), m.end()
    joined_by_to = sep.strip() == "to"
    bounds = _range_bounds(n1, s1, n2, s2, joined_by_to=joined_by_to, second_sign=sign2 is not None)
    same_currency = sign2 is None or _currency_of_sign(sign2)[0] == currency
    # "rose from £2m to £3m" is a change between two figures, not a range.
    change = joined_by_to and _FROM_BEFORE.search(text, max(0, m.start() - 8), m.start())
    if bounds is not None and same_currency and not change:
        return _range(start, m.end(), n1, s1, bounds, currency, explicit), m.end()
    first_end = m.end("s1") if s1 else m.end("n1")
    return _single(start, first_end, n1, s1, currency, explicit), first_end


def _bare_candidate(text: str, m: re.Match[str]) -> tuple[_Candidate | None, int]:
    bn1_tail, bn2, scale, word = m.group(*_BARE_GROUPS)
    start = m.start()
    number = text[start] + bn1_tail
    code_match = _CURRENCY_CODE_BEFORE.search(text, max(0, start - 4), start)
    code = code_match.group("code") if code_match else None
    if code in _FOREIGN_CODES:
        return None, m.end()  # "CHF 5m"
    if code_match is not None and code in _CODE_CURRENCIES:
        currency, explicit = _CODE_CURRENCIES[code], True
        start = code_match.start()
    elif word is not None:
        currency, explicit = _currency_of_word(word), True
    elif _counts_something_else(text, m.end()):
        return None, m.end()
    else:
        currency, explicit = "GBP", False
    if bn2 is None:
        return _single(start, m.end(), number, scale, currency, explicit), m.end()
    bounds = _range_bounds(number, None, bn2, scale, joined_by_to=False, second_sign=False)
    if bounds is None:
        return None, m.end()  # "2014-15m", "10-5m": neither half is a sum on its own
    return _range(start, m.end(), number, None, bounds, currency, explicit), m.end()


def _single(start: int, end: int, number: str, scale: str | None, currency: str, explicit: bool) -> _Candidate:
    return _Candidate(start, end, number, scale, _figure(number, scale), None, None, currency, explicit)


def _range(
    start: int, end: int, number: str, scale: str | None, bounds: tuple[float, float], currency: str, explicit: bool
) -> _Candidate:
    return _Candidate(start, end, number, scale, None, bounds[0], bounds[1], currency, explicit)


def _counts_something_else(text: str, end: int) -> bool:
    pos = end
    for _ in range(3):
        nxt = _NEXT_WORD.match(text, pos)
        if nxt is None:
            return False
        word = nxt.group("w").lower()
        if word in NON_MONEY_UNITS:
            return True
        if word not in _COUNT_MODIFIERS:
            return False
        pos = nxt.end()
    return False
