"""Nothing lost: a folder of 30+ hostile inputs builds, and every input is accounted for.

Each file ends up in exactly one of `articles` or `rejected_inputs` with the expected reason;
nothing in a script tag, a link outside the raw folder, an external entity or a foreign
currency becomes a pound figure; and no recogniser backtracks: one that takes more than a second on
an input must take at least a third of that on its first half, so its time grows with the input and
not faster (a shared machine makes any run slow now and then; only the growth is a fault).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.warehouse import store
from pipeline.checks import warehouse_checks
from cli.main import main
from pipeline.extract.amounts import find_money
from pipeline.extract.bodies import find_candidates
from pipeline.extract.lexicon import fact_cues, measure_cues
from pipeline.extract.orgs import find_org_mentions
from pipeline.extract.periods import find_periods
from pipeline.extract.sentences import split_sentences
from tests.support.hostile import make_hostile_raw
from tests.support.timing import superlinear


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    expected = make_hostile_raw(root / "raw", root / "outside")
    warehouse = root / "warehouse"
    assert main(["build", "--raw", str(root / "raw"), "--warehouse", str(warehouse)]) == 0
    return expected, warehouse


def test_there_are_at_least_thirty_hostile_inputs(hostile):
    expected, _ = hostile
    assert len(expected) >= 30


def test_every_input_is_accounted_for_exactly_once(hostile):
    expected, warehouse = hostile
    articles = store.read_table(warehouse, "articles")
    rejected = store.read_table(warehouse, "rejected_inputs")
    def file_of(path: str) -> str:
        return path.split("#")[0] if path.endswith(tuple(f"#{i}" for i in range(1, 100))) else path
    seen_articles = articles.group_by(pl.col("source_path").map_elements(file_of, return_dtype=pl.Utf8)).len()
    seen_rejected = rejected.group_by(pl.col("source_path").map_elements(file_of, return_dtype=pl.Utf8)).len()
    counts_a = dict(seen_articles.iter_rows())
    counts_r = dict(seen_rejected.iter_rows())
    assert set(counts_a) | set(counts_r) == set(expected), "an input is missing or unexpected"
    for path, outcome in expected.items():
        assert (counts_a.get(path, 0), counts_r.get(path, 0)) == (outcome.articles, outcome.rejected), path
        if outcome.reason:
            reasons = set(rejected.filter(pl.col("source_path").str.starts_with(path))["reason"])
            assert reasons == {outcome.reason}, path
    # No source path is in both tables.
    assert not set(articles["source_path"]) & set(rejected["source_path"])


def test_the_contract_holds_on_the_hostile_build(hostile):
    _, warehouse = hostile
    assert [r.summary() for r in warehouse_checks(warehouse) if not r.passed] == []


def test_no_pound_figure_comes_from_scripts_links_entities_or_foreign_currency(hostile):
    _, warehouse = hostile
    articles = store.read_table(warehouse, "articles")
    facts = pl.concat([store.read_table(warehouse, t).select("article_id", "amount_text", "amount_gbp",
                                                             "amount_high_gbp") for t in ("savings", "deficits")])
    bodies = "\n".join(articles["body_text"])
    for leaked in ("£99m", "£88m", "£77m", "£66m", "SECRET", "£1bn"):
        assert leaked not in bodies
    for text in facts["amount_text"]:
        assert "€" not in text and "$" not in text and "dollar" not in text and "euro" not in text
    # Absurd sums are not facts: nothing above a trillion pounds.
    assert (facts["amount_gbp"].fill_null(0) < 1e12).all() and (facts["amount_high_gbp"].fill_null(0) < 1e12).all()


def test_amounts_and_names_survive_invisible_characters(hostile):
    _, warehouse = hostile
    articles = store.read_table(warehouse, "articles")
    article_id = articles.filter(pl.col("source_path") == "hostile/nbsp-zero-width.txt")["article_id"][0]
    savings = store.read_table(warehouse, "savings").filter(pl.col("article_id") == article_id)
    assert 7_600_000.0 in set(savings["amount_gbp"])


def test_no_recogniser_backtracks_on_any_input(hostile):
    _, warehouse = hostile
    recognisers = {
        "sentences": split_sentences, "money": find_money, "periods": find_periods,
        "organisations": find_org_mentions,
        "candidates": lambda text: find_candidates(text, find_org_mentions(text)),
        "fact cues": lambda text: fact_cues().find(text + " "),
        "saving measure cues": lambda text: measure_cues("saving").find(text + " "),
        "deficit measure cues": lambda text: measure_cues("deficit").find(text + " "),
    }
    slow = []
    for source_path, text in store.read_table(warehouse, "articles").select("source_path", "body_text").iter_rows():
        for name, recognise in recognisers.items():
            grows = superlinear(recognise, text)
            if grows is not None:
                slow.append((source_path, name, *grows))
    assert slow == []


def test_a_page_of_comments_gives_no_fact(hostile):
    _, warehouse = hostile
    article = store.read_table(warehouse, "articles").filter(pl.col("source_path") == "hostile/only-comments.txt")
    facts = pl.concat([store.read_table(warehouse, t).select("article_id") for t in ("savings", "deficits")])
    assert article.height == 1 and article["article_id"][0] not in set(facts["article_id"])
