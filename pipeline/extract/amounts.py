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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_MULTIPLIERS: dict[str, int] = {
    "": 1,
    "k": 1_000, "thousand": 1_000,
    "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
    "bn": 1_000_000_000, "billion": 1_000_000_000,
    "tn": 1_000_000_000_000, "trillion": 1_000_000_000_000,
}

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SCALE_WORD_FRAGMENTS = ("illion", "ILLION", "housand", "HOUSAND")
_CURRENCY_WORD_FRAGMENTS = (
    "ound", "OUND", "uro", "URO", "ollar", "OLLAR", "terling", "TERLING", "quid", "QUID",
)

# Codes of currencies other than pounds, euros and dollars: a bare "5m" right
# after one of them is foreign, not a pound figure that lost its sign.
_FOREIGN_CODES = frozenset(
    "CHF JPY CNY RMB INR AUD CAD NZD HKD SEK NOK DKK ZAR RUB SGD PLN CZK HUF TRY BRL MXN KRW".split()
)
_CODE_CURRENCIES = {"GBP": "GBP", "EUR": "EUR", "USD": "USD"}

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

# --- amounts in words -------------------------------------------------------

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

# --- context around a figure --------------------------------------------------

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
_BETWEEN_BEFORE = re.compile(rf"(?i)(?<!\w)between{_SP}{{1,3}}\Z")
_AND_GAP = re.compile(rf"{_SP}{{1,3}}and{_SP}{{1,3}}")
_FROM_BEFORE = re.compile(rf"(?i)(?<!\w)from{_SP}{{1,3}}\Z")
_LETTERS_BEFORE_DOLLAR = re.compile(r"(?<![A-Za-z])[A-Z]{1,3}\Z")
_CURRENCY_CODE_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<code>[A-Z]{{3}}){_SP}?\Z")

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
_NEXT_WORD = re.compile(rf"{_SP}{{0,3}}(?:[{_DASH}]{_SP}?)?(?P<w>[A-Za-z]+)")
# Adjectives that may sit between a count and its unit: "2m more patients".
_COUNT_MODIFIERS = frozenset(
    "more extra additional new fewer other further different separate unique registered "
    "eligible active individual annual daily weekly monthly".split()
)


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


def _value(digits: str, multiplier: int) -> float:
    # Integer arithmetic and one correctly rounded division: "7.6" x 1e6 gives
    # exactly 7600000.0, not 7599999.999999999.
    whole, _, fraction = digits.partition(".")
    return int(whole + fraction) * multiplier / 10 ** len(fraction)


def _figure(number: str, scale: str | None) -> float:
    """Value of a figure already validated by the numeric pattern."""
    return _value(number.replace(",", ""), _MULTIPLIERS[scale.lower()] if scale else 1)


def _without_zero_width(text: str) -> tuple[str, list[int] | None]:
    if not any(ch in text for ch in _ZERO_WIDTH):
        return text, None
    kept = [i for i, ch in enumerate(text) if ch not in _ZERO_WIDTH]
    return "".join(text[i] for i in kept), kept


def _may_hold_word_amounts(text: str) -> bool:
    # Substring tests run in C and cost far less than any regex scan.
    return any(w in text for w in _SCALE_WORD_FRAGMENTS) and any(
        w in text for w in _CURRENCY_WORD_FRAGMENTS
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


def _merge_sorted(first: list[_Candidate], second: list[_Candidate]) -> list[_Candidate]:
    if not second:
        return first
    merged: list[_Candidate] = []
    for candidate in sorted(first + second, key=lambda c: (c.start, -c.end)):
        if merged and candidate.start < merged[-1].end:
            continue
        merged.append(candidate)
    return merged


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
