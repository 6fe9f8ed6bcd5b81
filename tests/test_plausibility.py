"""The plausibility check: figures out of scale for the body they are pinned on (pipeline/plausibility.py, bounds
in pipeline/data/plausibility.csv), on its own, as a warning-level Dagster check, and against the gold files and
the builds of the real dev and check sets (those skip without ../shared)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline import plausibility
from pipeline.warehouse import store
from pipeline.plausibility import bounds, format_gbp, implausible, implausible_facts
from schemas import REGISTRY
from schemas.polars_types import polars_schema
from schemas.tables import FACT_TABLES, ORG_TYPES, SCOPES

RUN_ID = "run_" + "1" * 16
ARTICLE_ID = "ab" * 8
BATCH = "2024-01"


# ------------------------------------------------------------------------------------------ one figure

def test_a_national_total_on_one_trust_is_flagged_and_on_the_nhs_it_is_not():
    reason = implausible("trust", "org", "deficits", 2_450_000_000)
    assert reason is not None and "£2.45bn" in reason and "one trust" in reason
    assert implausible("national", "aggregate", "deficits", 2_450_000_000) is None
    assert implausible("national", "org", "deficits", 2_450_000_000) is None


def test_a_figure_of_a_bodys_own_scale_is_not_flagged():
    assert implausible("trust", "org", "deficits", 20_000_000) is None
    assert implausible("CCG", "org", "savings", 35_000_000) is None
    assert implausible("ICB", "org", "deficits", 150_000_000) is None
    assert implausible("PCT", "org", "deficits", 7_900_000) is None


def test_a_sector_total_on_one_commissioner_is_flagged_and_on_its_sector_it_is_not():
    assert implausible("PCT", "org", "savings", 1_900_000_000) is not None
    assert implausible("PCT", "aggregate", "savings", 1_900_000_000) is None
    assert implausible("CCG", "org", "deficits", 3_000_000_000) is not None
    assert implausible("CCG", "aggregate", "deficits", 3_000_000_000) is None
    assert implausible("professional", "org", "savings", 26_000_000_000) is not None


def test_the_bound_is_the_data_files_and_a_figure_at_it_is_still_plausible():
    limit = bounds()[("deficits", "trust", "org")].max_gbp
    assert implausible("trust", "org", "deficits", limit) is None
    assert implausible("trust", "org", "deficits", limit * 1.01) is not None


def test_what_cannot_be_judged_is_not_flagged():
    assert implausible("trust", "org", "deficits", None) is None
    assert implausible(None, "org", "deficits", 1e12) is None
    assert implausible("not a type", "org", "deficits", 1e12) is None


def test_a_figure_with_no_scope_yet_is_judged_as_one_bodys():
    assert implausible("trust", None, "deficits", 2_450_000_000) == implausible("trust", "org", "deficits",
                                                                                 2_450_000_000)


def test_an_unknown_table_is_an_error_not_a_silent_pass():
    with pytest.raises(ValueError, match="table"):
        implausible("trust", "org", "deficit", 2_450_000_000)


def test_a_named_list_is_bounded_by_its_members_together():
    one_trust = bounds()[("savings", "trust", "org")].max_gbp
    assert implausible("group", "org", "savings", 1.5 * one_trust, member_types=("trust", "trust")) is None
    reason = implausible("group", "org", "savings", 2.5 * one_trust, member_types=("trust", "trust"))
    assert reason is not None and "2 named bodies" in reason
    # A member of unknown type leaves the group's own bound.
    group = bounds()[("savings", "group", "org")].max_gbp
    assert implausible("group", "org", "savings", group * 0.9, member_types=("trust", None)) is None
    assert implausible("group", "org", "savings", group * 1.1, member_types=("trust", None)) is not None


def test_the_signal_tells_whose_figure_the_nhs_deficit_is():
    # "The NHS ended £2.45bn in the red": of the bodies the sentence could be pinned on, only the NHS fits.
    candidates = [("trust", "org"), ("CCG", "org"), ("ICB", "org"), ("national", "aggregate")]
    fits = [c for c in candidates if implausible(*c, "deficits", 2_450_000_000) is None]
    assert fits == [("national", "aggregate")]


def test_amounts_read_as_the_press_writes_them():
    assert [format_gbp(a) for a in (2.45e9, 5e8, 8.22e11, 7.58e6, 850_000)] == \
        ["£2.45bn", "£500m", "£822bn", "£7.58m", "£850,000"]


# ------------------------------------------------------------------------------------------ the data file

def test_the_data_file_bounds_every_type_table_and_scope_and_says_why():
    found = bounds()
    assert set(found) == {(t, o, s) for t in FACT_TABLES for o in ORG_TYPES for s in SCOPES}
    assert all(b.max_gbp > 0 and b.why.strip() and b.describes.strip() for b in found.values())


def test_one_body_is_bounded_well_below_the_nhs_as_a_whole():
    found = bounds()
    for table in FACT_TABLES:
        national = found[(table, "national", "aggregate")].max_gbp
        for body in ("trust", "CCG", "PCT", "ICB", "professional"):
            assert found[(table, body, "org")].max_gbp * 10 <= national, (table, body)


@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows[:-1], "no bound"),
    (lambda rows: rows + rows[-1:], "twice"),
    (lambda rows: rows + ["hospital,deficits,org,1,one hospital,a why"], "unknown"),
    (lambda rows: rows[:-1] + [rows[-1].replace("250000000000", "0", 1)], "positive"),
])
def test_a_broken_data_file_is_refused(tmp_path, edit, message):
    header, *rows = plausibility.BOUNDS_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "plausibility.csv"
    path.write_text("\n".join([header, *edit(rows)]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        bounds(path)


# ------------------------------------------------------------------------------------------ on a warehouse

def _org(org_id: str, name: str, org_type: str, members: list[str] | None = None) -> dict:
    return {"org_id": org_id, "name": name, "org_type": org_type, "ods_code": None, "aliases": [name],
            "member_org_ids": members or [], "n_articles": 1, "valid_from": None, "valid_to": None,
            "match_status": "no reference data", "match_score": None, "match_reason": None}


def _fact(table: str, number: int, org_id: str, amount: float | None, sentence: str, *, scope: str = "org",
          low: float | None = None, high: float | None = None) -> dict:
    prefix, id_column = ("sav", "saving_id") if table == "savings" else ("def", "deficit_id")
    row = {id_column: f"{prefix}_{number:016x}", "article_id": ARTICLE_ID, "org_id": org_id, "scope": scope,
           "measure": "target" if table == "savings" else "actual", "amount_gbp": amount, "amount_low_gbp": low,
           "amount_high_gbp": high, "qualifier": None, "fy_start": None, "fy_end": None, "horizon_years": None,
           "evidence": sentence, "char_start": 0, "char_end": len(sentence), "amount_text": "£1", "period_text": None,
           "rule_id": "deficit.deficit", "extractor_version": "0.2.0", "run_id": RUN_ID, "batch": BATCH}
    if table == "savings":
        row["parent_saving_id"] = None
    return row


TRUST, OTHER_TRUST, NHS, PAIR = ("org_" + c * 16 for c in "1234")
SENTENCES = {
    1: "The NHS ended the year £2.45bn in the red, the trust said.",
    2: "The NHS ended the year £2.45bn in the red.",
    3: "The trust expects a £20m deficit.",
    4: "The two trusts share a deficit of £1.2bn.",
    5: "The two trusts share a deficit of £800m.",
    6: "The trust's deficit could be £600m to £3bn.",
    7: "The trust's deficit could be £100m to £3bn.",
    8: "The trust plans to save £2.45bn.",
}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    store.write_table(tmp_path, "organisations", pl.DataFrame([
        _org(TRUST, "Anytown Hospitals NHS Trust", "trust"), _org(OTHER_TRUST, "Othertown NHS Trust", "trust"),
        _org(NHS, "NHS", "national"), _org(PAIR, "Anytown and Othertown trusts", "group", [TRUST, OTHER_TRUST]),
    ], schema=polars_schema(REGISTRY["organisations"])))
    deficits = [
        _fact("deficits", 1, TRUST, 2.45e9, SENTENCES[1]),
        _fact("deficits", 2, NHS, 2.45e9, SENTENCES[2], scope="aggregate"),
        _fact("deficits", 3, TRUST, 20e6, SENTENCES[3]),
        _fact("deficits", 4, PAIR, 1.2e9, SENTENCES[4]),
        _fact("deficits", 5, PAIR, 800e6, SENTENCES[5]),
        _fact("deficits", 6, TRUST, None, SENTENCES[6], low=600e6, high=3e9),
        _fact("deficits", 7, TRUST, None, SENTENCES[7], low=100e6, high=3e9),
    ]
    store.write_partition(tmp_path, "deficits", BATCH,
                          pl.DataFrame(deficits, schema=polars_schema(REGISTRY["deficits"])), RUN_ID)
    store.write_partition(tmp_path, "savings", BATCH, pl.DataFrame(
        [_fact("savings", 8, NHS, 2.45e9, SENTENCES[8])], schema=polars_schema(REGISTRY["savings"])), RUN_ID)
    return tmp_path


def test_the_warehouse_facts_out_of_scale_are_listed_with_their_sentences(warehouse):
    flagged = implausible_facts(warehouse)
    by_id = {row["fact_id"]: row for row in flagged.iter_rows(named=True)}
    # The trust's £2.45bn, the pair's £1.2bn (above two trusts' bounds together) and the range wholly above a
    # trust's bound; not the NHS's figures, the £20m, the £800m of two trusts, nor a range that starts in scale.
    assert sorted(by_id) == [f"def_{n:016x}" for n in (1, 4, 6)]
    assert by_id[f"def_{1:016x}"]["evidence"] == SENTENCES[1]
    assert by_id[f"def_{1:016x}"]["org_name"] == "Anytown Hospitals NHS Trust"
    assert by_id[f"def_{1:016x}"]["reason"] == implausible("trust", "org", "deficits", 2.45e9)
    assert "2 named bodies" in by_id[f"def_{4:016x}"]["reason"]
    assert by_id[f"def_{6:016x}"]["amount_gbp"] == 600e6
    assert list(flagged.columns) == list(plausibility.FLAG_COLUMNS)


def test_the_tables_are_checked_one_at_a_time(warehouse):
    assert implausible_facts(warehouse, ("savings",)).height == 0
    assert implausible_facts(warehouse, ("deficits",)).height == 3


def test_an_empty_warehouse_has_nothing_to_flag(tmp_path):
    store.write_table(tmp_path, "organisations", pl.DataFrame(schema=polars_schema(REGISTRY["organisations"])))
    assert implausible_facts(tmp_path).height == 0


# ------------------------------------------------------------------------------------------ the Dagster check

def test_the_definitions_carry_a_plausibility_check_on_each_fact_table():
    from assets.plausibility import PLAUSIBILITY_CHECKS, check_name
    from assets.definitions import ASSET_CHECKS, defs

    keys = defs.resolve_asset_graph().asset_check_keys
    for table in FACT_TABLES:
        assert dg.AssetCheckKey(dg.AssetKey(table), check_name(table)) in keys
    specs = [spec for definition in PLAUSIBILITY_CHECKS for spec in definition.check_specs]
    assert specs and not any(spec.blocking for spec in specs)
    assert all(definition in ASSET_CHECKS for definition in PLAUSIBILITY_CHECKS)


def _run_check(warehouse: Path, table: str):
    from assets.plausibility import check_name
    from assets.resources import LedgerPaths
    from assets.definitions import ASSET_CHECKS, ASSETS

    key = dg.AssetCheckKey(dg.AssetKey(table), check_name(table))
    result = dg.materialize([*ASSETS, *ASSET_CHECKS], selection=dg.AssetSelection.checks(key),
                            resources={"ledger": LedgerPaths(warehouse_dir=str(warehouse), raw_dir=str(warehouse))},
                            raise_on_error=False)
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_the_check_warns_with_the_flagged_facts_and_passes_when_there_are_none(warehouse):
    deficits = _run_check(warehouse, "deficits")
    assert not deficits.passed
    assert deficits.severity == dg.AssetCheckSeverity.WARN
    assert deficits.metadata["failing_rows"].value == 3
    listing = deficits.metadata["flagged"].value
    assert f"def_{1:016x}" in listing and SENTENCES[1] in listing and "Anytown Hospitals NHS Trust" in listing

    savings = _run_check(warehouse, "savings")
    assert savings.passed and savings.metadata["failing_rows"].value == 0


# ------------------------------------------------------------------------------------------ against the gold

GOLD_FILES = ("devset/real/dev/gold.jsonl", "devset/real/check/gold.jsonl", "devset/devset.gold.jsonl",
              "devset/seeds.gold.jsonl")


def test_no_gold_fact_is_implausible(shared_dir):
    from pipeline.evaluate import load_gold

    articles = load_gold([shared_dir / name for name in GOLD_FILES])
    facts = [(a.article, f) for a in articles for f in a.facts]
    assert len(facts) > 100
    out_of_scale = []
    for article, fact in facts:
        # A named list of bodies carries the type of its members, as the register's group does.
        members = (fact.org_type,) * len(fact.orgs) if len(fact.orgs) > 1 and fact.scope == "org" else ()
        amount = fact.amount_gbp if fact.amount_gbp is not None else fact.amount_low
        reason = implausible(fact.org_type, fact.scope, fact.table, amount, member_types=members)
        if reason:
            out_of_scale.append(f"{article}: {fact.orgs}: {reason}")
    assert out_of_scale == []


def _gold_correct_fact_ids(warehouse: Path, gold_path: Path) -> tuple[set[str], int]:
    """The warehouse's facts that match a gold fact by table, body and amount, as the evaluator scores them, and
    the evaluator's count of true positives. A fact of a gold article is right unless the evaluator calls it a
    false positive with nothing to match; a second prediction of a matched fact counts as right (its figure is)."""
    from pipeline.evaluate import evaluate_warehouse, load_predictions

    report = evaluate_warehouse(warehouse, [gold_path])
    scored = {article_id for result in report.articles for article_id in result.article_ids}
    unmatched = {fp.fact_id for result in report.articles for fp in result.false_positives if not fp.duplicate}
    facts = {fact.fact_id for fact in load_predictions(warehouse).facts if fact.article_id in scored}
    return facts - unmatched, report.overall.tp


@pytest.fixture(scope="module", params=["dev", "check"])
def real_build(request, tmp_path_factory):
    shared_dir = request.getfixturevalue("shared_dir")
    from cli.main import main

    part = shared_dir / "devset" / "real" / request.param
    raw = tmp_path_factory.mktemp(f"real_{request.param}_raw")
    shutil.copytree(part / "texts", raw / request.param)
    warehouse = tmp_path_factory.mktemp(f"real_{request.param}") / "warehouse"
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse),
                 "--reference", str(shared_dir / "reference")]) == 0
    return warehouse, part / "gold.jsonl"


def test_the_check_flags_no_fact_the_gold_holds_as_right(real_build):
    warehouse, gold_path = real_build
    correct, true_positives = _gold_correct_fact_ids(warehouse, gold_path)
    assert len(correct) >= true_positives > 0
    flagged = implausible_facts(warehouse)
    assert all(flagged["evidence"].str.len_chars() > 0)
    wrongly = flagged.filter(pl.col("fact_id").is_in(sorted(correct)))
    assert wrongly.select("fact_id", "org_name", "amount_gbp", "reason").rows() == []
