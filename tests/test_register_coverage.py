"""ODS coverage (issue 11): the names the press writes for trusts and PCTs, bare "NHS <place>" names of another
era, collectives, and the JSON names files of ONS. Made-up bodies and codes throughout."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipeline.extract.extractor import stable_id
from pipeline.extract.orgs import org_key
from pipeline.register.matching import AMBIGUOUS, MATCHED, NO_CANDIDATE, Entry, Matcher
from pipeline.register.reference import load_reference
from pipeline.register.report import match_rates
from pipeline.register.stage import COLLECTIVE, register
from schemas import REGISTRY
from schemas.polars_types import empty_frame

from tests.test_reference import efile_row, write


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher([
        Entry("RZ1", "trust", ("Wessex Radcliffe Hospital NHS Trust",)),
        Entry("RZ2", "trust", ("County Barset and Silverbridge NHS Foundation Trust",)),
        Entry("RZ3", "trust", ("East Loamshire Hospitals University NHS Foundation Trust",)),
        Entry("RZ4", "trust", ("Northern Midsomer and Causton NHS Foundation Trust",)),
        Entry("RZ5", "trust", ("South Barset Ambulance Service NHS Foundation Trust",)),
        Entry("RZ6", "trust", ("Barset Health NHS Trust",)),
        Entry("5ZZ", "PCT", ("Western Loamshire PCT",), None, dt.date(2013, 3, 31), True),
        Entry("5ZY", "PCT", ("Eastern Loamshire PCT",), None, dt.date(2013, 3, 31), True),
    ])


@pytest.mark.parametrize("name, code", [
    ("Wessex Radcliffe Hospitals Trust", "RZ1"),                              # plural for singular
    ("County Barset and Silverbridge Acute Hospitals NHS Trust", "RZ2"),     # acute, hospitals
    ("East Loamshire Hospitals FT", "RZ3"),                                  # university dropped
    ("North Midsomer and Causton NHS Foundation Trust", "RZ4"),              # north for northern
    ("South Barset Ambulance foundation trust", "RZ5"),                      # service dropped
])
def test_the_short_forms_of_trust_names_find_their_trust(matcher, name, code):
    m = matcher.match("trust", [name])
    assert (m.status, m.code) == (MATCHED, code), m


def test_the_words_of_a_name_in_another_order_are_the_same_body(matcher):
    m = matcher.match("PCT", ["Loamshire West PCT"])
    assert (m.status, m.code, m.rule) == (MATCHED, "5ZZ", "same words in another order")
    assert matcher.match("PCT", ["Loamshire East PCT"]).code == "5ZY"


def test_short_forms_never_cross_what_tells_bodies_apart(matcher):
    assert matcher.match("trust", ["Barset trust"]).status == NO_CANDIDATE       # "health" is no optional word
    assert matcher.match("trust", ["West Loamshire Hospitals FT"]).status == NO_CANDIDATE
    assert matcher.match("PCT", ["Loamshire PCT"]).status == NO_CANDIDATE


def test_short_forms_two_bodies_share_are_ambiguous_not_a_guess():
    m = Matcher([Entry("RZ7", "trust", ("Barset County Hospital NHS Foundation Trust",)),
                 Entry("RZ8", "trust", ("University Hospitals Barset NHS Foundation Trust",))])
    assert m.match("trust", ["Barset trust"]).status == AMBIGUOUS
    assert m.match("trust", ["University Hospitals Barset"]).code == "RZ8"


# ---------------------------------------------------------------- the register

def _frames(mentions: list[tuple[str, str, str]], facts: list[tuple[str, str, str, str]]):
    """Mentions (article, type, name) and facts (article, type, name, scope) as staging candidates."""
    m = pl.DataFrame([{
        "mention_id": stable_id("men", i), "article_id": a, "org_key": org_key(t, n), "org_name": n, "org_type": t,
        "surface": n, "char_start": 0, "char_end": len(n), "rule_id": "org.test", "extractor_version": "0",
        "run_id": "run_0000000000000000", "batch": "_root"} for i, (a, t, n) in enumerate(mentions)],
        schema=empty_frame(REGISTRY["mention_candidates"]).schema) if mentions else \
        empty_frame(REGISTRY["mention_candidates"])
    template = {c: None for c in empty_frame(REGISTRY["fact_candidates"]).columns}
    f = pl.DataFrame([template | {
        "fact_id": stable_id("def", i), "fact_table": "deficits", "article_id": a, "org_key": org_key(t, n),
        "org_name": n, "org_type": t, "member_org_keys": [], "member_names": [], "member_types": [], "scope": s,
        "measure": "actual", "amount_gbp": 1e6, "evidence": "£1m", "char_start": 0, "char_end": 3,
        "amount_text": "£1m", "rule_id": "deficit.test", "extractor_version": "0", "run_id": "run_0000000000000000",
        "batch": "_root"} for i, (a, t, n, s) in enumerate(facts)],
        schema=empty_frame(REGISTRY["fact_candidates"]).schema)
    return m, f


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage_reference")
    write(folder / "eccg.csv", efile_row("99Z", "NHS VALE OF BARSET CCG", opened="20130401") + "\n"
          + efile_row("99Y", "NHS LOAMSHIRE CCG", opened="20130401") + "\n"
          + efile_row("99W", "NHS PLUMSTEAD CCG", opened="20130401") + "\n")
    write(folder / "pct_2012.csv", "PCO12CD,PCO12CDO,PCO12NM\nE16000999,5ZZ,Loamshire\n")
    write(folder / "icb.csv", "ICB24CD,ICB24CDH,ICB24NM\nE54000999,QZZ,NHS Silverbridge Integrated Care Board\n")
    write(folder / "etr.csv", efile_row("RZ1", "BARSET HEALTH NHS TRUST", opened="20000401") + "\n")
    return load_reference(folder)


def test_collectives_get_no_code_and_leave_the_match_rate(reference):
    mentions, facts = _frames([("a1", "trust", "Barset Health NHS Trust")],
                              [("a1", "trust", "30 trusts", "aggregate"), ("a2", "CCG", "CCGs", "aggregate"),
                               ("a2", "CCG", "NHS Loamshire CCG", "org")])
    organisations = register(mentions, facts, reference).organisations
    status = dict(organisations.select("name", "match_status").iter_rows())
    assert status["30 trusts"] == status["CCGs"] == COLLECTIVE
    assert match_rates(organisations)["all"] == {"bodies": 2, "with_ods_code": 2, "rate": 1.0}


def test_a_collective_that_is_also_named_as_a_body_stays_a_body(reference):
    mentions, facts = _frames([("a1", "CCG", "NHS Loamshire CCG")],
                              [("a2", "CCG", "NHS Loamshire CCG", "aggregate")])
    organisations = register(mentions, facts, reference).organisations
    assert organisations.filter(pl.col("name") == "NHS Loamshire CCG")["match_status"].to_list() == [MATCHED]


def test_a_bare_nhs_place_the_era_typed_wrongly_is_the_body_of_the_next_era(reference):
    # "NHS Vale of Barset" in an article about PCTs: no PCT of that name, the CCG of the name exists.
    mentions, facts = _frames([("a1", "PCT", "NHS Vale of Barset"), ("a1", "PCT", "NHS Loamshire"),
                               ("a2", "PCT", "NHS Silverbridge"), ("a3", "PCT", "Plumstead PCT")], [])
    organisations = register(mentions, facts, reference).organisations
    by_alias = {a: r for r in organisations.iter_rows(named=True) for a in r["aliases"]}
    assert (by_alias["NHS Vale of Barset"]["ods_code"], by_alias["NHS Vale of Barset"]["org_type"]) == ("99Z", "CCG")
    assert "typed it PCT" in by_alias["NHS Vale of Barset"]["match_reason"]
    assert by_alias["NHS Loamshire"]["ods_code"] == "5ZZ"          # its own era's body first
    assert by_alias["NHS Silverbridge"]["ods_code"] is None        # an ICB is no neighbour of a PCT
    assert by_alias["Plumstead PCT"]["ods_code"] is None           # a type word is no guess


# ---------------------------------------------------------------- ONS names files as JSON

def test_json_names_files_of_ons_give_ods_codes_and_names(tmp_path):
    write(tmp_path / "ccgs_2021.json", json.dumps({
        "E38000999": {"ccg19cdh": "99X", "name": "NHS Barset"},
        "W11000099": {"ccg19cdh": "7Z1", "name": "Barset Valleys University Health Board"},
        "CCG20CD": {"ccg19cdh": "CCG20CDH", "name": "CCG20NM"},
        "ZC010": {"ccg19cdh": "ZC010", "name": "Belfast"},
    }))
    write(tmp_path / "icb_names.json", json.dumps({"E54000999": "NHS Barset Integrated Care Board"}))
    write(tmp_path / "broken.json", "{not json")
    data = load_reference(tmp_path)
    assert {c: [n.name for n in b.names] for c, b in data.bodies.items()} == {"99X": ["NHS Barset CCG"]}
    layouts = {f.file: (f.layout, f.rows) for f in data.files}
    assert layouts == {"broken.json": ("unreadable", 0), "ccgs_2021.json": ("json", 1),
                       "icb_names.json": ("ignored", 0)}
