"""The general rules that real reporting asked for, each on sentences written for the test.

Every case states one linguistic rule of the extractor (owner, measure, period, organisation) on invented
text in the press's manner; none is copied from an evaluation article.
"""

from __future__ import annotations

import pytest

from pipeline.extract.extractor import extract_article
from pipeline.extract.orgs import find_org_mentions
from pipeline.extract.periods import find_periods


def _facts(text: str) -> list[dict]:
    return extract_article("test", text).facts


def _one(text: str, amount: float) -> dict:
    found = [f for f in _facts(text) if f["amount_gbp"] == amount]
    assert len(found) == 1, (amount, [(f["org_name"], f["amount_gbp"]) for f in _facts(text)])
    return found[0]


def _names(text: str) -> list[str]:
    return [m.name for m in find_org_mentions(text)]


# ---- whose figure ----

def test_an_indefinite_trust_in_the_lede_is_the_trust_named_next():
    text = ("An NHS trust in financial trouble is targeting savings of £40m this year.\n\n"
            "Barnsley Hospital NHS Foundation Trust said the plan was ambitious.")
    assert _one(text, 40e6)["org_name"] == "Barnsley Hospital NHS Foundation Trust"


def test_a_pronoun_stands_for_the_subject_of_its_own_clause():
    text = ("Wye Valley NHS Trust is heading for a £12m overspend, and Hereford Council said that it carried over "
            "a £3.1m deficit from last year.")
    assert _one(text, 3.1e6)["org_name"] != "Wye Valley NHS Trust"


def test_a_plural_pronoun_may_stand_for_a_collective():
    text = ("NHS Hull met on Tuesday.\n\nIf these 12 PCTs keep overspending at this rate, they face a total deficit "
            "of more than £90m.")
    fact = _one(text, 90e6)
    assert fact["scope"] == "aggregate" and fact["org_type"] == "PCT"


def test_a_relative_clause_describes_the_body_printed_just_before_it():
    text = ("Six trusts, including Leeds Teaching Hospitals NHS Trust, which expects a deficit of £40m, and "
            "Mid Yorkshire Hospitals NHS Trust, which is forecasting a deficit of £17m, had warned of losses.")
    assert _one(text, 17e6)["org_name"] == "Mid Yorkshire Hospitals NHS Trust"
    assert _one(text, 40e6)["org_name"] == "Leeds Teaching Hospitals NHS Trust"


def test_a_with_clause_describes_the_body_before_it():
    text = "NHS England has approved deficits at NHS Kent and Medway, with a £30m deficit, and NHS Dorset, with a £20m deficit."
    assert _one(text, 20e6)["org_name"] == "NHS Dorset"


def test_a_body_in_apposition_to_a_counterparty_is_not_the_owner():
    text = ("NHS Hull met on Tuesday. The PCT said it had been asked by the strategic health authority, "
            "NHS North East, to make £1.9m of reductions in management costs.")
    assert _one(text, 1.9e6)["org_name"] != "NHS North East"


def test_the_body_a_saving_is_made_for_is_not_its_owner():
    text = "Stopping the prescriptions could save over £80,000 a year for the health service."
    assert not [f for f in _facts(text) if f["org_name"] == "NHS"]


def test_a_national_body_reporting_on_a_collective_gives_the_figure_to_the_collective():
    text = "The Department of Health report identifies more than £700m that could be squeezed from PCTs in savings."
    fact = _one(text, 700e6)
    assert fact["scope"] == "aggregate" and fact["org_type"] == "PCT"


def test_these_trusts_after_a_bulleted_list_are_the_listed_trusts():
    text = ("Three trusts are in financial special measures:\n\n"
            "- Barnsley Hospital NHS Foundation Trust.\n"
            "- Wye Valley NHS Trust.\n"
            "- Croydon Health Services NHS Trust.\n\n"
            "These trusts are forecasting a combined deficit of £145m.")
    fact = _one(text, 145e6)
    assert fact["org_type"] == "group" and len(fact["member_names"]) == 3


def test_the_two_trusts_after_a_list_in_the_sentence_before_are_those_trusts():
    text = ("Wye Valley NHS Trust and Croydon Health Services NHS Trust missed their control totals. "
            "The two trusts are forecasting a combined deficit of £60m.")
    fact = _one(text, 60e6)
    assert fact["org_type"] == "group" and len(fact["member_names"]) == 2


def test_an_expletive_it_stands_for_no_body():
    text = ("Havering CCG met on Monday.\n\nIt was not clear whether the three CCGs were still planning a £10.2m "
            "deficit for 2017-18.")
    assert _one(text, 10.2e6)["org_name"] != "Havering CCG"


# ---- which measure, which restatement ----

def test_a_hedged_figure_restates_only_a_figure_on_its_side():
    # "just under £7m" can never be the £7.2m stated before: two overspends, not one restated.
    text = ("NHS Norfolk is forecasting an overspend of £7.2m.\n\n"
            "NHS Norfolk was expecting to overspend by just under £7m.")
    assert sorted(f["amount_gbp"] for f in _facts(text)) == [7e6, 7.2e6]


def test_made_savings_are_achieved():
    text = "NHS Salford said that by the end of January it had made just £20m savings."
    assert _one(text, 20e6)["measure"] == "achieved"


def test_a_deficit_carried_over_is_actual():
    text = "Shrewsbury and Telford Hospital NHS Trust carried over a £47.2m deficit from 2022/23."
    assert _one(text, 47.2e6)["measure"] == "actual"


def test_a_deficit_a_body_is_on_track_to_end_with_is_a_forecast():
    text = "NHS Oxfordshire is on track to end this year with a deficit of just over £9m."
    assert _one(text, 9e6)["measure"] == "forecast"


def test_even_though_opens_a_clause_of_its_own():
    # The measure words of "even though it is on course to break even" do not reach the deficit before them.
    text = ("NHS Derby and Derbyshire CCG said its underlying deficit had reached £77m, even though it is on "
            "course to break even this year.")
    assert _one(text, 77e6)["measure"] == "actual"


def test_of_which_is_a_part_of_the_figure_just_stated():
    text = "NHS Bury CCG has a savings target of £12.5m for this year, of which £5.1m has already been identified."
    part = _one(text, 5.1e6)
    assert part["fact_table"] == "savings" and part["measure"] == "potential"


def test_behind_target_beside_a_deficit_is_a_variance_not_a_savings_shortfall():
    text = "York Teaching Hospital NHS Foundation Trust is £2.8m in deficit - more than £6m behind target."
    assert [f["amount_gbp"] for f in _facts(text)] == [2.8e6]


def test_behind_on_savings_is_still_a_shortfall():
    text = "NHS Brighton and Hove is £2.4m behind target on its QIPP savings."
    assert _one(text, 2.4e6)["measure"] == "shortfall"


def test_a_downside_risk_is_not_a_fact():
    text = "Buckinghamshire Healthcare NHS Trust faces further downside risks in the range of £8m-£10m."
    assert not _facts(text)


# ---- when ----

@pytest.mark.parametrize("phrase, label", [
    ("in October and November 2020", "2020/21"),
    ("by the end of August 2016", "2016/17"),
    ("by April 2025", "2024/25"),
    ("in January 2019", "2018/19"),
])
def test_a_month_of_a_year_lies_in_one_financial_year(phrase, label):
    periods = find_periods(f"The trust overspent by £2m {phrase}.")
    assert [(p.fy_start, p.fy_end) for p in periods] == [(label, label)]


def test_since_a_month_is_no_period():
    assert find_periods("The trust has overspent since May 2019.") == []


def test_this_financial_year_takes_the_year_stated_nearby():
    text = ("NHS Devon ICB is targeting savings of £50m this financial year.\n\n"
            "Its plan for 2024/25 sets out the cuts.")
    fact = _one(text, 50e6)
    assert fact["fy_end"] == "2024/25"


def test_this_financial_year_beside_a_past_year_is_not_that_year():
    text = ("NHS Walsall said £400,000 was recovered from practices in 2010/11.\n\n"
            "NHS Walsall is now seeking to recover a further £250,000 this financial year.")
    assert _one(text, 250e3)["fy_end"] != "2010/11"


# ---- bodies as the press names them ----

def test_places_listed_after_a_described_collective_name_one_body_each():
    text = ("It joins other trusts in the region facing a deficit in 2014-15 including Leeds, Northern Lincolnshire "
            "and Goole, Mid Yorkshire, and Humber.")
    assert {"Leeds", "Northern Lincolnshire and Goole", "Mid Yorkshire", "Humber"} <= set(_names(text))


def test_a_list_without_a_final_comma_splits_at_its_last_and():
    text = "The county's four CCGs – North Derbyshire, Hardwick, Erewash and Southern Derbyshire – agreed."
    assert {"Erewash CCG", "Southern Derbyshire CCG"} <= set(_names(text))


def test_a_place_in_brackets_after_a_type_word_names_the_body():
    assert "South Yorkshire ICB" in _names("One ICB (South Yorkshire) kept its budget.")


def test_a_listed_body_is_not_the_antecedent_of_the_trust():
    text = ("It joins other trusts facing a deficit, including Leeds, Barnsley and Humber.\n\n"
            "The position at the trust comes despite plans to save £24m.")
    assert all(f["org_name"] != "Humber" for f in _facts(text))


@pytest.mark.parametrize("text", [
    "Hospital trust continues to battle £18.6m deficit",
    "Health trust representatives from the North-East met.",
    "Eighth NHS trust in region faces deficit",
    "The Audit Commission's NHS Financial Year Review found savings.",
])
def test_words_for_a_kind_of_body_never_name_one(text):
    assert not [n for n in _names(text) if n.split()[0] in {"Hospital", "Health", "Eighth", "NHS"}]


def test_a_university_hospital_named_as_a_body_is_its_trust():
    mentions = find_org_mentions("The James Paget University Hospital expects its deficit to grow.")
    assert [(m.name, m.org_type) for m in mentions] == [("James Paget University Hospital", "trust")]


def test_the_plural_of_nhs_improvement_is_nhs_improvement():
    [mention] = find_org_mentions("According to NHS Improvements, each trust will receive support.")
    assert mention.key == "national:nhs improvement"


def test_a_sector_of_one_kind_of_body_is_a_collective():
    text = "The provider sector was forecast to be £2.82bn in deficit by the end of March."
    fact = _one(text, 2.82e9)
    assert fact["scope"] == "aggregate" and fact["org_type"] == "trust"
