"""Plain-text tables: rows of a label and numeric cells under a header whose columns carry a money unit."""

from __future__ import annotations

from pipeline.extract.extractor import extract_article
from pipeline.extract.tables import find_text_tables

LEAGUE = """Trusts reported their year-end positions for 2015-16.

 Forecast at end of Q3 (£ millions)Reported outturn (£ millions)Variance (£ millions)
Testford Hospitals NHS Trust -£33.70 -£51.6 -£17.9
Sampleton NHS Foundation Trust -£4.60 -£8.4 -£3.8
"""

SYSTEMS = """Systems reported their positions at month five.

ICB NameYear-to-date position (£m)Variance from plan (£m)
NORTH TESTSHIRE -48.1 -42.8
SOUTH SAMPLESHIRE 2.5 -1.0
"""


def _facts(text: str) -> list[tuple]:
    return sorted((f["org_name"], f["org_type"], f["measure"], f["amount_gbp"], f["fy_start"], f["rule_id"])
                  for f in extract_article("0" * 16, text).facts)


def test_a_header_names_the_columns_and_their_unit():
    rows = find_text_tables(LEAGUE)
    assert [LEAGUE[r.label_start:r.label_end] for r in rows] == ["Testford Hospitals NHS Trust",
                                                                 "Sampleton NHS Foundation Trust"]
    first = rows[0].cells
    assert [c.money.amount_gbp for c in first] == [33_700_000, 51_600_000, 17_900_000]
    assert all(c.negative for c in first)
    assert [c.column.label for c in first][1] == "Reported outturn (£ millions)"


def test_negative_positions_are_deficits_and_variances_are_not_facts():
    assert _facts(LEAGUE) == [
        ("Sampleton NHS Foundation Trust", "trust", "actual", 8_400_000, "2015/16", "table.text_row"),
        ("Sampleton NHS Foundation Trust", "trust", "forecast", 4_600_000, "2015/16", "table.text_row"),
        ("Testford Hospitals NHS Trust", "trust", "actual", 51_600_000, "2015/16", "table.text_row"),
        ("Testford Hospitals NHS Trust", "trust", "forecast", 33_700_000, "2015/16", "table.text_row"),
    ]


def test_a_label_the_recogniser_does_not_read_takes_the_type_the_header_names():
    # A surplus (a positive position) is no deficit; the variance column is never a fact.
    assert _facts(SYSTEMS) == [("NORTH TESTSHIRE", "ICB", "actual", 48_100_000, None, "table.text_row")]


def test_rows_that_do_not_line_up_with_the_header_are_not_read():
    text = "Position (£m)Variance (£m)\nNHS Testford CCG -4.1 -1.0 -2.2\nNHS Sampleton CCG -3.0 -0.5 -1.1\n"
    assert find_text_tables(text) == []


def test_prose_and_lists_with_numbers_are_no_table():
    text = ("The trust lost £4m (£m) last year.\nNHS Testford CCG 2015 2016\nNHS Sampleton CCG 2015 2016\n"
            "• NHS Testford CCG – £4.1m\n• NHS Sampleton CCG – £3.0m\n")
    assert find_text_tables(text) == []


def test_a_savings_column_gives_savings():
    text = "CCG savings this year\n CIP delivered (£m)\nNHS Testford CCG 4.2\nNHS Sampleton CCG 3.1\n"
    assert {(name, measure, amount) for name, _, measure, amount, _, _ in _facts(text)} == {
        ("NHS Testford CCG", "achieved", 4_200_000), ("NHS Sampleton CCG", "achieved", 3_100_000)}
