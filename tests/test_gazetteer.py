"""The gazetteer: every reference name and its short forms found in the text, when a build has reference data.

The reference data here is written by the tests, with made-up bodies and codes; the last tests measure ODS
coverage on the real devset builds with ../shared/reference and skip without it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipeline import batches
from pipeline.warehouse import store
from pipeline.extract.extractor import extract_article
from pipeline.extract.gazetteer import (RULE_ID, Gazetteer, core_variants, fold, gazetteer_for, name_core,
                                        reference_fingerprint)
from pipeline.extract.orgs import find_org_mentions, org_key
from pipeline.extract.stage import extract_partitions
from pipeline.ingest.stage import ingest_batches
from pipeline.register.reference import load_reference

from tests.test_reference import efile_row, write

TRUSTS = "\n".join([
    efile_row("RZ1", "BARCHESTER HEALTH NHS TRUST", opened="20120401"),
    efile_row("RZ2", "WESSEX ACUTE HOSPITALS NHS TRUST", opened="19940401"),
    efile_row("RZ3", "UNITED LOAMSHIRE TEACHING HOSPITALS NHS TRUST", opened="20000401"),
    efile_row("RZ4", "SOUTH MIDSOMER AMBULANCE SERVICE NHS FOUNDATION TRUST", opened="20060701"),
]) + "\n"
CCGS = efile_row("99Z", "NHS LOAMSHIRE CCG", opened="20130401", closed="20220630") + "\n"
PCTS = "PCO12CD,PCO12CDO,PCO12NM\nE16000999,5ZZ,Loamshire Teaching\nE16000998,5ZY,Barset City\n"


def reference_folder(root: Path) -> Path:
    folder = root / "reference"
    write(folder / "etr.csv", TRUSTS)
    write(folder / "eccg.csv", CCGS)
    write(folder / "pct_2012.csv", PCTS)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    return reference_folder(tmp_path_factory.mktemp("gazetteer"))


@pytest.fixture(scope="module")
def gazetteer(reference) -> Gazetteer:
    built = gazetteer_for(reference)
    assert built is not None
    return built


def found(gazetteer: Gazetteer, text: str, published_on: dt.date | None = None) -> list[tuple[str, str, str]]:
    return [(m.surface, m.org_type, m.name) for m in gazetteer.find(text, published_on)]


# ---------------------------------------------------------------- forms

@pytest.mark.parametrize("org_type, name, core", [
    ("CCG", "NHS Salford CCG", "Salford"),
    ("PCT", "Manchester Teaching PCT", "Manchester"),
    ("PCT", "Torbay Care Trust", "Torbay"),
    ("SHA", "NHS London", "London"),
    ("ICB", "NHS Kent and Medway Integrated Care Board", "Kent and Medway"),
    ("trust", "The Shrewsbury and Telford Hospital NHS Trust", "Shrewsbury and Telford Hospital"),
    ("trust", "West Kent NHS and Social Care Trust", "West Kent NHS and Social Care"),
])
def test_a_name_core_sets_its_type_words_aside(org_type, name, core):
    assert name_core(org_type, name) == core


def test_short_cores_drop_optional_words_from_the_end_only():
    variants = core_variants("trust", "United Loamshire Teaching Hospitals")
    assert {"United Loamshire Teaching Hospitals", "United Loamshire Teaching", "United Loamshire"} <= set(variants)
    assert "Loamshire Teaching Hospitals" not in variants and "United Hospitals" not in variants
    # A trust's core keeps two words: Oxford University Hospitals is never "the Oxford trust".
    assert "Oxford" not in core_variants("trust", "Oxford University Hospitals")
    # A PCT's core is its place.
    assert "Derby" in core_variants("PCT", "Derby City")
    # The singular and the plural of the last word; hyphens written as spaces.
    assert "Wessex Radcliffe Hospitals" in core_variants("trust", "Wessex Radcliffe Hospital")
    assert "Stoke on Trent" in core_variants("PCT", "Stoke-on-Trent")


def test_folding_keeps_every_offset():
    text = "İstanbul’s NHS\u00a0Trust – Barchester"
    assert len(fold(text)) == len(text)
    assert fold("St George’s") == "st george's"


# ---------------------------------------------------------------- finding

@pytest.mark.parametrize("text, surface, org_type, name", [
    ("Barchester Health will save £5m.", "Barchester Health", "trust", "Barchester Health NHS Trust"),
    ("Savings at the Wessex acute trust are behind plan.", "Wessex acute trust", "trust",
     "Wessex Acute Hospitals NHS Trust"),
    ("The United Loamshire trust is in deficit.", "United Loamshire trust", "trust",
     "United Loamshire Teaching Hospitals NHS Trust"),
    ("South Midsomer Ambulance foundation trust overspent.", "South Midsomer Ambulance foundation trust", "trust",
     "South Midsomer Ambulance Service NHS Foundation Trust"),
    ("Loamshire primary care trust must save £8m.", "Loamshire primary care trust", "PCT", "Loamshire Teaching PCT"),
    ("Barset PCT and others", "Barset PCT", "PCT", "Barset City PCT"),
    ("said Barchester Health’s chief executive", "Barchester Health", "trust", "Barchester Health NHS Trust"),
])
def test_reference_names_and_their_short_forms_are_found(gazetteer, text, surface, org_type, name):
    assert found(gazetteer, text) == [(surface, org_type, name)]


@pytest.mark.parametrize("text", [
    "barchester health services are stretched",      # a name's capitals are its own
    "Barchester health services are stretched",      # a bare core is written as the name is
    "Barchester Healthcare has a new board",         # whole words only
    "the MidBarchester Health scheme",
    "Gloucestershire and Mid Barchester Health said", # the tail of a longer capitalised name
    "Loamshire PCTs are merging",                    # a plural is no body
    "Barchester Health and Care set a plan",         # a core without type words running on into a longer name
    "Barchester Health Charity gave £1m",
])
def test_what_only_looks_like_a_name_is_not_found(gazetteer, text):
    assert found(gazetteer, text) == []


def test_a_capitalised_word_that_starts_a_sentence_is_no_part_of_the_name(gazetteer):
    assert found(gazetteer, "Plans were set. Yesterday Barchester Health said no.") == [
        ("Barchester Health", "trust", "Barchester Health NHS Trust")]


def test_the_longest_form_wins(gazetteer):
    assert found(gazetteer, "Wessex Acute Hospitals NHS Trust met.") == [
        ("Wessex Acute Hospitals NHS Trust", "trust", "Wessex Acute Hospitals NHS Trust")]


def test_the_articles_date_chooses_between_bodies_of_one_name(gazetteer):
    text = "NHS Loamshire said it would cut costs."
    assert found(gazetteer, text, dt.date(2009, 5, 1)) == [("NHS Loamshire", "PCT", "Loamshire Teaching PCT")]
    assert found(gazetteer, text, dt.date(2016, 5, 1)) == [("NHS Loamshire", "CCG", "NHS Loamshire CCG")]
    assert found(gazetteer, text) == []  # undated: the recogniser's era rules read it
    # A body that did not exist then is not found: the CCG closed in 2022.
    assert found(gazetteer, "Loamshire CCG met.", dt.date(2025, 1, 1)) == []


def test_a_body_of_several_names_is_found_under_its_leading_name(tmp_path):
    folder = tmp_path / "reference"
    write(folder / "etr.csv", efile_row("RZ3", "UNITED LOAMSHIRE TEACHING HOSPITALS NHS TRUST") + "\n")
    write(folder / "trusts.csv", "Code,Name,Status\nRZ3,UNITED LOAMSHIRE HOSPITALS NHS TRUST,Open\n")
    both = gazetteer_for(folder)
    # "the United Loamshire trust" is a form of both names: one body, named as the reference names it first.
    assert found(both, "The United Loamshire trust met.") == [
        ("United Loamshire trust", "trust", "United Loamshire Teaching Hospitals NHS Trust")]
    assert found(both, "United Loamshire Hospitals NHS Trust met.") == [
        ("United Loamshire Hospitals NHS Trust", "trust", "United Loamshire Hospitals NHS Trust")]


def test_mentions_carry_the_key_of_the_reference_name(gazetteer):
    mention = gazetteer.find("Barchester Health met.")[0]
    assert (mention.key, mention.rule_id) == (org_key("trust", "Barchester Health NHS Trust"), RULE_ID)


# ---------------------------------------------------------------- with the recogniser

def test_the_recogniser_wins_where_spans_overlap_and_nothing_is_found_twice(gazetteer):
    text = ("Wessex Acute Hospitals NHS Trust and Barchester Health met. "
            "The Wessex acute trust said Barset PCT would pay.")
    recogniser = find_org_mentions(text)
    merged = gazetteer.add_to(text, recogniser)
    assert [m for m in merged if m.rule_id != RULE_ID] == recogniser
    assert "Wessex Acute Hospitals NHS Trust" in [m.surface for m in gazetteer.find(text)]  # found by both
    added = [m for m in merged if m.rule_id == RULE_ID]
    assert "Barchester Health" in [m.surface for m in added]
    assert not any(r.start < m.end and m.start < r.end for m in added for r in recogniser)
    spans = [(m.start, m.end) for m in merged]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_extract_article_takes_a_gazetteer_and_gives_facts_its_bodies(gazetteer):
    text = "Barchester Health plans to save £5m this year."
    without = extract_article("0" * 16, text)
    with_gazetteer = extract_article("0" * 16, text, gazetteer=gazetteer)
    assert [m["org_name"] for m in with_gazetteer.mentions] == ["Barchester Health NHS Trust"]
    assert not any(m["rule_id"] == RULE_ID for m in without.mentions)
    assert [f["org_name"] for f in with_gazetteer.facts] == ["Barchester Health NHS Trust"]


# ---------------------------------------------------------------- once per process, and the run identity

def test_the_gazetteer_is_built_once_and_again_when_the_reference_changes(tmp_path):
    folder = reference_folder(tmp_path)
    first = gazetteer_for(folder)
    assert gazetteer_for(folder) is first
    write(folder / "etr.csv", TRUSTS + efile_row("RZ5", "BARSET ROYAL NHS TRUST") + "\n")
    second = gazetteer_for(folder)
    assert second is not first and second.fingerprint != first.fingerprint
    assert found(second, "Barset Royal trust met.") == [("Barset Royal trust", "trust", "Barset Royal NHS Trust")]


def test_no_reference_data_gives_no_gazetteer(tmp_path):
    assert gazetteer_for(None) is None and gazetteer_for(tmp_path / "nowhere") is None
    write(tmp_path / "empty" / "eccg.csv", "")
    assert reference_fingerprint(tmp_path / "empty") is None


def test_the_fingerprint_is_that_of_the_names_not_of_the_files(tmp_path):
    a, b = reference_folder(tmp_path / "a"), reference_folder(tmp_path / "b")
    write(b / "notes.txt", "not reference data")
    assert reference_fingerprint(a) == reference_fingerprint(b) is not None
    assert Gazetteer.from_reference(load_reference(a)).fingerprint == reference_fingerprint(a)


def _build(raw: Path, warehouse: Path, reference: Path | None) -> batches.Plan:
    plan = batches.plan_batches(raw, warehouse, reference=reference)
    ingest_batches(raw, warehouse, [b.name for b in plan.todo], reference=reference)
    extract_partitions(warehouse, store.list_partitions(warehouse, "articles"), reference=reference)
    return plan


def test_changing_the_reference_data_extracts_again(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    write(raw / "2024" / "a.txt", "Barchester Health plans to save £5m this year.\n")
    reference = reference_folder(tmp_path)

    def mentions() -> list[str]:
        return sorted(store.read_partition(warehouse, "mention_candidates", "2024")["org_name"])

    assert [b.reason for b in _build(raw, warehouse, None).batches] == [batches.NEW]
    assert mentions() == []
    assert batches.plan_batches(raw, warehouse).todo == []
    # Reference data is an input: the run id changes and the batch is extracted with the gazetteer.
    plan = _build(raw, warehouse, reference)
    assert [b.reason for b in plan.batches] == [batches.CHANGED]
    assert mentions() == ["Barchester Health NHS Trust"]
    run_id = store.partition_run_id(warehouse, "mention_candidates", "2024")
    assert run_id == store.partition_run_id(warehouse, "articles", "2024") == plan.batches[0].run_id
    assert batches.plan_batches(raw, warehouse, reference=reference).todo == []
    # Other reference data, other run id; the same again, nothing to do.
    write(reference / "etr.csv", efile_row("RZ1", "BARCHESTER COMMUNITY NHS TRUST") + "\n")
    assert [b.reason for b in _build(raw, warehouse, reference).batches] == [batches.CHANGED]
    assert mentions() == []
    assert batches.plan_batches(raw, warehouse, reference=reference).todo == []
    # Without it again: back to the run id of no reference data.
    assert [b.reason for b in _build(raw, warehouse, None).batches] == [batches.CHANGED]
    assert store.partition_run_id(warehouse, "articles", "2024") == batches.batch_run_id(
        "2024", batches.list_batches(raw)["2024"])


# ---------------------------------------------------------------- the real devset, with ../shared/reference

# Issue 11 asks for 0.90; what this work reaches on the real devset with ../shared/reference (2026-11): the bodies left without a
# code are mostly names the reference cannot give (PCTs of 2002-2006, trusts under names they no longer
# use, PCT and SHA clusters) and recogniser misreadings ("NHS Financial"). A drop below this is a regression.
COVERAGE_FLOOR = {"dev": 0.75, "check": 0.70}


@pytest.fixture(scope="module", params=["dev", "check"])
def real_build(request, shared_dir, tmp_path_factory):
    from cli.main import main

    reference = shared_dir / "reference"
    texts = shared_dir / "devset" / "real" / request.param / "texts"
    if not reference.is_dir() or not texts.is_dir():
        pytest.skip("../shared/reference or the real devset is not present")
    raw = tmp_path_factory.mktemp(f"real_{request.param}_raw")
    shutil.copytree(texts, raw / request.param)
    warehouse = tmp_path_factory.mktemp(f"real_{request.param}") / "warehouse"
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse), "--reference", str(reference)]) == 0
    return request.param, warehouse


def _coverage(warehouse: Path) -> dict:
    from pipeline.register.report import match_rates

    return match_rates(store.read_table(warehouse, "organisations"))


def test_real_devset_ods_coverage_does_not_drop(real_build):
    name, warehouse = real_build
    rates = _coverage(warehouse)
    assert rates["all"]["rate"] >= COVERAGE_FLOOR[name], rates


def test_real_devset_gazetteer_mentions_are_reference_bodies(real_build):
    _, warehouse = real_build
    mentions = store.read_table(warehouse, "org_mentions")
    organisations = store.read_table(warehouse, "organisations")
    found_here = set(mentions.filter(mentions["rule_id"] == RULE_ID)["org_id"])
    assert found_here, "the gazetteer finds bodies the recogniser misses"
    coded = set(organisations.filter(organisations["ods_code"].is_not_null())["org_id"])
    assert found_here <= coded
