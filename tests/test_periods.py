"""Tests for pipeline.extract.periods: financial years, year ends, spans and horizons.

Examples are short phrases from GUIDELINES.md, COVERAGE.md and the devset and
seed articles, written inline. The gold test at the end reads the gold files
from ../shared when it is present.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.periods import Period, find_periods, fy_label, parse_fy
from tests.support.timing import superlinear



def only(text: str) -> Period:
    found = find_periods(text)
    assert len(found) == 1, f"expected one period in {text!r}, got {found}"
    return found[0]


def summary(period: Period) -> tuple:
    return period.text, period.fy_start, period.fy_end, period.horizon_years, period.kind


def assert_well_formed(text: str, found: list[Period]) -> None:
    for period in found:
        assert text[period.start : period.end] == period.text
        assert period.start < period.end
        if period.fy_start is not None and period.fy_end is not None:
            assert parse_fy(period.fy_start) <= parse_fy(period.fy_end)
    for earlier, later in zip(found, found[1:]):
        assert earlier.end <= later.start


# --- fy_label and parse_fy ------------------------------------------------------------------


@pytest.mark.parametrize(("year", "label"), [(2014, "2014/15"), (1999, "1999/00"), (2009, "2009/10"), (1990, "1990/91")])
def test_fy_label(year: int, label: str) -> None:
    assert fy_label(year) == label


@pytest.mark.parametrize(
    ("token", "year"),
    [
        ("2014/15", 2014),
        ("2014-15", 2014),
        ("2014–15", 2014),
        ("2014—15", 2014),
        ("2014/2015", 2014),
        ("2014-2015", 2014),
        ("2015/2016", 2015),
        ("2019/2020", 2019),
        ("1999/00", 1999),
        ("1999/2000", 1999),
        ("14/15", 2014),
        ("99/00", 1999),
        ("FY2014/15", 2014),
        (" 2014 / 15 ", 2014),
        # Typos: a doubled zero in the first year.
        ("20013/14", 2013),
        ("20012/13", 2012),
        ("20010/11", 2010),
    ],
)
def test_parse_fy(token: str, year: int) -> None:
    assert parse_fy(token) == year


@pytest.mark.parametrize(
    "token",
    [
        "2014/16",  # not consecutive
        "2015-2020",
        "2014/2014",
        "2050/51",  # implausible years
        "1989/90",
        "50/51",
        "20113/14",  # five digits without a doubled zero
        "200134/14",
        "2014",
        "2014/",
        "abc",
        "",
        "2014/15/16",
    ],
)
def test_parse_fy_rejects(token: str) -> None:
    assert parse_fy(token) is None


@given(st.integers(min_value=1990, max_value=2049), st.sampled_from(["/", "-", "–", "—"]), st.booleans())
def test_fy_label_and_parse_fy_round_trip(year: int, separator: str, long_form: bool) -> None:
    label = fy_label(year)
    assert parse_fy(label) == year
    second = str(year + 1) if long_form else f"{(year + 1) % 100:02d}"
    assert parse_fy(f"{year}{separator}{second}") == year
    assert fy_label(parse_fy(f"{year}{separator}{second}")) == label
    period = only(f"savings of £5m in {year}{separator}{second}")
    assert (period.fy_start, period.fy_end) == (label, label)


@given(st.integers(min_value=2000, max_value=2009))
def test_doubled_zero_typo_round_trips(year: int) -> None:
    typo = "200" + str(year)[2:] + "/" + f"{(year + 1) % 100:02d}"  # 2013 -> "20013/14"
    assert len(typo.split("/")[0]) == 5 or year < 2010
    assert parse_fy(typo) == year


# --- single financial years -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QIPP savings of £11.3m in 2015/16", ("in 2015/16", "2015/16", "2015/16", None, "in")),
        ("has agreed a planned deficit of £12.7m for 2016/17", ("for 2016/17", "2016/17", "2016/17", None, "in")),
        ("its £9.4m QIPP target for 2014-15", ("for 2014-15", "2014/15", "2014/15", None, "in")),
        ("it now expects a deficit of £14.6m for 2015/2016", ("for 2015/2016", "2015/16", "2015/16", None, "in")),
        ("a deficit of £14.3m for 2019/2020", ("for 2019/2020", "2019/20", "2019/20", None, "in")),
        ("is £6.2m in the red at month seven of 2014-15", ("of 2014-15", "2014/15", "2014/15", None, "in")),
        ("delivered £210m of efficiencies in 2022-23", ("in 2022-23", "2022/23", "2022/23", None, "in")),
        ("overspent during 2009/10", ("during 2009/10", "2009/10", "2009/10", None, "in")),
        ("PCT | 2012/13 QIPP target", ("2012/13", "2012/13", "2012/13", None, "in")),
        ("a deficit of £28.8m (2014/15)", ("2014/15", "2014/15", "2014/15", None, "in")),
        ("in the financial year 2014/15", ("in the financial year 2014/15", "2014/15", "2014/15", None, "in")),
        ("for the 2014/15 financial year", ("for the 2014/15 financial year", "2014/15", "2014/15", None, "in")),
        ("savings in FY2014/15", ("in FY2014/15", "2014/15", "2014/15", None, "in")),
        ("FY14/15 savings", ("FY14/15", "2014/15", "2014/15", None, "in")),
        ("savings in 14/15", ("in 14/15", "2014/15", "2014/15", None, "in")),
        ("in 1999/00", ("in 1999/00", "1999/00", "1999/00", None, "in")),
        # Typos from the devset and a seed.
        ("PCTs in the cluster must save a further £64m in 20013/14", ("in 20013/14", "2013/14", "2013/14", None, "in")),
        ("NHS Leeds plans to cut £31m from its spending in 20012/13", ("in 20012/13", "2012/13", "2012/13", None, "in")),
    ],
)
def test_single_financial_years(text: str, expected: tuple) -> None:
    assert summary(only(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A CCG plans to save £35 million by 2020/21", ("by 2020/21", None, "2020/21", None, "by")),
        ("The NHS in England must deliver £21bn of efficiency savings by 2020/21", ("by 2020/21", None, "2020/21", None, "by")),
        ("predicts it will plunge £37m in the red by 2013/14", ("by 2013/14", None, "2013/14", None, "by")),
        ("savings until 2015/16", ("until 2015/16", None, "2015/16", None, "by")),
        ("savings up to 2015/16", ("up to 2015/16", None, "2015/16", None, "by")),
        ("until the end of 2015/16", ("until the end of 2015/16", None, "2015/16", None, "by")),
    ],
)
def test_by_a_year_sets_only_the_end(text: str, expected: tuple) -> None:
    assert summary(only(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a deficit of £4m by the end of 2015-16", ("by the end of 2015-16", "2015/16", "2015/16", None, "year_end")),
        ("at the end of 2015/16", ("at the end of 2015/16", "2015/16", "2015/16", None, "year_end")),
        ("by the end of the 2015/16 financial year", ("by the end of the 2015/16 financial year", "2015/16", "2015/16", None, "year_end")),
        ("ended 2015-16 with a deficit of £38.4m", ("ended 2015-16", "2015/16", "2015/16", None, "year_end")),
        ("trusts in England ended 2018/19 with a combined deficit", ("ended 2018/19", "2018/19", "2018/19", None, "year_end")),
        ("the CCG expects to end 2019/20 £8.4m in the red", ("end 2019/20", "2019/20", "2019/20", None, "year_end")),
        ("by March 2016", ("by March 2016", "2015/16", "2015/16", None, "year_end")),
        ("by 31 March 2016", ("by 31 March 2016", "2015/16", "2015/16", None, "year_end")),
        ("by the end of March 2016", ("by the end of March 2016", "2015/16", "2015/16", None, "year_end")),
        ("at the end of March 2016", ("at the end of March 2016", "2015/16", "2015/16", None, "year_end")),
    ],
)
def test_year_end_positions(text: str, expected: tuple) -> None:
    assert summary(only(text)) == expected


def test_year_to_march() -> None:
    assert summary(only("in the year to March 2015")) == ("the year to March 2015", "2014/15", "2014/15", None, "in")
    assert summary(only("the year ending 31 March 2015")) == (
        "the year ending 31 March 2015", "2014/15", "2014/15", None, "in",
    )


# --- spans of years ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "making £20bn worth of savings in the NHS between 2011/12 and 2014/2015",
            ("between 2011/12 and 2014/2015", "2011/12", "2014/15", None, "between"),
        ),
        (
            "must deliver £1.2bn of QIPP savings between 2011/12 and 2014/15",
            ("between 2011/12 and 2014/15", "2011/12", "2014/15", None, "between"),
        ),
        (
            "to massively reduce spending in 2011/12 and 20013/14, despite £174m being cut",
            ("in 2011/12 and 20013/14", "2011/12", "2013/14", None, "between"),
        ),
        ("from 2011/12 to 2014/15", ("from 2011/12 to 2014/15", "2011/12", "2014/15", None, "between")),
        ("2011/12 to 2014/15", ("2011/12 to 2014/15", "2011/12", "2014/15", None, "between")),
        ("2011/12-2014/15", ("2011/12-2014/15", "2011/12", "2014/15", None, "between")),
        ("2011/12 – 2014/15", ("2011/12 – 2014/15", "2011/12", "2014/15", None, "between")),
        ("2011/12 until 2014/15", ("2011/12 until 2014/15", "2011/12", "2014/15", None, "between")),
    ],
)
def test_spans_of_financial_years(text: str, expected: tuple) -> None:
    assert summary(only(text)) == expected


def test_reversed_pair_is_two_years_not_a_span() -> None:
    found = find_periods("in 2014/15 and 2012/13")
    assert [summary(p)[1:] for p in found] == [
        ("2014/15", "2014/15", None, "in"),
        ("2012/13", "2012/13", None, "in"),
    ]


def test_lone_between_or_from_is_the_year_itself() -> None:
    assert summary(only("savings from 2014/15")) == ("2014/15", "2014/15", "2014/15", None, "in")


@pytest.mark.parametrize("text", ["from 2014/15 onwards", "since 2014/15", "before 2014/15", "after 2014/15"])
def test_a_bound_in_time_is_no_year_of_a_figure(text) -> None:
    # "the planning assumptions PCTs should use from 2011-12 onwards": a bound, not the year a figure is of, and
    # no evidence of which year the article is about.
    period = only(text)
    assert (period.kind, period.fy_start, period.fy_end) == ("open", None, None)


# --- horizons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase", "years"),
    [
        ("commits the PCT to savings of £11m over the next three years", "over the next three years", 3),
        ("it could save £5.26m over the next three years", "over the next three years", 3),
        ("revealed plans to slash spending by £200m in three years", "in three years", 3),
        ("must find £6 billion of savings over the next five years", "over the next five years", 5),
        ("savings of £40m over the next 3 years", "over the next 3 years", 3),
        ("close the gap over the next two years", "over the next two years", 2),
        ("during the next two years", "during the next two years", 2),
        ("over five years", "over five years", 5),
        ("ten million pounds out of continuing healthcare over the three years", "over the three years", 3),
        ("return to balance within two years", "within two years", 2),
        ("in the coming four years", "in the coming four years", 4),
        ("for the next ten years", "for the next ten years", 10),
        ("over 10 years", "over 10 years", 10),
        ("a three-year plan", "three-year", 3),
        ("a three–year plan", "three–year", 3),
        ("a five year plan", "five year", 5),
        ("a 10-year plan", "10-year", 10),
        ("in three years' time", "in three years", 3),
        ("OVER THE NEXT THREE YEARS", "OVER THE NEXT THREE YEARS", 3),
    ],
)
def test_horizons(text: str, phrase: str, years: int) -> None:
    assert summary(only(text)) == (phrase, None, None, years, "horizon")


@pytest.mark.parametrize(
    "text",
    [
        "a cumulative deficit of £29.6m built up over the previous four years",
        "in each of the last three years",
        "over the past two years",
        "practices acted in good faith, but the payments go back three years",
        "three years ago",
        "a three-year-old",
        "over the same period",
        "it took two years to sort out",
        "a year",
        "could save up to £12m a year",
        "in the first eight months of the year",
        "last year",
        "next year",
        "before the year end",
    ],
)
def test_not_periods(text: str) -> None:
    assert [p for p in find_periods(text) if p.kind in ("horizon", "in", "by", "year_end", "between")] == []


# --- this year and calendar years ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("NHS Walsall is now seeking to recover a further £250,000 this financial year", "this financial year"),
        ("five million pounds out of our acute contracts this financial year", "this financial year"),
        ("despite £174m being cut this year already", "this year"),
        ("NHS Plymouth has already cut £400,000 from its spending on medicines this year", "this year"),
        ("in the current financial year", "the current financial year"),
        ("lagging behind its in-year target", "in-year"),
        ("this fiscal year", "this fiscal year"),
    ],
)
def test_this_year_has_no_financial_year(text: str, phrase: str) -> None:
    assert summary(only(text)) == (phrase, None, None, None, "this_year")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("NHS must find £21bn by 2020", "by 2020"),
        ("in 2015", "in 2015"),
        ("during 2016", "during 2016"),
        ("until 2024", "until 2024"),
        ("by the end of 2020", "by the end of 2020"),
    ],
)
def test_calendar_years_have_no_financial_year(text: str, phrase: str) -> None:
    assert summary(only(text)) == (phrase, None, None, None, "calendar")


@pytest.mark.parametrize(
    "text",
    [
        "the 2015 election",
        "2020s",
        "in 2050",
        "in 1989",
        "£2014 was spent",
        "£2014/15",
        "on 12/03/2014",
        "in 12/13 weeks",
        "12/13 of the practices",
        "2014/16",
        "in 2015-2020",
        "a 2,014 increase",
        "5.2014/15",
        "in 2014/15%",
    ],
)
def test_not_financial_or_calendar_years(text: str) -> None:
    assert [p for p in find_periods(text) if p.fy_start or p.fy_end or p.kind == "calendar"] == []


# --- whole-article behaviour ----------------------------------------------------------------------


def test_results_are_sorted_and_do_not_overlap() -> None:
    text = (
        "NHS Leeds plans to cut £31m in 20012/13. It must save £11m over the next three years, "
        "£5m by 2020/21 and £2m this financial year, ending 2015-16 with a deficit. "
        "Between 2011/12 and 2014/15 it saved £20bn, and by 2020 it wants more."
    )
    found = find_periods(text)
    assert_well_formed(text, found)
    assert [p.kind for p in found] == ["in", "horizon", "by", "this_year", "year_end", "between", "calendar"]


def test_non_breaking_spaces_inside_a_phrase() -> None:
    assert summary(only("over\u00a0the\u00a0next three\u00a0years")) == (
        "over\u00a0the\u00a0next three\u00a0years", None, None, 3, "horizon",
    )
    assert summary(only("by\u00a02020/21")) == ("by\u00a02020/21", None, "2020/21", None, "by")


# --- performance -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,
        "2014/" * 200_000,
        "2014-16-" * 125_000,
        "".join("0123456789/- "[i * 7919 % 13] for i in range(1_000_000)),
        "y" * 1_000_000,
        "year " * 200_000,
        "by the end of " * 70_000 + "2015/16",
        " " * 1_000_000 + "2014/15",
    ],
)
def test_a_megabyte_of_year_like_text_is_fast(text: str) -> None:
    assert superlinear(find_periods, text) is None


@pytest.mark.parametrize(
    "phrase", ["in 2014/15, ", "2014-15-", "over the next three years; ", "between 2011/12 and 2014/15. ", "by 2020 "]
)
def test_ten_thousand_periods_are_fast(phrase: str) -> None:
    text = phrase * 10_000
    assert superlinear(find_periods, text) is None
    assert len(find_periods(text)) == 10_000


# --- property tests -----------------------------------------------------------------------------


@given(st.text())
def test_never_raises_and_spans_are_consistent(text: str) -> None:
    assert_well_formed(text, find_periods(text))


_PERIOD_ALPHABET = st.sampled_from(
    ["20", "19", "0", "1", "4", "5", "/", "-", "–", " ", "\u00a0", "in ", "by ", "the end of ", "between ",
     " and ", " to ", "over the next ", "three ", "years", "year", "this ", "financial ", "FY", "March ", "£"]
)


@given(st.lists(_PERIOD_ALPHABET, max_size=30).map("".join))
@settings(max_examples=500)
def test_period_like_noise_never_raises_and_spans_are_consistent(text: str) -> None:
    found = find_periods(text)
    assert_well_formed(text, found)
    for period in found:
        for label in (period.fy_start, period.fy_end):
            assert label is None or 1990 <= parse_fy(label) <= 2049


@given(
    st.integers(min_value=1990, max_value=2047),
    st.integers(min_value=1, max_value=2),
    st.sampled_from(["between {a} and {b}", "from {a} to {b}", "in {a} and {b}", "{a} to {b}"]),
)
def test_any_span_of_years_round_trips(first: int, length: int, template: str) -> None:
    last = first + length
    period = only("savings " + template.format(a=fy_label(first), b=fy_label(last)))
    assert (period.fy_start, period.fy_end, period.kind) == (fy_label(first), fy_label(last), "between")


@given(st.integers(min_value=1, max_value=99), st.sampled_from(["over the next", "in", "within", "during the next"]))
def test_any_horizon_round_trips(years: int, lead: str) -> None:
    period = only(f"savings of £5m {lead} {years} years")
    assert (period.horizon_years, period.kind) == (years, "horizon")


# --- gold ---------------------------------------------------------------------------------------

# A gold period can only be checked against its evidence when the evidence
# itself names the period. Evidence with no year-like token and no "years" is
# skipped; in the gold files those are exactly the facts whose period comes
# from elsewhere in the article, for example:
#   - "the figure across north-east London £114m" (2013/14 from the sentence before)
#   - "NHS Cumbria: £9.1m" and the other bullet and table rows (the list header's year)
#   - "£2.5m-£3m is expected to come from prescribing" (the plan's three-year horizon)
#   - "a plan agreed with NHS Improvement to limit the shortfall to £14m" (2016/17 nearby)
#   - "a combined deficit of £2.2bn for the year" (2025/26 from the headline)
#   - "... this financial year" / "... this year" (left empty by the guidelines; the
#     this_year kind is covered by the unit tests above)
_YEAR_LIKE = re.compile(r"\b(?:19|20)\d{2}|\b\d{2}/\d{2}\b|\byears\b|-year\b", re.IGNORECASE)


def _gold_facts(shared_dir):
    for name in ("seeds.gold.jsonl", "devset.gold.jsonl"):
        for line in (shared_dir / "devset" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                for fact in record["facts"]:
                    yield record["article"], fact


def _period_values(period: Period) -> tuple:
    return period.fy_start, period.fy_end, period.horizon_years


def test_gold_periods_found_in_their_evidence(shared_dir) -> None:
    checked = 0
    wrong = []
    for article, fact in _gold_facts(shared_dir):
        evidence = fact["evidence"]
        if not _YEAR_LIKE.search(evidence):
            continue
        checked += 1
        gold = (fact["fy_start"], fact["fy_end"], fact["horizon_years"])
        found = [_period_values(p) for p in find_periods(evidence)]
        informative = [values for values in found if values != (None, None, None)]
        if gold == (None, None, None):
            # e.g. "built up over the previous four years" must not become a horizon.
            if informative:
                wrong.append((article, evidence, gold, informative))
        elif gold not in informative:
            wrong.append((article, evidence, gold, informative))
    assert checked >= 60
    assert wrong == []
