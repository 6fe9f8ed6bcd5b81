"""The scorer: gold loading, warehouse loading, matching rules, report and errors.

Warehouses are small DuckDB files written here row by row, so each test shows
exactly which predictions it scores.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from pathlib import Path

import duckdb
import pytest

from pipeline.evaluate import (
    EvaluationError,
    GoldFileError,
    GoldFormatError,
    NoGoldArticlesError,
    WarehouseError,
    collective_kinds,
    evaluate_warehouse,
    format_gbp,
    gold_key_of_source_path,
    load_gold,
    load_predictions,
    normalise_org_name,
    render_report,
)
from pipeline.evaluate.matching import max_weight_assignment

# ---------------------------------------------------------------- builders

_FACT_COLUMNS_SQL = """
    article_id VARCHAR, org_id VARCHAR, scope VARCHAR, measure VARCHAR,
    amount_gbp DOUBLE, amount_low_gbp DOUBLE, amount_high_gbp DOUBLE, qualifier VARCHAR,
    fy_start VARCHAR, fy_end VARCHAR, horizon_years INTEGER, {extra}
    evidence VARCHAR, char_start INTEGER, char_end INTEGER
"""
_SCHEMA_SQL = [
    "CREATE TABLE articles (article_id VARCHAR, source_path VARCHAR, source_format VARCHAR, "
    "title VARCHAR, body_text VARCHAR)",
    "CREATE TABLE organisations (org_id VARCHAR, name VARCHAR, org_type VARCHAR, ods_code VARCHAR, "
    "aliases VARCHAR[], member_org_ids VARCHAR[], n_articles INTEGER)",
    "CREATE TABLE org_mentions (mention_id VARCHAR, article_id VARCHAR, org_id VARCHAR, surface VARCHAR, "
    "char_start INTEGER, char_end INTEGER)",
    "CREATE TABLE savings (saving_id VARCHAR, "
    + _FACT_COLUMNS_SQL.format(extra="parent_saving_id VARCHAR,") + ")",
    "CREATE TABLE deficits (deficit_id VARCHAR, " + _FACT_COLUMNS_SQL.format(extra="") + ")",
]


def _hex16(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


class WarehouseBuilder:
    """Collects hand-written rows and writes them to <folder>/nhs_ledger.duckdb."""

    def __init__(self) -> None:
        self.articles: list[tuple] = []
        self.orgs: dict[str, tuple] = {}
        self.org_ids_by_name: dict[str, str] = {}
        self.mentions: list[tuple] = []
        self.savings: list[tuple] = []
        self.deficits: list[tuple] = []

    def article(self, source_path: str) -> str:
        article_id = _hex16("article", source_path)
        self.articles.append((article_id, source_path, "txt", "A headline", "Body text."))
        return article_id

    def org(self, name: str, org_type: str = "CCG", aliases: tuple[str, ...] = (),
            members: tuple[str, ...] = ()) -> str:
        org_id = "org_" + _hex16("org", name)
        self.orgs[org_id] = (org_id, name, org_type, None, list(aliases), list(members), 1)
        self.org_ids_by_name[name] = org_id
        return org_id

    def mention(self, article_id: str, org_id: str, surface: str = "a body") -> None:
        mention_id = "men_" + _hex16("mention", article_id, org_id, len(self.mentions))
        self.mentions.append((mention_id, article_id, org_id, surface, 0, len(surface)))

    def fact(self, table: str, article_id: str, org_id: str, amount: float | None = None, *,
             measure: str | None = None, scope: str = "org", low: float | None = None,
             high: float | None = None, fy_start: str | None = None, fy_end: str | None = None,
             horizon: int | None = None, evidence: str = "the sentence") -> str:
        rows = self.savings if table == "savings" else self.deficits
        prefix = "sav" if table == "savings" else "def"
        fact_id = f"{prefix}_" + _hex16(table, article_id, len(rows))
        measure = measure or ("target" if table == "savings" else "forecast")
        values = [fact_id, article_id, org_id, scope, measure, amount, low, high, None,
                  fy_start, fy_end, horizon]
        if table == "savings":
            values.append(None)  # parent_saving_id
        rows.append((*values, evidence, 0, len(evidence)))
        return fact_id

    def saving(self, article_id: str, org_id: str, amount: float | None = None, **kwargs) -> str:
        return self.fact("savings", article_id, org_id, amount, **kwargs)

    def deficit(self, article_id: str, org_id: str, amount: float | None = None, **kwargs) -> str:
        return self.fact("deficits", article_id, org_id, amount, **kwargs)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(folder / "nhs_ledger.duckdb"))
        try:
            for sql in _SCHEMA_SQL:
                con.execute(sql)
            for table, rows in (("articles", self.articles), ("organisations", list(self.orgs.values())),
                                ("org_mentions", self.mentions), ("savings", self.savings),
                                ("deficits", self.deficits)):
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        finally:
            con.close()
        return folder


def gold_fact(table: str = "savings", orgs: tuple[str, ...] = ("NHS Salford CCG",), amount: float | None = None,
              *, measure: str | None = None, scope: str = "org", low: float | None = None,
              high: float | None = None, alternates: tuple[float, ...] = (), fy_start: str | None = None,
              fy_end: str | None = None, horizon: int | None = None, org_type: str = "CCG",
              evidence: str = "the sentence") -> dict:
    return {
        "table": table, "orgs": list(orgs), "org_type": org_type, "scope": scope,
        "measure": measure or ("target" if table == "savings" else "forecast"),
        "amount_gbp": amount, "amount_low": low, "amount_high": high, "qualifier": None,
        "alternates": list(alternates), "fy_start": fy_start, "fy_end": fy_end,
        "horizon_years": horizon, "parent_amount_gbp": None, "evidence": evidence,
    }


def gold_org(name: str, aliases: tuple[str, ...] = (), org_type: str = "CCG") -> dict:
    return {"name": name, "aliases": list(aliases), "org_type": org_type}


def gold_article(article: str, orgs: list[dict], facts: list[dict]) -> dict:
    return {"article": article, "orgs": orgs, "facts": facts}


def write_gold(path: Path, *articles: dict) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def evaluate(tmp_path: Path, builder: WarehouseBuilder, *articles: dict):
    warehouse = builder.write(tmp_path / "warehouse")
    return evaluate_warehouse(warehouse, [write_gold(tmp_path / "gold.jsonl", *articles)])


SALFORD = gold_org("NHS Salford CCG")


def salford_warehouse(source_path: str = "a.txt") -> tuple[WarehouseBuilder, str, str]:
    builder = WarehouseBuilder()
    article_id = builder.article(source_path)
    salford = builder.org("NHS Salford CCG", aliases=("Salford CCG",))
    builder.mention(article_id, salford)
    return builder, article_id, salford


# ---------------------------------------------------------------- name normalisation


@pytest.mark.parametrize("name", [
    "NHS Salford CCG", "Salford clinical commissioning group", "the Salford CCG's", "Salford CCG",
    "THE  Salford   CCG\u2019s", "NHS Salford", "Salford",
])
def test_salford_names_normalise_alike(name):
    assert normalise_org_name(name) == "salford"


@pytest.mark.parametrize("name, expected", [
    ("Royal Devon and Exeter NHS Foundation Trust", "royal devon and exeter"),
    ("Maidstone and Tunbridge Wells NHS Trust", "maidstone and tunbridge wells"),
    ("Walsall Primary Care Trust", "walsall"),
    ("East Midlands SHA", "east midlands"),
    ("NHS Kent and Medway ICB", "kent and medway"),
    ("Kent and Medway Integrated Care Board", "kent and medway"),
    ("NHS Yorkshire and the Humber Strategic Health Authority", "yorkshire and the humber"),
    ("Stoke-on-Trent CCG", "stoke on trent"),
    ("BMA\u2019s GP committee", "bma gp committee"),
    ("Queen Elizabeth Hospital King\u2019s Lynn NHS Foundation Trust", "queen elizabeth hospital king lynn"),
    # Names made only of set-aside words keep their cleaned form, so the NHS as a whole can match.
    ("NHS", "nhs"),
    ("the NHS", "nhs"),
    ("", ""),
    ("--", ""),
])
def test_normaliser_cases(name, expected):
    assert normalise_org_name(name) == expected


def test_normaliser_keeps_different_bodies_apart():
    assert normalise_org_name("NHS Hull") != normalise_org_name("Hull City Council")
    assert normalise_org_name("Trusts in England") != normalise_org_name("NHS England")


# ---------------------------------------------------------------- collectives


@pytest.mark.parametrize("name, expected", [
    # A collective's leading count or determiner is set aside, as are a leading "the" and "NHS".
    ("22 trusts", "trusts"), ("the 34 PCTs", "pcts"), ("all PCTs", "pcts"), ("NHS trusts", "trusts"),
    ("all NHS trusts", "trusts"), ("Thirty CCGs", "ccgs"), ("31 out of 42 ICSs", "icss"),
    ("a quarter of trusts", "trusts"), ("almost 200 clinical commissioning groups", "clinical commissioning groups"),
    ("150 trusts that overspent", "trusts that overspent"), ("the eight London PCTs", "london pcts"),
    # A body's own name is not a count of anything: its leading words stay.
    ("5 Boroughs Partnership NHS Foundation Trust", "5 boroughs partnership"),
    ("Five Boroughs Partnership NHS Foundation Trust", "five boroughs partnership"),
    ("All Saints Practice", "all saints practice"),
])
def test_normaliser_sets_aside_a_collectives_count_or_determiner(name, expected):
    assert normalise_org_name(name) == expected


@pytest.mark.parametrize("name, kinds", [
    ("150 trusts that overspent", {"trusts"}), ("the trust sector", {"trusts"}), ("providers", {"trusts"}),
    ("NHS trusts", {"trusts"}), ("the acute non-foundation trust sector", {"trusts"}),
    ("NHS trusts and foundation trusts", {"trusts"}), ("England's acute trusts", {"trusts"}),
    ("95 CCGs", {"CCGs"}), ("CCGs in the North West", {"CCGs"}),
    ("almost 200 clinical commissioning groups", {"CCGs"}),
    ("the 34 PCTs", {"PCTs"}), ("primary care trusts in the region", {"PCTs"}),  # not trusts
    ("42 ICBs", {"ICBs"}), ("31 out of 42 ICSs", {"ICBs"}), ("integrated care boards", {"ICBs"}),
    ("SHAs", {"SHAs"}), ("the strategic health authorities", {"SHAs"}),
    ("PCTs and SHAs", {"PCTs", "SHAs"}),
    # One body's name, or a collective of no kind in the guidelines' list, has no kind.
    ("NHS Salford CCG", set()), ("Salford Royal NHS Foundation Trust", set()), ("East Midlands SHA", set()),
    ("NHS Trust Development Authority", set()), ("NHS", set()), ("NHS organisations", set()),
    ("north-east London", set()), ("", set()), (None, set()),
])
def test_collective_kinds(name, kinds):
    assert collective_kinds(name) == frozenset(kinds)


def aggregate_fact(table: str, collective: str, amount: float, **kwargs) -> dict:
    return gold_fact(table, orgs=(collective,), amount=amount, scope="aggregate", org_type="group", **kwargs)


@pytest.mark.parametrize("gold_collective, predicted_collective", [
    ("trusts", "150 trusts that overspent"), ("trusts", "the trust sector"), ("trusts", "providers"),
    ("150 trusts that overspent", "NHS trusts"), ("acute trusts", "22 trusts"),
    ("CCGs", "95 CCGs"), ("London CCGs", "clinical commissioning groups in England"),
    ("PCTs", "the 34 PCTs"), ("33 primary care trusts", "all PCTs"),
    ("31 out of 42 ICSs", "ICBs"), ("SHAs", "the ten strategic health authorities"),
    ("PCTs and SHAs", "SHAs and PCTs"),
])
def test_an_aggregate_facts_collective_matches_any_collective_of_the_same_kind(
        tmp_path, gold_collective, predicted_collective):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.deficit(article_id, builder.org(predicted_collective, "group"), 230_000_000, scope="aggregate")
    report = evaluate(tmp_path, builder, gold_article("a.txt", [], [
        aggregate_fact("deficits", gold_collective, 230_000_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 0, 0)


@pytest.mark.parametrize("gold_collective, predicted", [
    ("trusts", ("22 CCGs", "group")),  # another kind
    ("PCTs", ("PCTs and SHAs", "group")),  # a mixed collective is not of one kind
    ("PCTs and SHAs", ("the 34 PCTs", "group")),
    ("primary care trusts", ("NHS trusts", "group")),  # PCTs are not trusts
    ("trusts", ("Salford Royal NHS Foundation Trust", "trust")),  # one body is no collective
    ("CCGs", ("NHS Salford CCG", "CCG")),
    ("NHS organisations", ("NHS bodies", "group")),  # a collective of no listed kind matches by name only
])
def test_a_collective_does_not_match_another_kind_or_a_single_body(tmp_path, gold_collective, predicted):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.deficit(article_id, builder.org(*predicted), 230_000_000, scope="aggregate")
    report = evaluate(tmp_path, builder, gold_article("a.txt", [], [
        aggregate_fact("deficits", gold_collective, 230_000_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 1, 1)


def test_only_an_aggregate_fact_matches_by_kind(tmp_path):
    # Of the same kind but named apart, the collectives match only where the gold fact is an aggregate one.
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.saving(article_id, builder.org("trusts in Kent", "group"), 5_000_000)
    fact = gold_fact(orgs=("NHS trusts in Essex",), amount=5_000_000, org_type="group")
    assert evaluate(tmp_path / "org", builder, gold_article("a.txt", [], [{**fact, "scope": "org"}])).overall.tp == 0
    assert evaluate(tmp_path / "aggregate", builder,
                    gold_article("a.txt", [], [{**fact, "scope": "aggregate"}])).overall.tp == 1


def test_a_collectives_count_is_set_aside_when_names_are_compared(tmp_path):
    # Compared by name (the gold fact is not an aggregate one), "all PCTs" is "the 34 PCTs".
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.saving(article_id, builder.org("all PCTs", "group"), 54_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [], [
        gold_fact(orgs=("the 34 PCTs",), amount=54_000_000, org_type="group", scope="org")]))
    assert report.overall.tp == 1


def test_a_group_matches_by_its_own_name_its_members_or_its_collective_kind(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    dorset, devon = builder.org("NHS Dorset", "PCT"), builder.org("NHS Devon", "PCT")
    builder.saving(article_id, builder.org("South West PCT partnership", "group", members=(dorset,)), 1_000_000)
    builder.saving(article_id, builder.org("Peninsula alliance", "group", members=(devon,)), 2_000_000)
    builder.saving(article_id, builder.org("PCTs in the South West", "group", members=(dorset, devon)), 3_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [], [
        gold_fact(orgs=("South West PCT partnership",), amount=1_000_000, org_type="group"),  # the group's name
        gold_fact(orgs=("NHS Devon",), amount=2_000_000, org_type="PCT"),  # a member's name
        aggregate_fact("savings", "PCTs", 3_000_000),  # the group's name is a collective of PCTs
    ]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (3, 0, 0)


# ---------------------------------------------------------------- aggregate recall


def test_aggregate_recall_per_table_and_overall(tmp_path):
    builder, article_id, salford = salford_warehouse()
    ccgs = builder.org("95 CCGs", "group")
    builder.saving(article_id, ccgs, 412_000_000, scope="aggregate")  # an aggregate fact, matched
    builder.saving(article_id, salford, 35_000_000)  # an org fact, matched: not in aggregate recall
    builder.deficit(article_id, builder.org("NHS", "national"), 2_000_000_000, scope="aggregate")
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        aggregate_fact("savings", "CCGs", 412_000_000),
        aggregate_fact("savings", "CCGs", 22_000_000),  # missed
        gold_fact(amount=35_000_000),
        {**gold_fact("deficits", orgs=("NHS",), amount=2_000_000_000, org_type="national"), "scope": "aggregate"},
    ]))
    savings, deficits, overall = report.tables["savings"], report.tables["deficits"], report.overall
    assert (savings.aggregate_found, savings.aggregate_total, savings.aggregate_recall) == (1, 2, 0.5)
    assert (deficits.aggregate_found, deficits.aggregate_total, deficits.aggregate_recall) == (1, 1, 1.0)
    assert (overall.aggregate_found, overall.aggregate_total) == (2, 3)
    assert overall.aggregate_recall == pytest.approx(2 / 3)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["tables"]["savings"]["aggregate_recall"] == 0.5
    assert data["overall"]["aggregate_recall"] == pytest.approx(2 / 3)
    assert report.summary()["aggregate_recall"] == pytest.approx(2 / 3)
    assert "aggregate recall: 0.667 (2/3 gold facts for a collective matched; savings 0.500, deficits 1.000)" \
        in render_report(report)


def test_aggregate_recall_is_undefined_without_aggregate_gold(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    assert report.overall.aggregate_recall is None
    assert "aggregate recall: n/a (0/0" in render_report(report)


def test_summary_gives_the_headline_figures_overall(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000, measure="potential")
    builder.saving(article_id, salford, 9_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD, gold_org("GPC", org_type="professional")], [
        gold_fact(amount=35_000_000), gold_fact("deficits", amount=4_000_000)]))
    summary = report.summary()
    assert (summary["articles"], summary["gold_facts"], summary["predicted_facts"], summary["matched"]) == (1, 2, 2, 1)
    assert (summary["precision"], summary["recall"], summary["f1"]) == (0.5, 0.5, 0.5)
    assert (summary["measure_accuracy"], summary["period_accuracy"]) == (0.0, 1.0)
    assert summary["org_recall"] == 0.5 and summary["duplicates"] == 0


# ---------------------------------------------------------------- counts


def test_exact_counts_per_table_and_overall(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000)  # TP
    builder.saving(article_id, salford, 7_600_000)  # TP
    builder.saving(article_id, salford, 9_000_000)  # FP: wrong amount
    builder.deficit(article_id, salford, 12_000_000)  # TP
    builder.deficit(article_id, salford, 4_000_000)  # FP: not in gold
    gold = gold_article("a.txt", [SALFORD], [
        gold_fact(amount=35_000_000), gold_fact(amount=7_600_000), gold_fact(amount=5_000_000),
        gold_fact("deficits", amount=12_000_000), gold_fact("deficits", amount=3_000_000),
    ])
    report = evaluate(tmp_path, builder, gold)
    savings, deficits, overall = report.tables["savings"], report.tables["deficits"], report.overall
    assert (savings.tp, savings.fp, savings.fn) == (2, 1, 1)
    assert (deficits.tp, deficits.fp, deficits.fn) == (1, 1, 1)
    assert (overall.tp, overall.fp, overall.fn) == (3, 2, 2)
    assert savings.precision == pytest.approx(2 / 3)
    assert deficits.recall == pytest.approx(1 / 2)
    assert overall.f1 == pytest.approx(2 * 3 / (2 * 3 + 2 + 2))
    assert overall.duplicates == 0


def test_tables_must_be_equal(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.deficit(article_id, salford, 5_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=5_000_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 1, 1)
    assert report.overall.duplicates == 0


def test_second_prediction_of_a_fact_is_a_duplicate_false_positive(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000)
    builder.saving(article_id, salford, 35_000_000)
    builder.saving(article_id, salford, 35_100_000)  # within 1%: also a duplicate
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    savings = report.tables["savings"]
    assert (savings.tp, savings.fp, savings.fn, savings.duplicates) == (1, 2, 0, 2)
    assert sum(f.duplicate for f in report.articles[0].false_positives) == 2


def test_matching_maximises_the_number_of_matches(tmp_path):
    # Prediction A fits both gold facts, B only the first: a greedy pairing of A with the
    # first would leave B unmatched; the maximum matching pairs A-second and B-first.
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 10_000_000)  # within 1% of both 10.0m and 10.1m
    builder.saving(article_id, salford, 9_950_000)  # within 1% of 10.0m only
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact(amount=10_000_000), gold_fact(amount=10_100_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 0, 0)


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize("predicted, matches", [
    (10_099_000, True),  # +0.99%
    (9_901_000, True),  # -0.99%
    (10_100_000, True),  # exactly 1%
    (10_150_000, False),  # +1.5%
    (9_850_000, False),  # -1.5%
])
def test_one_percent_tolerance(tmp_path, predicted, matches):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, predicted)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=10_000_000)]))
    assert report.overall.tp == int(matches)


def test_exactly_one_percent_survives_floating_point(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000 * 1.01)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    assert report.overall.tp == 1


def test_alternates_match(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.deficit(article_id, salford, 29_000_000)  # "£29m shortfall" for gold 28.8m
    builder.deficit(article_id, salford, 7_000_000)  # alternate of the second fact
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact("deficits", amount=28_800_000, alternates=(29_000_000,)),
        gold_fact("deficits", amount=7_580_000, alternates=(7_600_000, 7_000_000)),
    ]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 0, 0)


@pytest.mark.parametrize("predicted, matches", [
    ({"low": 34_000_000, "high": 37_000_000}, True),
    ({"low": 34_300_000, "high": 36_700_000}, True),  # both bounds within 1%
    ({"low": 34_000_000, "high": 40_000_000}, False),  # high bound off
    ({"low": 30_000_000, "high": 37_000_000}, False),  # low bound off
    ({"amount": 35_500_000}, False),  # a single amount inside the range is not the range
    ({"amount": 37_000_000}, False),  # nor is a bound on its own
])
def test_range_matching(tmp_path, predicted, matches):
    builder, article_id, salford = salford_warehouse()
    builder.deficit(article_id, salford, predicted.get("amount"), low=predicted.get("low"),
                    high=predicted.get("high"))
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact("deficits", low=34_000_000, high=37_000_000)]))
    assert report.overall.tp == int(matches)


def test_single_amount_matches_an_alternate_of_a_gold_range(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.deficit(article_id, salford, 36_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact("deficits", low=34_000_000, high=37_000_000, alternates=(36_000_000,))]))
    assert report.overall.tp == 1


def test_predicted_range_does_not_match_a_single_gold_amount(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.deficit(article_id, salford, low=34_000_000, high=37_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact("deficits", amount=34_000_000)]))
    assert report.overall.tp == 0


# ---------------------------------------------------------------- organisations in matching


def test_organisation_must_match(tmp_path):
    builder, article_id, _ = salford_warehouse()
    bolton = builder.org("NHS Bolton CCG")
    builder.saving(article_id, bolton, 35_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 1, 1)
    assert report.overall.duplicates == 0


def test_normalised_names_match(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    org = builder.org("Salford clinical commissioning group")
    builder.saving(article_id, org, 35_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    assert report.overall.tp == 1


def test_group_matches_through_its_members(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    dorset = builder.org("NHS Dorset", "PCT")
    poole = builder.org("Bournemouth and Poole PCT", "PCT", aliases=("NHS Bournemouth and Poole",))
    group = builder.org("Dorset and Bournemouth PCTs", "group", members=(dorset, poole))
    unrelated_group = builder.org("South West PCTs", "group", members=(builder.org("NHS Devon", "PCT"),))
    builder.saving(article_id, group, 200_000_000)
    builder.saving(article_id, unrelated_group, 50_000_000)
    builder.saving(article_id, group, 10_000_000)  # a group also matches a gold fact of one member
    orgs = [gold_org("NHS Dorset", org_type="PCT"), gold_org("NHS Bournemouth and Poole", org_type="PCT")]
    report = evaluate(tmp_path, builder, gold_article("a.txt", orgs, [
        gold_fact(orgs=("NHS Dorset", "NHS Bournemouth and Poole"), amount=200_000_000, org_type="PCT"),
        gold_fact(orgs=("NHS Devon and Cornwall",), amount=50_000_000, org_type="PCT"),
        gold_fact(orgs=("NHS Bournemouth and Poole",), amount=10_000_000, org_type="PCT"),
    ]))
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 1, 1)


def test_single_body_matches_a_gold_fact_shared_by_two(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.saving(article_id, builder.org("NHS Southend CCG"), 22_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [], [
        gold_fact(orgs=("NHS Castle Point and Rochford CCG", "NHS Southend CCG"), amount=22_000_000)]))
    assert report.overall.tp == 1


def test_alias_from_the_article_orgs_list_matches(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.saving(article_id, builder.org("South Gloucester PCT", "PCT"), 5_000_000)
    fact = gold_fact(orgs=("NHS South Gloucestershire",), amount=5_000_000, org_type="PCT")
    with_alias = gold_article("a.txt", [gold_org("NHS South Gloucestershire", ("NHS South Gloucester",), "PCT")],
                              [fact])
    without_alias = gold_article("a.txt", [gold_org("NHS South Gloucestershire", org_type="PCT")], [fact])
    assert evaluate(tmp_path / "with", builder, with_alias).overall.tp == 1
    assert evaluate(tmp_path / "without", builder, without_alias).overall.tp == 0


def test_aliases_of_other_articles_do_not_leak(tmp_path):
    builder = WarehouseBuilder()
    first, second = builder.article("a.txt"), builder.article("b.txt")
    org = builder.org("South Gloucester PCT", "PCT")
    builder.saving(first, org, 5_000_000)
    builder.saving(second, org, 5_000_000)
    fact = gold_fact(orgs=("NHS South Gloucestershire",), amount=5_000_000, org_type="PCT")
    report = evaluate(
        tmp_path, builder,
        gold_article("a.txt", [gold_org("NHS South Gloucestershire", ("NHS South Gloucester",), "PCT")], [fact]),
        gold_article("b.txt", [gold_org("NHS South Gloucestershire", org_type="PCT")], [fact]),
    )
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 1, 1)


# ---------------------------------------------------------------- measure, period, scope


def test_measure_period_and_scope_accuracy_on_matched_pairs(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000, measure="target", fy_end="2020/21")  # all right
    builder.saving(article_id, salford, 14_000_000, measure="potential", fy_end="2020/21")  # measure wrong
    builder.saving(article_id, salford, 5_800_000, measure="shortfall", fy_start="2015/16",
                   fy_end="2015/16")  # period wrong
    builder.deficit(article_id, salford, 3_000_000, measure="actual", horizon=3, scope="aggregate")
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact(amount=35_000_000, measure="target", fy_end="2020/21"),
        gold_fact(amount=14_000_000, measure="target", fy_end="2020/21"),
        gold_fact(amount=5_800_000, measure="shortfall", fy_end="2015/16"),
        gold_fact("deficits", amount=3_000_000, measure="actual", horizon=3, scope="org"),
        gold_fact("deficits", amount=8_000_000),  # missed: not in the accuracies
    ]))
    savings, deficits, overall = report.tables["savings"], report.tables["deficits"], report.overall
    assert savings.measure_accuracy == pytest.approx(2 / 3)
    assert savings.period_accuracy == pytest.approx(2 / 3)
    assert deficits.measure_accuracy == deficits.period_accuracy == 1.0
    assert deficits.scope_accuracy == 0.0
    assert (overall.measure_correct, overall.period_correct, overall.scope_correct, overall.tp) == (3, 3, 3, 4)
    [result] = report.articles
    assert sorted(m.fields for m in result.mismatches) == [("measure",), ("period",), ("scope",)]


def test_ties_break_toward_same_measure_then_same_period(tmp_path):
    # "£5.8m behind on its £5.8m ..." style: two gold facts with the same body and amount.
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 5_800_000, measure="shortfall")
    builder.saving(article_id, salford, 5_800_000, measure="target")
    builder.deficit(article_id, salford, 9_000_000, fy_start="2016/17", fy_end="2016/17")
    builder.deficit(article_id, salford, 9_000_000, fy_start="2015/16", fy_end="2015/16")
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [
        gold_fact(amount=5_800_000, measure="target"),
        gold_fact(amount=5_800_000, measure="shortfall"),
        gold_fact("deficits", amount=9_000_000, fy_start="2015/16", fy_end="2015/16"),
        gold_fact("deficits", amount=9_000_000, fy_start="2016/17", fy_end="2016/17"),
    ]))
    assert report.overall.tp == 4
    assert report.overall.measure_accuracy == 1.0
    assert report.overall.period_accuracy == 1.0


def test_max_weight_assignment_agrees_with_brute_force():
    rng = random.Random(20240301)
    for _ in range(400):
        rows, columns = rng.randint(1, 5), rng.randint(1, 5)
        weights = [[rng.choice((0, 0, 5, 6, 8)) for _ in range(columns)] for _ in range(rows)]
        pairs = max_weight_assignment(weights)
        assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)
        assert all(weights[i][j] > 0 for i, j in pairs)
        assert sum(weights[i][j] for i, j in pairs) == _brute_force_best(weights)


def _brute_force_best(weights: list[list[int]]) -> int:
    rows, columns = len(weights), len(weights[0])
    if rows <= columns:
        return max(sum(weights[i][c] for i, c in enumerate(p)) for p in itertools.permutations(range(columns), rows))
    return max(sum(weights[r][j] for j, r in enumerate(p)) for p in itertools.permutations(range(rows), columns))


# ---------------------------------------------------------------- organisation recall


def test_org_recall_counts_mentions_fact_orgs_group_members_and_missing_articles(tmp_path):
    builder = WarehouseBuilder()
    article_id = builder.article("a.txt")
    builder.mention(article_id, builder.org("Salford CCG"))  # found through a mention
    builder.saving(article_id, builder.org("Salford LMC", "professional"), 1_000_000)  # through a fact only
    member = builder.org("Department of Heath", "national")  # the gold alias, via a group member
    builder.mention(article_id, builder.org("Salford partners", "group", members=(member,)))
    builder.mention(builder.article("other.txt"), builder.org("GPC", "professional"))  # another article
    report = evaluate(
        tmp_path, builder,
        gold_article("a.txt", [
            gold_org("NHS Salford CCG"), gold_org("Salford LMC", org_type="professional"),
            gold_org("Department of Health", ("Department of Heath",), "national"),
            gold_org("GPC", org_type="professional"),  # not found: mentioned only in other.txt
        ], []),
        gold_article("missing.txt", [gold_org("NHS England", org_type="national")], []),
    )
    assert (report.org_recall.found, report.org_recall.total) == (3, 5)
    assert report.org_recall.recall == pytest.approx(3 / 5)
    assert report.articles[0].orgs_not_found == ["GPC"]
    assert report.articles[1].orgs_not_found == ["NHS England"]


# ---------------------------------------------------------------- articles


@pytest.mark.parametrize("source_path, article", [
    ("d001.txt", "d001.txt"),
    ("devset/d001.txt", "d001.txt"),
    ("2024-03/week-1/000_7040aa5afa40f866.txt", "000_7040aa5afa40f866.txt"),
    ("2024-03/pulse.jsonl#2", "pulse.jsonl"),
    ("seeds/d001.txt#12", "d001.txt"),
])
def test_gold_key_of_source_path(source_path, article):
    assert gold_key_of_source_path(source_path) == article


def test_subfolder_and_record_suffix_source_paths_are_matched(tmp_path):
    builder = WarehouseBuilder()
    salford = builder.org("NHS Salford CCG")
    first = builder.article("2024-03/week-1/000_7040aa5afa40f866.txt")
    second = builder.article("batch/d001.txt#3")
    builder.saving(first, salford, 35_000_000)
    builder.saving(second, salford, 2_500_000)
    report = evaluate(
        tmp_path, builder,
        gold_article("000_7040aa5afa40f866.txt", [SALFORD], [gold_fact(amount=35_000_000)]),
        gold_article("d001.txt", [SALFORD], [gold_fact(amount=2_500_000)]),
    )
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 0, 0)
    assert report.missing_articles == []


def test_missing_gold_articles_count_as_false_negatives_and_unscored_facts_are_ignored(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000)
    unscored = builder.article("not-in-gold.txt")
    builder.saving(unscored, salford, 1_000_000)
    builder.deficit(unscored, salford, 2_000_000)
    report = evaluate(
        tmp_path, builder,
        gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]),
        gold_article("gone.txt", [SALFORD], [gold_fact(amount=1_000_000), gold_fact("deficits", amount=2_000_000)]),
    )
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 0, 2)
    assert report.missing_articles == ["gone.txt"]
    assert (report.unscored_facts, report.unscored_articles) == (2, 1)


def test_two_warehouse_articles_for_one_gold_article_are_pooled_and_reported(tmp_path):
    builder = WarehouseBuilder()
    salford = builder.org("NHS Salford CCG")
    builder.saving(builder.article("2024-01/a.txt"), salford, 35_000_000)
    builder.saving(builder.article("2024-02/a.txt"), salford, 35_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    assert (report.overall.tp, report.overall.fp, report.overall.duplicates) == (1, 1, 1)
    assert list(report.ambiguous_articles) == ["a.txt"]
    assert "warning: a.txt matches 2 warehouse articles" in render_report(report)


# ---------------------------------------------------------------- gold loading


def test_load_gold_reads_lines_skipping_blank_ones(tmp_path):
    path = tmp_path / "gold.jsonl"
    fact = gold_fact(amount=35_000_000, alternates=(35_500_000,), fy_end="2020/21", horizon=3)
    path.write_text(json.dumps(gold_article("a.txt", [gold_org("NHS Salford CCG", ("Salford CCG",))], [fact]))
                    + "\n\n" + json.dumps(gold_article("b.txt", [], [])) + "\n", encoding="utf-8")
    first, second = load_gold([path])
    assert (first.article, second.article) == ("a.txt", "b.txt")
    assert first.orgs[0].aliases == ("Salford CCG",)
    assert first.facts[0].amount_gbp == 35_000_000
    assert first.facts[0].alternates == (35_500_000,)
    assert (first.facts[0].fy_end, first.facts[0].horizon_years) == ("2020/21", 3)
    assert second.source == f"{path}:3"


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(gold_article("a.txt", [], [])) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"gold\.jsonl:2: not valid JSON") as caught:
        load_gold([path])
    assert isinstance(caught.value, EvaluationError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("line, message", [
    ('["a list"]', "expected a JSON object"),
    ('{"orgs": [], "facts": []}', 'missing "article"'),
    ('{"article": "a.txt", "facts": [{"table": "budgets", "orgs": []}]}', '"table" must be one of'),
    ('{"article": "a.txt", "facts": [{"table": "savings", "orgs": ["X"], "amount_gbp": "5m"}]}',
     '"amount_gbp" must be a number'),
    ('{"article": "a.txt", "facts": [{"table": "savings", "orgs": ["X"], "amount_low": 1}]}',
     'needs "amount_gbp" or both'),
])
def test_malformed_gold_lines_are_format_errors(tmp_path, line, message):
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match=message):
        load_gold([path])


def test_an_article_given_twice_is_a_format_error(tmp_path):
    first = write_gold(tmp_path / "one.jsonl", gold_article("a.txt", [], []))
    second = write_gold(tmp_path / "two.jsonl", gold_article("a.txt", [], []))
    with pytest.raises(GoldFormatError, match=r"two\.jsonl:1: article 'a\.txt' is already given at .*one\.jsonl:1"):
        load_gold([first, second])


# ---------------------------------------------------------------- errors


def test_missing_gold_file(tmp_path):
    with pytest.raises(GoldFileError, match="gold file not found"):
        load_gold([tmp_path / "nope.jsonl"])


def test_unreadable_gold_file(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(b'{"article": "\xff\xfe"}\n')
    with pytest.raises(GoldFileError, match="cannot read gold file"):
        load_gold([path])
    with pytest.raises(GoldFileError, match="cannot read gold file"):
        load_gold([tmp_path])  # a folder, not a file


def test_missing_warehouse_folder(tmp_path):
    with pytest.raises(WarehouseError, match="warehouse folder not found"):
        load_predictions(tmp_path / "nowhere")


def test_warehouse_without_duckdb_file(tmp_path):
    (tmp_path / "warehouse").mkdir()
    with pytest.raises(WarehouseError, match="no nhs_ledger.duckdb in"):
        load_predictions(tmp_path / "warehouse")


def test_warehouse_missing_a_table(tmp_path):
    folder = tmp_path / "warehouse"
    folder.mkdir()
    con = duckdb.connect(str(folder / "nhs_ledger.duckdb"))
    con.execute(_SCHEMA_SQL[0])
    con.close()
    with pytest.raises(WarehouseError, match="cannot read table organisations"):
        load_predictions(folder)


def test_no_gold_article_in_the_warehouse(tmp_path):
    builder, _, _ = salford_warehouse("something-else.txt")
    with pytest.raises(NoGoldArticlesError, match="none of the 1 gold articles is in the warehouse"):
        evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], []))


def test_empty_gold(tmp_path):
    builder, _, _ = salford_warehouse()
    with pytest.raises(NoGoldArticlesError, match="hold no articles"):
        evaluate(tmp_path, builder)


def test_errors_are_evaluation_errors_with_one_line_messages(tmp_path):
    for call in (lambda: load_predictions(tmp_path / "nowhere"), lambda: load_gold([tmp_path / "x.jsonl"])):
        with pytest.raises(EvaluationError) as caught:
            call()
        assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- report


def test_render_report_and_details(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000, measure="potential", fy_end="2020/21")
    builder.deficit(article_id, salford, 4_000_000, evidence="a £4m hole")
    report = evaluate(tmp_path, builder,
                      gold_article("a.txt", [SALFORD, gold_org("GPC", org_type="professional")], [
                          gold_fact(amount=35_000_000, fy_end="2020/21", evidence="plans to save £35 million"),
                          gold_fact("deficits", low=34_000_000, high=37_000_000, fy_start="2014/15",
                                    fy_end="2014/15", evidence="a £34-37m deficit"),
                      ]))
    summary = render_report(report)
    assert "savings" in summary and "deficits" in summary and "overall" in summary
    assert "organisation recall: 0.500 (1/2 listed bodies found)" in summary
    assert "a £4m hole" not in summary

    detailed = render_report(report, details=True)
    assert "== a.txt" in detailed
    assert "missed (FN): 1" in detailed and "£34m-£37m" in detailed and "2014/15" in detailed
    assert "\u201ca £34-37m deficit\u201d" in detailed
    assert "spurious (FP): 1" in detailed and "£4m" in detailed and "\u201ca £4m hole\u201d" in detailed
    assert "measure target -> potential" in detailed
    assert "bodies not found: GPC" in detailed


def test_to_dict_is_json_serialisable(tmp_path):
    builder, article_id, salford = salford_warehouse()
    builder.saving(article_id, salford, 35_000_000)
    report = evaluate(tmp_path, builder, gold_article("a.txt", [SALFORD], [gold_fact(amount=35_000_000)]))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["overall"]["f1"] == 1.0
    assert data["tables"]["deficits"]["f1"] is None  # 0/0: no gold and no predicted deficits
    assert data["org_recall"] == {"found": 1, "total": 1, "recall": 1.0}
    assert data["articles"][0]["article"] == "a.txt"


@pytest.mark.parametrize("amount, text", [
    (35_000_000, "£35m"), (7_600_000, "£7.6m"), (6_000_000_000, "£6bn"), (400_000, "£400,000"),
    (28_850_000, "£28.85m"),
])
def test_format_gbp(amount, text):
    assert format_gbp(amount) == text


# ---------------------------------------------------------------- the real gold files


def perfect_warehouse(gold, source_folder: dict[str, str]) -> WarehouseBuilder:
    """A warehouse that predicts exactly the gold: every fact, every listed body."""
    builder = WarehouseBuilder()
    aliases: dict[str, set[str]] = {}
    types: dict[str, str] = {}
    for article in gold:
        for org in article.orgs:
            aliases.setdefault(org.name, set()).update(org.aliases)
            types[org.name] = org.org_type
    for name in aliases:
        builder.org(name, types[name], aliases=tuple(sorted(aliases[name])))
    for article in gold:
        article_id = builder.article(f"{source_folder[article.article]}/{article.article}")
        for org in article.orgs:
            builder.mention(article_id, builder.org_ids_by_name[org.name], org.name)
        for fact in article.facts:
            member_ids = [builder.org_ids_by_name.get(name) or builder.org(name, fact.org_type)
                          for name in fact.orgs]
            org_id = member_ids[0] if len(member_ids) == 1 else builder.org(
                " and ".join(fact.orgs), "group", members=tuple(member_ids))
            builder.fact(fact.table, article_id, org_id, fact.amount_gbp, measure=fact.measure,
                         scope=fact.scope, low=fact.amount_low, high=fact.amount_high, fy_start=fact.fy_start,
                         fy_end=fact.fy_end, horizon=fact.horizon_years, evidence=fact.evidence)
    return builder


def test_devset_gold_files_score_perfectly_against_themselves(shared_dir, tmp_path):
    paths = [shared_dir / "devset" / "seeds.gold.jsonl", shared_dir / "devset" / "devset.gold.jsonl"]
    gold = load_gold(paths)
    assert len(gold) == 41
    assert sum(len(a.facts) for a in gold) == 168  # 21 seed facts + 147 devset facts
    folders = {a.article: ("seeds" if a.article[0].isdigit() else "devset") for a in gold}
    warehouse = perfect_warehouse(gold, folders).write(tmp_path / "warehouse")

    report = evaluate_warehouse(warehouse, paths)
    assert report.overall.f1 == 1.0
    assert (report.overall.fp, report.overall.fn, report.overall.duplicates) == (0, 0, 0)
    assert report.tables["savings"].f1 == report.tables["deficits"].f1 == 1.0
    assert report.overall.measure_accuracy == 1.0
    assert report.overall.period_accuracy == 1.0
    assert report.overall.scope_accuracy == 1.0
    assert report.overall.aggregate_total == 19 and report.overall.aggregate_recall == 1.0
    assert report.org_recall.recall == 1.0
    assert report.missing_articles == [] and report.unscored_facts == 0
    assert "No errors" in render_report(report, details=True)


@pytest.mark.parametrize("name", ["dev", "check"])
def test_real_gold_files_score_perfectly_against_themselves(shared_dir, tmp_path, name):
    paths = [shared_dir / "devset" / "real" / name / "gold.jsonl"]
    gold = load_gold(paths)
    warehouse = perfect_warehouse(gold, {a.article: name for a in gold}).write(tmp_path / "warehouse")

    report = evaluate_warehouse(warehouse, paths)
    assert (report.overall.fp, report.overall.fn, report.overall.duplicates) == (0, 0, 0)
    assert report.overall.aggregate_total > 0 and report.overall.aggregate_recall == 1.0
    assert report.overall.measure_accuracy == report.overall.period_accuracy == 1.0
    assert report.org_recall.recall == 1.0
