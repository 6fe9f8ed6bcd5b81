"""The organisation register: one row per real body, joined to ODS codes, with its history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipeline.checks import contract_checks, table_checks
from pipeline.extract.extractor import stable_id
from pipeline.extract.orgs import org_key
from pipeline.register.matching import AMBIGUOUS, MATCHED, NO_CANDIDATE, Entry, Matcher, compatible
from pipeline.register.names import core, tokens
from pipeline.register.reference import load_reference
from pipeline.register.report import match_rates, render_match_rates, unmatched
from pipeline.register.stage import build_register, org_id_for_code, register
from schemas import REGISTRY
from schemas.polars_types import empty_frame

from tests.test_reference import efile_row, write


def words(org_type: str, name: str) -> tuple[str, ...]:
    return tokens(core(org_type, name))


# ---------------------------------------------------------------- the word rules

@pytest.mark.parametrize("query, target", [
    ("NHS South Gloucester", "South Gloucestershire PCT"),      # a shortening
    ("NHS Lincolnshre", "Lincolnshire PCT"),                    # a letter dropped
    ("NHS Manchester", "Manchester Teaching PCT"),              # optional words aside
])
def test_slips_and_shortenings_may_match(query, target):
    assert compatible(words("PCT", query), words("PCT", target))


@pytest.mark.parametrize("query, target", [
    ("NHS North Lincolnshire", "North East Lincolnshire PCT"),  # another body, one word more
    ("NHS East Kent", "West Kent PCT"),                         # compass words differ
    ("NHS Eastern Cheshire", "Western Cheshire PCT"),
    ("NHS Derby", "Derbyshire County PCT"),                     # no cutting a one-word name
    ("NHS Kent", "Kent and Medway PCT"),                        # never across "and"
])
def test_different_bodies_never_pass_the_word_rules(query, target):
    assert not compatible(words("PCT", query), words("PCT", target))


def test_a_real_word_is_never_a_slip():
    # "Hertfordshire" is one letter from "Herefordshire", but it is a place of its own.
    assert compatible(words("PCT", "Hertfordshire"), words("PCT", "Herefordshire"))
    assert not compatible(words("PCT", "Hertfordshire"), words("PCT", "Herefordshire"), lambda w: True)


# ---------------------------------------------------------------- the matcher

@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher([
        Entry("5F5", "PCT", ("Salford PCT",), None, dt.date(2013, 3, 31), True),
        Entry("01G", "CCG", ("NHS Salford CCG",), dt.date(2013, 4, 1), dt.date(2022, 6, 30), True),
        Entry("5A3", "PCT", ("South Gloucestershire PCT",), None, dt.date(2013, 3, 31), True),
        Entry("5EF", "PCT", ("North Lincolnshire PCT",)),
        Entry("TAN", "PCT", ("North East Lincolnshire PCT",)),
        Entry("RTR", "trust", ("South Tees Hospitals NHS Foundation Trust",), dt.date(2002, 4, 1)),
        Entry("RCJ", "trust", ("South Tees Hospitals NHS Trust",), None, None, True),
        Entry("RQ8", "trust", ("Mid Essex Hospital Services NHS Trust",), dt.date(1995, 4, 1),
              dt.date(2020, 3, 31), True),
        Entry("RDG", "trust", ("Mid Essex Hospital Services NHS Trust",), None, None, True),
        Entry("RX1", "trust", ("Twin Town Hospitals NHS Trust",)),
        Entry("RX2", "trust", ("Twin Town Hospitals NHS Trust",)),
    ])


@pytest.mark.parametrize("org_type, name, code, rule", [
    ("CCG", "NHS Salford CCG", "01G", "same name"),
    ("CCG", "Salford clinical commissioning group", "01G", "same name once type words are set aside"),
    ("CCG", "Salford CCG", "01G", "same name once type words are set aside"),
    ("PCT", "NHS Salford", "5F5", "same name once type words are set aside"),
    ("PCT", "NHS South Gloucester", "5A3", "similar name"),
    ("trust", "South Tees Hospitals NHS Trust", "RCJ", "same name"),   # the whole name tells the two apart
])
def test_names_find_their_body(matcher, org_type, name, code, rule):
    m = matcher.match(org_type, [name])
    assert (m.status, m.code) == (MATCHED, code), m
    assert m.rule.startswith(rule)


def test_types_never_cross(matcher):
    assert matcher.match("PCT", ["Salford PCT"]).code == "5F5"
    assert matcher.match("CCG", ["Salford CCG"]).code == "01G"
    assert matcher.match("ICB", ["NHS Salford"]).status == NO_CANDIDATE


def test_near_names_of_other_bodies_stay_unmatched(matcher):
    m = matcher.match("PCT", ["NHS North Lincs"])
    assert m.status == NO_CANDIDATE and "nearest" in m.reason
    assert matcher.match("PCT", ["North East Lincolnshire PCT"]).code == "TAN"
    assert matcher.match("PCT", ["North Lincolnshire PCT"]).code == "5EF"


def test_dates_choose_between_bodies_of_one_name(matcher):
    # Without a date the body with a record of its dates wins over one known only as closed ...
    assert matcher.match("trust", ["Mid Essex Hospital Services NHS Trust"]).code == "RQ8"
    # ... and with one, the body that existed then.
    m = matcher.match("trust", ["Mid Essex Hospital Services NHS Trust"], [dt.date(2015, 6, 1)])
    assert m.code == "RQ8" and "chosen by dates" in m.reason
    assert matcher.match("trust", ["Mid Essex Hospital Services NHS Trust"], [dt.date(2023, 6, 1)]).code == "RDG"


def test_a_tie_nothing_decides_is_ambiguous_not_a_guess(matcher):
    m = matcher.match("trust", ["Twin Town Hospitals NHS Trust"])
    assert m.status == AMBIGUOUS and m.candidates == ("RX1", "RX2") and "RX1" in m.reason


def test_curated_aliases_name_bodies_their_official_name_does_not():
    m = Matcher([Entry("5M6", "PCT", ("Richmond and Twickenham PCT",))]).match("PCT", ["NHS Richmond"])
    assert m.code == "5M6" and "curated alias" in m.reason


# ---------------------------------------------------------------- the register

def _candidates(rows: list[tuple[str, str, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mention candidates from (article_id, org_type, org_name, surface); no facts."""
    mentions = pl.DataFrame([{
        "mention_id": stable_id("men", i), "article_id": article, "org_key": org_key(org_type, name),
        "org_name": name, "org_type": org_type, "surface": surface, "char_start": 0, "char_end": len(surface),
        "rule_id": "org.test", "extractor_version": "0", "run_id": "run_0000000000000000", "batch": "_root",
    } for i, (article, org_type, name, surface) in enumerate(rows)])
    return mentions, empty_frame(REGISTRY["fact_candidates"])


ARTICLES = [
    ("a" * 16, "CCG", "NHS Salford CCG", "NHS Salford CCG"),
    ("a" * 16, "CCG", "NHS Salford CCG", "Salford CCG"),
    ("b" * 16, "CCG", "Salford clinical commissioning group", "Salford clinical commissioning group"),
    ("c" * 16, "PCT", "Salford PCT", "Salford PCT"),
    ("c" * 16, "PCT", "NHS South Gloucester", "NHS South Gloucester"),
    ("d" * 16, "PCT", "NHS South Gloucestershire", "NHS South Gloucestershire"),
    ("d" * 16, "PCT", "NHS North Lincolnshire", "NHS North Lincolnshire"),
    ("d" * 16, "PCT", "NHS North East Lincolnshire", "NHS North East Lincolnshire"),
    ("d" * 16, "PCT", "NHS Nowhere", "NHS Nowhere"),
    ("d" * 16, "national", "Department of Health", "DoH"),
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    write(folder / "eccg.csv", "\n".join([
        efile_row("01G", "NHS GREATER MANCHESTER ICB - 01G", parent="QOP", role="RO319"),
        efile_row("01G", "NHS SALFORD CCG"),
        efile_row("02A", "NHS TRAFFORD CCG"),
        efile_row("02A", "NHS GREATER MANCHESTER ICB - 02A", parent="QOP", role="RO319"),
        efile_row("12A", "NHS SOUTH GLOUCESTERSHIRE CCG", closed="20180331"),
        efile_row("15C", "NHS BRISTOL, NORTH SOMERSET AND SOUTH GLOUCESTERSHIRE CCG", opened="20180401"),
    ]) + "\n")
    write(folder / "pct.csv", "PCO12CD,PCO12CDO,PCO12NM\nE1,5F5,Salford\nE2,5A3,South Gloucestershire\n"
          "E3,5EF,North Lincolnshire\nE4,TAN,North East Lincolnshire\n")
    write(folder / "succ.csv", '"12A","15C","","20180401","1"\n"5F5","ZZZ","","20200101","1"\n')
    return load_reference(folder)


@pytest.fixture(scope="module")
def built(reference):
    mentions, facts = _candidates(ARTICLES)
    return register(mentions, facts, reference)


def _org(built, name: str) -> dict:
    rows = built.organisations.filter(pl.col("aliases").list.contains(name) | (pl.col("name") == name))
    assert rows.height == 1, (name, rows)
    return rows.row(0, named=True)


def test_every_form_of_a_body_across_articles_is_one_row(built):
    salford = _org(built, "NHS Salford CCG")
    assert salford["ods_code"] == "01G" and salford["org_id"] == org_id_for_code("01G")
    assert set(salford["aliases"]) >= {"NHS Salford CCG", "Salford CCG", "Salford clinical commissioning group"}
    assert salford["n_articles"] == 2
    assert (salford["valid_from"], salford["valid_to"]) == (dt.date(2013, 4, 1), dt.date(2022, 6, 30))
    gloucester = _org(built, "NHS South Gloucester")
    assert gloucester["org_id"] == _org(built, "NHS South Gloucestershire")["org_id"]
    assert gloucester["name"] == "South Gloucestershire PCT" and gloucester["ods_code"] == "5A3"


def test_different_bodies_stay_apart(built):
    assert _org(built, "Salford PCT")["org_id"] != _org(built, "NHS Salford CCG")["org_id"]
    assert _org(built, "NHS North Lincolnshire")["ods_code"] == "5EF"
    assert _org(built, "NHS North East Lincolnshire")["ods_code"] == "TAN"


def test_org_keys_map_every_form_to_its_body(built):
    keys = dict(built.org_keys.iter_rows())
    assert keys["CCG:salford"] == org_id_for_code("01G")
    assert keys["PCT:south gloucester"] == keys["PCT:south gloucestershire"] == org_id_for_code("5A3")
    assert keys["national:department of health"] == stable_id("org", "national:department of health")


def test_the_unmatched_are_listed_with_the_reason(built):
    nowhere = _org(built, "NHS Nowhere")
    assert nowhere["ods_code"] is None and nowhere["match_status"] == NO_CANDIDATE
    assert _org(built, "Department of Health")["match_status"] == "not an NHS type"
    listed = unmatched(built.organisations)
    assert listed["name"].to_list() == ["NHS Nowhere"]
    assert built.match_rates["PCT"] == {"bodies": 5, "with_ods_code": 4, "rate": 0.8}
    assert built.match_rates["all"] == {"bodies": 6, "with_ods_code": 5, "rate": 0.8333}
    assert render_match_rates(built.match_rates) == "ODS codes: 83% of 6 NHS bodies (CCG 1/1, PCT 4/5)"


def test_successions_follow_a_pct_to_its_ccg_and_icb(built):
    names = dict(built.organisations.select("org_id", "name").iter_rows())
    links = {(names[p], names[s], d, k) for p, s, d, k, _ in built.org_successions.iter_rows()}
    assert ("Salford PCT", "NHS Salford CCG", dt.date(2013, 4, 1), "pct to ccg (inferred from names)") in links
    assert ("NHS Salford CCG", "NHS Greater Manchester ICB", dt.date(2022, 7, 1), "ccg to icb") in links
    assert ("South Gloucestershire PCT", "NHS South Gloucestershire CCG", dt.date(2013, 4, 1),
            "pct to ccg (inferred from names)") in links
    assert ("NHS South Gloucestershire CCG", "NHS Bristol, North Somerset and South Gloucestershire CCG",
            dt.date(2018, 4, 1), "ods successor") in links
    # Bodies on the path that no article names are in the register, marked as such; unnamed codes are not.
    icb = _org(built, "NHS Greater Manchester ICB")
    assert (icb["n_articles"], icb["match_status"], icb["aliases"]) == (0, "reference only", [])
    assert "NHS Trafford CCG" not in built.organisations["name"].to_list()  # not on any named body's path
    assert built.unnamed_successors == 1  # 5F5 -> ZZZ, a code with no name


def test_the_register_passes_its_contract_checks(built):
    tables = {"organisations": built.organisations, "org_successions": built.org_successions}
    failed = [r.summary() for t in ("organisations", "org_successions") for r in table_checks(t, tables)
              if not r.passed]
    assert failed == []


def test_without_reference_data_the_register_still_names_and_joins_bodies():
    mentions, facts = _candidates(ARTICLES)
    organisations, org_keys = build_register(mentions, facts)
    assert organisations["ods_code"].null_count() == organisations.height
    assert set(organisations["match_status"]) == {"no reference data", "not an NHS type"}
    keys = dict(org_keys.iter_rows())
    # Forms that were one key before stay one key, with the org_id they always had ...
    assert keys["CCG:salford"] == stable_id("org", "CCG:salford")
    # ... and a shortening in one article joins the body another article names in full.
    assert keys["PCT:south gloucester"] == keys["PCT:south gloucestershire"] == \
        stable_id("org", "PCT:south gloucestershire")
    assert keys["PCT:north lincolnshire"] != keys["PCT:north east lincolnshire"]
    assert keys["PCT:salford"] != keys["CCG:salford"]


def test_the_register_is_the_same_on_every_build(reference):
    mentions, facts = _candidates(ARTICLES)
    first, second = register(mentions, facts, reference), register(mentions.reverse(), facts, reference)
    assert first.organisations.equals(second.organisations)
    assert first.org_successions.equals(second.org_successions)


def test_the_fuzzy_threshold_is_the_measured_one(shared_dir):
    """Re-measure on the shared extracts: a change to the word rules that moves the threshold fails here."""
    from pipeline.register.calibrate import calibrate
    from pipeline.register.matching import FUZZY_THRESHOLD

    if not (shared_dir / "reference").is_dir():
        pytest.skip("../shared/reference is not present")
    result = calibrate(shared_dir / "reference", [shared_dir / "devset" / "devset.gold.jsonl",
                                                   shared_dir / "devset" / "seeds.gold.jsonl"])
    assert result.chosen() == FUZZY_THRESHOLD
    at = result.at(FUZZY_THRESHOLD)
    assert at["false_merges"] == 0
    assert at["variants_wrong"] <= 0.002 * at["variants"]
    assert at["gold_pairs_recovered"] == at["gold_pairs"]


# ---------------------------------------------------------------- the devset build with ../shared/reference

NHS_TYPES = ("CCG", "PCT", "SHA", "ICB", "trust")


@pytest.fixture(scope="module")
def devset_build(shared_dir, tmp_path_factory):
    import shutil

    from cli.main import main
    from pipeline.register.stage import REFERENCE_ENV

    reference = shared_dir / "reference"
    if not reference.is_dir():
        pytest.skip("../shared/reference is not present")
    raw = tmp_path_factory.mktemp("devset_register_raw")
    for source in [*(shared_dir / "seeds").glob("*.txt"), *(shared_dir / "devset" / "articles").glob("*.txt")]:
        shutil.copy(source, raw / source.name)
    warehouse = tmp_path_factory.mktemp("devset_register") / "warehouse"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(REFERENCE_ENV, str(reference))
        assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    return warehouse


@pytest.fixture(scope="module")
def devset_tables(devset_build):
    from pipeline.warehouse import store

    return {name: store.read_table(devset_build, name)
            for name in ("articles", "organisations", "org_mentions", "savings", "deficits", "org_successions")}


@pytest.fixture(scope="module")
def gold_orgs(shared_dir, devset_tables) -> list[dict]:
    """Each gold organisation of each article with the warehouse org_ids its name and each alias resolve to.

    A gold name resolves, as the scorer compares names (pipeline.evaluate.normalise_org_name), to the
    bodies of the article's mentions and facts whose name or aliases give the same key; the gold type
    decides between bodies of one place (Salford PCT and NHS Salford CCG both normalise to "salford").
    """
    import json

    from pipeline.evaluate import normalise_org_name

    t = devset_tables
    article_of = dict(zip(t["articles"]["source_path"], t["articles"]["article_id"]))
    in_article = pl.concat([t[n].select("article_id", "org_id") for n in ("org_mentions", "savings", "deficits")])
    orgs = {r["org_id"]: r for r in t["organisations"].iter_rows(named=True)}
    out = []
    for gold in ("seeds.gold.jsonl", "devset.gold.jsonl"):
        for line in (shared_dir / "devset" / gold).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            article_id = article_of[record["article"]]
            ids = set(in_article.filter(pl.col("article_id") == article_id)["org_id"])

            def resolve(name: str, org_type: str) -> set[str]:
                key = normalise_org_name(name)
                found = {i for i in ids
                         if key in {normalise_org_name(n) for n in [orgs[i]["name"], *orgs[i]["aliases"]]}}
                typed = {i for i in found if orgs[i]["org_type"] == org_type}
                return typed or found

            for org in record["orgs"]:
                out.append({"article": record["article"], **org,
                            "ids": {n: resolve(n, org["org_type"]) for n in [org["name"], *org["aliases"]]}})
    return out


def test_devset_most_nhs_bodies_carry_an_ods_code(devset_tables):
    rates = match_rates(devset_tables["organisations"])
    assert rates["all"]["rate"] >= 0.90, (rates, unmatched(devset_tables["organisations"]))


def test_devset_every_gold_alias_shares_its_bodys_org_id(gold_orgs):
    # The gold name resolves to exactly one body, even where the article writes only an alias ("NHS South
    # Gloucester" in one seed, "NHS South Gloucestershire" in another), and every alias to that body. An
    # alias the article never writes as a body of its own resolves to nothing: gold lists "BMA" as an alias
    # of the BMA's GP committee in articles that name the BMA only inside "BMA's GP committee".
    split = [(g["article"], g["name"], g["ids"]) for g in gold_orgs
             if len(g["ids"][g["name"]]) != 1 or len(set().union(*g["ids"].values())) != 1]
    assert split == []


def test_devset_different_gold_bodies_never_share_an_org_id(gold_orgs, devset_tables, shared_dir):
    """Within an article every listed body is another body. Across articles, gold entries are one body
    when the gold links their names (a name listed as another's alias) or the project's reviewed alias
    lists do (the same org key: "BMA's GP committee" is the GPC); bodies that are different by that
    account may share an org_id only when the reference data gives both names to that one ODS code (a
    renamed body: "York Teaching Hospital NHS FT" is RCB, "York and Scarborough ..." since 2021)."""
    from pipeline.evaluate import normalise_org_name

    organisations = {r["org_id"]: r for r in devset_tables["organisations"].iter_rows(named=True)}
    reference = load_reference(shared_dir / "reference")
    by_article: dict[str, list[dict]] = {}
    for g in gold_orgs:
        by_article.setdefault(g["article"], []).append(g)
    for article, bodies in by_article.items():
        ids = [next(iter(set().union(*g["ids"].values()))) for g in bodies]
        assert len(ids) == len(set(ids)), (article, [g["name"] for g in bodies])

    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            node = parent[node]
        return node

    def forms(org_type: str, name: str) -> list[tuple[str, str]]:
        return [("name", f"{org_type}:{normalise_org_name(name)}"), ("key", org_key(org_type, name))]

    for g in gold_orgs:
        nodes = [n for name in [g["name"], *g["aliases"]] for n in forms(g["org_type"], name)]
        for node in nodes[1:]:
            parent[root(node)] = root(nodes[0])
    bodies_by_id: dict[str, dict] = {}
    for g in gold_orgs:
        for org_id in set().union(*g["ids"].values()):
            bodies_by_id.setdefault(org_id, {})[root(forms(g["org_type"], g["name"])[0])] = g["name"]
    for org_id, bodies in bodies_by_id.items():
        if len(bodies) > 1:
            code = organisations[org_id]["ods_code"]
            assert code is not None, (org_id, sorted(bodies.values()))
            known = {normalise_org_name(n.name) for n in reference.bodies[code].names}
            assert {normalise_org_name(n) for n in bodies.values()} <= known, (code, bodies, known)


def test_devset_successions_link_the_pct_to_ccg_and_ccg_to_icb_transitions(devset_tables):
    t = devset_tables
    names = dict(t["organisations"].select("org_id", "name").iter_rows())
    links = {(names[r["predecessor_org_id"]], names[r["successor_org_id"]], r["kind"])
             for r in t["org_successions"].iter_rows(named=True)}
    kinds = {k for _, _, k in links}
    assert {"pct to ccg (inferred from names)", "ccg to icb", "ods successor"} <= kinds
    assert ("Tower Hamlets PCT", "NHS Tower Hamlets CCG", "pct to ccg (inferred from names)") in links
    assert ("NHS Salford CCG", "NHS Greater Manchester Integrated Care Board", "ccg to icb") in links


def test_devset_register_passes_the_contract(devset_build):
    from pipeline.checks import warehouse_checks

    assert [r.summary() for r in warehouse_checks(devset_build) if not r.passed] == []


def test_devset_extraction_scores_do_not_drop(devset_build, shared_dir):
    from pipeline.evaluate import evaluate_warehouse

    gold = [shared_dir / "devset" / "seeds.gold.jsonl", shared_dir / "devset" / "devset.gold.jsonl"]
    report = evaluate_warehouse(devset_build, gold)
    assert report.overall.f1 >= 0.961, report.overall
    assert report.org_recall.found == report.org_recall.total
