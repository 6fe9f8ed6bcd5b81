"""Figures with no year of their own take the financial year the article is about."""

from __future__ import annotations

import datetime as dt

from pipeline.extract.extractor import extract_article
from pipeline.extract.periods import dated_by, find_periods


def _years(text: str, published_on: dt.date | None = None) -> list[tuple]:
    return sorted((f["amount_gbp"], f["fy_start"], f["fy_end"])
                  for f in extract_article("0" * 16, text, published_on).facts)


def test_a_position_with_no_year_takes_the_one_year_the_article_names():
    text = ("NHS Testford CCG ended 2015-16 with a deficit of £12m.\n\n"
            "NHS Testford CCG is now forecasting a deficit of £20m at the year end.")
    assert _years(text) == [(12_000_000, "2015/16", "2015/16"), (20_000_000, "2015/16", "2015/16")]


def test_several_years_named_alike_give_no_article_year():
    text = ("NHS Testford CCG ended 2015-16 with a deficit of £12m.\n\nIt ended 2016-17 with a deficit of £14m.\n\n"
            "Its board met on Tuesday.\n\nNHS Testford CCG is now forecasting a deficit of £20m.")
    assert (20_000_000, None, None) in _years(text)


def test_the_date_gives_the_year_when_the_text_names_none():
    text = "NHS Testford CCG is forecasting a deficit of £20m."
    assert _years(text, dt.date(2017, 2, 1)) == [(20_000_000, "2016/17", "2016/17")]
    assert _years(text) == [(20_000_000, None, None)]


def test_a_clause_pointing_elsewhere_in_time_keeps_no_year():
    text = ("NHS Testford CCG ended 2015-16 with a deficit of £12m.\n\nIts board met on Tuesday.\n\n"
            "NHS Testford CCG also carries historic debts of £30m.")
    assert (30_000_000, None, None) in _years(text)


def test_last_year_and_next_year_count_from_the_date():
    periods = dated_by(find_periods("a deficit last year, savings next year, in the last year"), dt.date(2016, 1, 10))
    assert [(p.text, p.fy_start) for p in periods] == [("last year", "2014/15"), ("next year", "2016/17")]


def test_short_and_one_digit_financial_years():
    found = [(p.text, p.fy_start, p.fy_end) for p in find_periods("deficits of £948m in 2005/6, savings in FY24, by FY26")]
    assert found == [("in 2005/6", "2005/06", "2005/06"), ("in FY24", "2023/24", "2023/24"), ("by FY26", None, "2025/26")]
    assert find_periods("on 12/3/2005, in 2005/7") == []
