"""Tests for pipeline.extract.amounts: money phrases, their values, hedges and spans.

Examples are short phrases from GUIDELINES.md, COVERAGE.md and the devset and
seed articles, written inline. The gold test at the end reads the gold files
from ../shared when it is present.
"""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract.amounts import NON_MONEY_UNITS, Money, find_money, parse_amount
from tests.support.timing import superlinear



def only(text: str) -> Money:
    found = find_money(text)
    assert len(found) == 1, f"expected one amount in {text!r}, got {found}"
    return found[0]


def assert_well_formed(text: str, found: list[Money]) -> None:
    for money in found:
        assert text[money.start : money.end] == money.text
        assert money.start <= money.value_start < money.value_end == money.end
    for earlier, later in zip(found, found[1:]):
        assert earlier.end <= later.start


# --- single values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("NHS Hull faces £7.6m black hole", 7_600_000),
        ("The trust cut £7.6m from its agency spend in 2018/19", 7_600_000),
        ("a saving of £7.6 m", 7_600_000),
        ("a saving of £7.6million", 7_600_000),
        ("The plan includes £7.6 million from elective care", 7_600_000),
        ("a saving of £7.6 mn", 7_600_000),
        ("a saving of £7.6M", 7_600_000),
        ("NHS Plymouth has already cut £400,000 from its spending", 400_000),
        ("the CCG intends to claw back £400k from 22 practices", 400_000),
        ("clawback of £400K", 400_000),
        ("PCTs across the East Midlands SHA area must deliver £1.2bn of QIPP savings", 1_200_000_000),
        ("a £1.2 billion gap", 1_200_000_000),
        ("The Department of Health must also find £6 billion of savings", 6_000_000_000),
        ("NHS Sefton: £850,000", 850_000),
        ("NHS Richmond | £7.9m | £0.9m", 7_900_000),
        ("making £20bn worth of savings in the NHS", 20_000_000_000),
        ("a fee of £1,234.56", 1234.56),
        ("This has contributed to our forecast deficit for 2014/15 of £28.8 million", 28_800_000),
        ("NHS Hull is projecting a deficit of £7.58 million by the end of March", 7_580_000),
        ("it could save £5.26m from GP practices", 5_260_000),
        ("Derbyshire County PCT | £58.0m | £41.2m", 58_000_000),
        ("a combined deficit of £868m", 868_000_000),
        ("£2,000,000,000 in total", 2_000_000_000),
        ("a £1.2tn economy", 1_200_000_000_000),
        ("a deficit of £5 thousand", 5_000),
        ("a £14.6m deficit (see below)", 14_600_000),
        ("(£6.5m) reserve", 6_500_000),
        ("GBP 5m was saved", 5_000_000),
        ("£ 7.6m with a space after the sign", 7_600_000),
    ],
)
def test_single_pound_amounts(text: str, amount: float) -> None:
    money = find_money(text)[0]
    assert money.amount_gbp == amount
    assert money.low_gbp is None and money.high_gbp is None
    assert money.currency == "GBP"
    assert money.explicit_currency


def test_values_are_exact_floats() -> None:
    # 7.6 * 1e6 in naive float arithmetic is 7599999.999999999.
    assert only("£7.6m").amount_gbp == 7_600_000.0
    assert only("£0.3m").amount_gbp == 300_000.0
    assert only("£4.35bn").amount_gbp == 4_350_000_000.0


def test_several_amounts_in_a_table_row() -> None:
    found = find_money("NHS Derby City | £21.4m | £14.9m")
    assert [m.amount_gbp for m in found] == [21_400_000, 14_900_000]
    assert [m.text for m in found] == ["£21.4m", "£14.9m"]


def test_behind_on_target_gives_both_figures() -> None:
    text = "NHS South Gloucestershire said it was £5.8m behind on its £14m QIPP target for 2010/11"
    assert [m.amount_gbp for m in find_money(text)] == [5_800_000, 14_000_000]


# --- ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high", "phrase"),
    [
        ("it expects a deficit of £18-22m in 2017/18", 18e6, 22e6, "£18-22m"),
        ("savings of £34-37m", 34e6, 37e6, "£34-37m"),
        ("savings of £34–37m", 34e6, 37e6, "£34–37m"),
        ("the NHS must find £15-20bn of efficiency savings", 15e9, 20e9, "£15-20bn"),
        ("£2.5m-£3m is expected to come from prescribing", 2.5e6, 3e6, "£2.5m-£3m"),
        ("a prescribing savings target of £2.5m-£3m for 2017/18", 2.5e6, 3e6, "£2.5m-£3m"),
        ("a target of £2.5m to £3m", 2.5e6, 3e6, "£2.5m to £3m"),
        ("a target of £2.5m - £3m", 2.5e6, 3e6, "£2.5m - £3m"),
        ("a target of £2.5m-3m", 2.5e6, 3e6, "£2.5m-3m"),
        ("it could save between £3m and £5m by reviewing continuing care packages", 3e6, 5e6, "between £3m and £5m"),
        ("could save between £3m and £5m a year", 3e6, 5e6, "between £3m and £5m"),
        ("PCTs have already calculated that between £34-37m can be saved", 34e6, 37e6, "between £34-37m"),
        ("was paid between £170,000 and £175,000 in 2017/18", 170_000, 175_000, "between £170,000 and £175,000"),
        ("in the £180,000 to £185,000 band", 180_000, 185_000, "£180,000 to £185,000"),
        ("between £3 and £5 million", 3e6, 5e6, "between £3 and £5 million"),
        ("£500,000-£1m", 500_000, 1e6, "£500,000-£1m"),
        ("£2-£3m", 2e6, 3e6, "£2-£3m"),
    ],
)
def test_ranges(text: str, low: float, high: float, phrase: str) -> None:
    money = only(text)
    assert money.amount_gbp is None
    assert (money.low_gbp, money.high_gbp) == (low, high)
    assert money.text == phrase


def test_between_range_value_span_excludes_between() -> None:
    text = "it could save between £3m and £5m by reviewing"
    money = only(text)
    assert text[money.value_start : money.value_end] == "£3m and £5m"
    assert money.qualifier is None


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        # A change from one figure to another is not a range.
        ("the deficit rose from £14m to £28.8m", [14e6, 28.8e6]),
        # The second number is a year or a count, not money.
        ("£5m to 2020", [5e6]),
        ("£5 to 10 practices", [5]),
        # A falling pair is not a range.
        ("cut from £5m-£3m", [5e6, 3e6]),
        # Without "between", two figures joined by "and" stay two figures.
        ("£3m and £5m", [3e6, 5e6]),
        # Different currencies do not make a range.
        ("£5m-€6m", [5e6, 6e6]),
    ],
)
def test_not_ranges(text: str, amounts: list[float]) -> None:
    found = find_money(text)
    assert [m.amount_gbp for m in found] == amounts
    assert all(m.low_gbp is None for m in found)


# --- qualifiers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "qualifier", "phrase"),
    [
        ("plans to save more than £35m by shifting care", "more than", "more than £35m"),
        ("with a combined gap across the region of more than £30m", "more than", "more than £30m"),
        ("the ICB itself must find savings of nearly £200m in 2023/24", "nearly", "nearly £200m"),
        ("could save up to £12m a year by moving", "up to", "up to £12m"),
        ("would save around £750m a year", "around", "around £750m"),
        ("over £5m was saved", "over", "over £5m"),
        ("Over £5m was saved", "over", "Over £5m"),
        ("almost £5m", "almost", "almost £5m"),
        ("about £5m", "about", "about £5m"),
        ("at least £5m", "at least", "at least £5m"),
        ("less than £150 for the cheapest", "less than", "less than £150"),
        ("under £5m", "under", "under £5m"),
        ("approximately £5m", "approximately", "approximately £5m"),
        ("approx. £5m", "approximately", "approx. £5m"),
        ("some £5m", "some", "some £5m"),
        ("just over £5m", "just over", "just over £5m"),
        ("just under £5m", "just under", "just under £5m"),
        ("in excess of £5m", "in excess of", "in excess of £5m"),
        ("more  than £5m", "more than", "more  than £5m"),
        ("more\u00a0than £5m", "more than", "more\u00a0than £5m"),
        ("a hole of more than seven million pounds", "more than", "more than seven million pounds"),
        ("around £3-5m", "around", "around £3-5m"),
    ],
)
def test_qualifiers(text: str, qualifier: str, phrase: str) -> None:
    money = only(text)
    assert money.qualifier == qualifier
    assert money.text == phrase
    assert money.start < money.value_start
    assert text[money.value_start : money.value_end].lstrip("£").strip()


@pytest.mark.parametrize(
    "text",
    [
        "moreover £5m",  # "over" inside another word
        "handsome £5m",  # "some" inside another word
        "they want to talk about £21bn of efficiencies",  # a topic, not a hedge
        "a row over £2m",
        "NHS must find £21bn by 2020",
    ],
)
def test_no_qualifier(text: str) -> None:
    money = only(text)
    assert money.qualifier is None
    assert money.start == money.value_start


# --- amounts in words ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("We have to take five million pounds out of our acute contracts", 5_000_000),
        ("We are aiming to take ten million pounds out of continuing healthcare", 10_000_000),
        ("seven million pounds", 7_000_000),
        ("Seven Million Pounds", 7_000_000),
        ("a million pounds", 1_000_000),
        ("half a million pounds", 500_000),
        ("a quarter of a million pounds", 250_000),
        ("one and a half million pounds", 1_500_000),
        ("twenty-five million pounds", 25_000_000),
        ("a hundred million pounds", 100_000_000),
        ("two billion pounds", 2_000_000_000),
        ("fifty thousand pounds", 50_000),
        ("five million pounds sterling", 5_000_000),
    ],
)
def test_amounts_in_words(text: str, amount: float) -> None:
    money = only(text)
    assert money.amount_gbp == amount
    assert money.currency == "GBP" and money.explicit_currency


@pytest.mark.parametrize(
    "text",
    [
        "trusts will be left tens of millions of pounds in deficit",
        "PCTs plan to cut millions from primary care",
        "hundreds of thousands of pounds",
        "several million pounds",
        "a few million pounds",
        "sweeping changes will affect millions of people",
        "seven million people",
    ],
)
def test_vague_or_non_money_words_are_not_amounts(text: str) -> None:
    assert find_money(text) == []


# --- currency ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "explicit"),
    [
        ("a deficit of 63m", 63e6, False),
        ("a deficit of \ufffd33 million", 33e6, False),
        ("a deficit of \ufffd33m", 33e6, False),
        ("savings of 2.5bn", 2.5e9, False),
        ("band of 200k p.a.", 200e3, False),
        ("a deficit of 63m pounds", 63e6, True),
        ("a deficit of \ufffd33 million pounds", 33e6, True),
        ("a deficit of 63 million sterling", 63e6, True),
    ],
)
def test_pound_sign_lost(text: str, amount: float, explicit: bool) -> None:
    money = only(text)
    assert money.amount_gbp == amount
    assert money.currency == "GBP"
    assert money.explicit_currency is explicit


@pytest.mark.parametrize(
    "text",
    [
        "63m patients",
        "1.5 million people",
        "63m prescriptions a year",
        "5m items",
        "2m appointments",
        "3m more patients",
        "2m extra appointments",
        "300k visits",
        "2m miles",
        "10m years",
        "1m doses",
        "5m tonnes",
        "2m users",
        "5 million minutes",
        "63 m",  # a lone "m" after a space is not a scale without a sign
        "63",
        "5%",
        "a 5.5% rise",
        "2014",
        "in 2014/15",
        "2014-15",
        "11 practices",
        "95 CCGs",
        "Covid-19",
        "the A1m",
        "10mg",
        "5mm",
        "CHF 5m",
        "¥5m",
        "₹5m",
        "5m yen",
        "£1,2,3",
        "£3,5m",
        "£X savings",
        "£",
    ],
)
def test_not_money(text: str) -> None:
    assert find_money(text) == []


def test_non_money_units_is_a_module_level_frozenset() -> None:
    assert isinstance(NON_MONEY_UNITS, frozenset)
    assert {"patients", "people", "prescriptions", "miles", "years"} <= NON_MONEY_UNITS


@pytest.mark.parametrize(
    ("text", "currency", "amount", "phrase"),
    [
        ("€5m", "EUR", 5e6, "€5m"),
        ("$5m", "USD", 5e6, "$5m"),
        ("US$5m", "USD", 5e6, "US$5m"),
        ("NZ$5m", "USD", 5e6, "NZ$5m"),
        ("5m euros", "EUR", 5e6, "5m euros"),
        ("5 million euros", "EUR", 5e6, "5 million euros"),
        ("5 million dollars", "USD", 5e6, "5 million dollars"),
        ("5m US dollars", "USD", 5e6, "5m US dollars"),
        ("EUR 5m", "EUR", 5e6, "EUR 5m"),
        ("USD 5m", "USD", 5e6, "USD 5m"),
        ("five million euros", "EUR", 5e6, "five million euros"),
        ("€1,200", "EUR", 1200, "€1,200"),
    ],
)
def test_foreign_currency_is_never_gbp(text: str, currency: str, amount: float, phrase: str) -> None:
    money = only(text)
    assert (money.currency, money.amount_gbp, money.text) == (currency, amount, phrase)
    assert money.explicit_currency


def test_mixed_currencies_in_one_sentence() -> None:
    found = find_money("It saved €5m, or about £4.3m, and $2m")
    assert [(m.currency, m.amount_gbp) for m in found] == [("EUR", 5e6), ("GBP", 4.3e6), ("USD", 2e6)]


# --- per-unit sums ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "practices will continue to be paid £3 per head",
        "£3 a head",
        "claim up to £1.76 per registered patient",
        "£1.20 per patient",
        "£2,000 per practice",
        "£80 per session",
        "£150 an hour",
        "£100 per hour",
        "£9.80 per dose",
        "£2.50 a test",
        "£5 per item",
        "£350 per pen",
        "£18k each",
        "£20 per person",
        "£500 per GP",
        "£3/head",
        "£50 per 1,000 patients",
        "between £80 and £100 an hour",
    ],
)
def test_per_unit_sums(text: str) -> None:
    assert only(text).per_unit


@pytest.mark.parametrize(
    "text",
    [
        "save up to £12m a year",
        "£5m each year",
        "£2m a week",
        "£5m per year",
        "£5m per annum",
        "£1,200 a day",
        "£5m/year",
        "£7.6m from emergency care admissions",
        "a £4.3m gap",
    ],
)
def test_rates_and_plain_sums_are_not_per_unit(text: str) -> None:
    assert not only(text).per_unit


# --- invisible and non-breaking characters -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "£7.6\u00a0million",
        "£7.6\u202fmillion",
        "£7\u200b.6m",
        "£7.\u200c6m",
        "£\u200d7.6m",
        "\ufeff£7.6m",
        "£7.6\u2060m",
    ],
)
def test_invisible_and_non_breaking_characters(text: str) -> None:
    money = only(text)
    assert money.amount_gbp == 7_600_000
    assert text[money.start : money.end] == money.text
    assert money.text.replace("\ufeff", "").startswith("£")


def test_spans_index_the_original_text_after_zero_width_characters() -> None:
    text = "\u200bA\u200b deficit\u200b of more than £7\u200b.6m and £2m."
    found = find_money(text)
    assert [m.text for m in found] == ["more than £7\u200b.6m", "£2m"]
    assert_well_formed(text, found)
    assert text[found[0].value_start : found[0].value_end] == "£7\u200b.6m"


def test_amount_does_not_run_across_a_line_break() -> None:
    assert [m.amount_gbp for m in find_money("£7.6\nmillion")] == [7.6]


# --- parse_amount ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "scale", "value"),
    [
        ("7.6", "m", 7_600_000.0),
        ("7.6", "million", 7_600_000.0),
        ("7.6", "M", 7_600_000.0),
        ("400,000", None, 400_000.0),
        ("400", "k", 400_000.0),
        ("1.2", "bn", 1_200_000_000.0),
        ("6", "billion", 6_000_000_000.0),
        ("0.9", "m", 900_000.0),
        ("1,234.56", None, 1234.56),
        ("5", "thousand", 5_000.0),
        ("7.6", "mn", 7_600_000.0),
        ("1", "", 1.0),
    ],
)
def test_parse_amount(number: str, scale: str | None, value: float) -> None:
    assert parse_amount(number, scale) == value


@pytest.mark.parametrize(("number", "scale"), [("abc", None), ("", "m"), ("7.6", "furlongs"), ("1.2.3", None)])
def test_parse_amount_rejects_nonsense(number: str, scale: str | None) -> None:
    with pytest.raises(ValueError):
        parse_amount(number, scale)


# --- whole-article behaviour ----------------------------------------------------------------


def test_results_are_sorted_and_do_not_overlap() -> None:
    text = (
        "NHS Hull faces £7.6m black hole. It has a budget of around £420m and must save "
        "between £3m and £5m, or £2.5m-£3m from prescribing, plus five million pounds, "
        "and pays £3 per head. A further €5m came from the EU and 63m patients were seen."
    )
    found = find_money(text)
    assert_well_formed(text, found)
    assert [m.text for m in found] == [
        "£7.6m", "around £420m", "between £3m and £5m", "£2.5m-£3m", "five million pounds", "£3", "€5m",
    ]


# --- performance -----------------------------------------------------------------------------



_MEGABYTE_INPUTS = {
    "digits": lambda rng: "7" * 1_000_000,
    "digits commas spaces": lambda rng: "".join(rng.choice("0123456789, ") for _ in range(1_000_000)),
    "comma groups": lambda rng: "1" + ",234" * 250_000,
    "broken separators": lambda rng: "£1,2" * 250_000,
    "signs": lambda rng: "£" * 1_000_000,
    "dashes": lambda rng: "1-" * 500_000,
    "spaces": lambda rng: "£1" + " " * 1_000_000 + "m",
}


@pytest.mark.parametrize("label", list(_MEGABYTE_INPUTS))
def test_a_megabyte_of_digits_and_separators_is_fast(label: str) -> None:
    text = _MEGABYTE_INPUTS[label](random.Random(label))
    assert superlinear(find_money, text) is None


@pytest.mark.parametrize(
    "figure",
    ["£1.5m, ", "more than £2m and ", "between £1m and £2m, ", "£3-4m; ", "£1-", "63m ", "five million pounds, "],
)
def test_ten_thousand_figures_in_one_article_are_fast(figure: str) -> None:
    text = figure * 10_000
    assert superlinear(find_money, text) is None
    assert len(find_money(text)) == 10_000


# --- property tests ---------------------------------------------------------------------------

_SCALES = {None: 1, "k": 1_000, "m": 1_000_000, "bn": 1_000_000_000, "million": 1_000_000, "billion": 1_000_000_000}


@st.composite
def written_amounts(draw) -> tuple[str, float]:
    """A figure in one of the supported styles, with its exact value."""
    whole = draw(st.integers(min_value=0, max_value=999_999))
    decimals = draw(st.integers(min_value=0, max_value=3))
    fraction = "".join(draw(st.sampled_from("0123456789")) for _ in range(decimals))
    scale = draw(st.sampled_from(list(_SCALES)))
    style = draw(st.sampled_from(["£{n}{s}", "£{n} {s}", "£{n}\u00a0{s}", "{n}{s}", "{n}{s} pounds"]))
    separators = draw(st.booleans())
    number = f"{whole:,}" if separators else str(whole)
    if fraction:
        number += "." + fraction
    if scale is None:
        style = "£{n}"  # a bare number needs a scale to count as money
    scale_text = scale or ""
    if style == "{n}{s}" and len(scale_text) > 2:
        style = "{n} {s}"
    written = style.format(n=number, s=scale_text)
    value = int(str(whole) + fraction) * _SCALES[scale] / 10 ** len(fraction)
    return written, value


@given(written_amounts(), st.sampled_from(["", "more than ", "nearly ", "up to "]))
def test_any_written_amount_round_trips(amount: tuple[str, float], hedge: str) -> None:
    written, value = amount
    text = f"The trust must save {hedge}{written} by March."
    money = only(text)
    assert math.isclose(money.amount_gbp, value, rel_tol=1e-9, abs_tol=1e-9)
    assert money.text == hedge + written
    assert money.qualifier == (hedge.strip() or None)


@given(
    st.integers(min_value=1, max_value=998),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(["m", "bn", "k"]),
)
def test_any_written_range_round_trips(low: int, span: int, scale: str) -> None:
    high = low + span
    money = only(f"a deficit of £{low}-{high}{scale} next year")
    assert math.isclose(money.low_gbp, low * _SCALES[scale], rel_tol=1e-9)
    assert math.isclose(money.high_gbp, high * _SCALES[scale], rel_tol=1e-9)


_UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _in_words(n: int) -> str:
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 10]
    tens, units = divmod(n, 10)
    return _TENS[tens] + (f"-{_UNITS[units]}" if units else "")


@given(st.integers(min_value=1, max_value=99), st.sampled_from(["million", "billion", "thousand"]))
def test_any_amount_in_words_round_trips(count: int, scale: str) -> None:
    money = only(f"We must take {_in_words(count)} {scale} pounds out of the budget")
    assert money.amount_gbp == count * {"million": 1e6, "billion": 1e9, "thousand": 1e3}[scale]


@given(st.text())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_never_raises_and_spans_are_consistent(text: str) -> None:
    assert_well_formed(text, find_money(text))


_MONEY_ALPHABET = st.sampled_from(list("0123456789,.-– £€$\ufffdmkbnMKBillionpoundsbetweenandtomorethan\u00a0\u200b\n"))


@given(st.lists(_MONEY_ALPHABET, max_size=80).map("".join))
@settings(max_examples=500)
def test_money_like_noise_never_raises_and_spans_are_consistent(text: str) -> None:
    found = find_money(text)
    assert_well_formed(text, found)
    for money in found:
        if money.amount_gbp is None:
            assert money.low_gbp < money.high_gbp


@given(written_amounts(), st.data())
def test_zero_width_characters_inside_an_amount_are_ignored(amount: tuple[str, float], data) -> None:
    written, value = amount
    position = data.draw(st.integers(min_value=0, max_value=len(written)))
    invisible = data.draw(st.sampled_from(["\u200b", "\u200c", "\u200d", "\ufeff"]))
    text = "Savings of " + written[:position] + invisible + written[position:] + " are due."
    money = only(text)
    assert math.isclose(money.amount_gbp, value, rel_tol=1e-9, abs_tol=1e-9)
    assert text[money.start : money.end] == money.text


# --- gold -------------------------------------------------------------------------------------


def _gold_facts(shared_dir):
    for name in ("seeds.gold.jsonl", "devset.gold.jsonl"):
        for line in (shared_dir / "devset" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                for fact in record["facts"]:
                    yield record["article"], fact


def _within_one_percent(found: float | None, gold: float | None) -> bool:
    return found is not None and gold is not None and abs(found - gold) <= 0.01 * abs(gold)


def _matches_gold(money: Money, fact: dict) -> bool:
    if fact["amount_gbp"] is not None:
        targets = [fact["amount_gbp"], *fact["alternates"]]
        return any(_within_one_percent(money.amount_gbp, t) for t in targets)
    return _within_one_percent(money.low_gbp, fact["amount_low"]) and _within_one_percent(
        money.high_gbp, fact["amount_high"]
    )


def test_every_gold_evidence_yields_its_amount(shared_dir) -> None:
    facts = list(_gold_facts(shared_dir))
    assert len(facts) > 100
    missed = [
        (article, fact["evidence"])
        for article, fact in facts
        if not any(_matches_gold(m, fact) and m.currency == "GBP" for m in find_money(fact["evidence"]))
    ]
    assert missed == []


def test_gold_qualifiers_are_reported(shared_dir) -> None:
    for article, fact in _gold_facts(shared_dir):
        if fact["qualifier"]:
            matching = [m for m in find_money(fact["evidence"]) if _matches_gold(m, fact)]
            assert any(m.qualifier == fact["qualifier"] for m in matching), (article, fact["evidence"])
