"""Every rule in the catalogue fires on its own example, and every rule the extractor emits is documented."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.data import read_rows

from pipeline.extract.bodies import find_candidates
from pipeline.extract.extractor import extract_article
from pipeline.extract.gazetteer import Gazetteer
from pipeline.extract.orgs import find_org_mentions
from pipeline.ingest.inventory import list_raw_files
from pipeline.ingest.readers import read_batch
from pipeline.publish.figures import reconcile
from tests.support.claims import figure_claims
from pipeline.register.reference import ReferenceBody, ReferenceName
from pipeline.rules import catalogue, documented

RULES = catalogue()
ROOT = Path(__file__).resolve().parent.parent


def figure_rule_ids(rule) -> set[str]:
    """The rules that choose the figures of the rule's measures: of one claim (the single-claim rule's measures),
    of two claims otherwise."""
    claims = [figure_claims(measure, [9.2e6] if rule.kind == "only" else [6e6, 9.2e6])
              for measure in _rule_measures(rule.rule_id)]
    return set(reconcile(pl.concat(claims))["rule_id"])


def _rule_measures(rule_id: str) -> list[str]:
    return next(row["measures"].split() for row in read_rows("figure_rules.csv") if row["rule_id"] == rule_id)


def _facts(example: str) -> list[dict]:
    return extract_article("0" * 16, example).facts


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.rule_id)
def test_rule_fires_on_its_example(rule):
    text = rule.example
    if rule.layer == "fact" and rule.kind in ("saving", "deficit", "anaphor"):
        assert rule.rule_id in {f["rule_id"] for f in _facts(text)}
    elif rule.layer == "fact" and rule.kind == "negative":
        # The example names a body and a figure, and the figure is not a fact.
        assert find_org_mentions(text), "a negative example must name a body to be a real test"
        assert _facts(text) == []
    elif rule.layer == "measure":
        assert rule.kind in {f["measure"] for f in _facts(text)}
    elif rule.layer in ("reference", "collective"):
        assert rule.rule_id in {c.rule_id for c in find_candidates(text, find_org_mentions(text))}
    elif rule.layer == "org":
        assert any(documented(m.rule_id, {rule.rule_id}) for m in find_org_mentions(text))
    elif rule.layer == "gazetteer":
        # Only a build with reference data has a gazetteer: one made up for the body the example names.
        body = ReferenceBody("RZ1", "trust", [ReferenceName("Barchester Health NHS Trust", "test")], None, None, False)
        extraction = extract_article("0" * 16, text, gazetteer=Gazetteer([body]))
        assert rule.rule_id in {m["rule_id"] for m in extraction.mentions}
    elif rule.layer == "figure":
        assert rule.rule_id in figure_rule_ids(rule), "the rule chooses no figure of its measures"
    elif rule.rule_id == "list.":
        assert any(f["rule_id"].startswith("list.") for f in _facts(text))
    elif rule.rule_id.startswith("merge."):
        extraction = extract_article("0" * 16, text)
        assert len(extraction.facts) == 1 and len(extraction.statements) == 2
    else:
        assert rule.rule_id in {f["rule_id"] for f in _facts(text)}


def test_rule_ids_are_unique_and_described():
    ids = [r.rule_id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(r.description and r.example for r in RULES)


def _texts(folder: Path) -> list[str]:
    articles, _ = read_batch(list_raw_files(folder))
    return [a.body_text for a in articles]


def _emitted(texts: list[str]) -> set[str]:
    emitted = set()
    for text in texts:
        extraction = extract_article("0" * 16, text)
        emitted |= {m["rule_id"] for m in extraction.mentions} | {f["rule_id"] for f in extraction.facts}
    return emitted


def test_every_rule_emitted_on_the_sample_is_documented():
    known = {r.rule_id for r in RULES}
    assert {r for r in _emitted(_texts(ROOT / "raw")) if not documented(r, known)} == set()


def test_every_rule_emitted_on_the_devset_is_documented(shared_dir):
    known = {r.rule_id for r in RULES}
    texts = _texts(shared_dir / "seeds") + _texts(shared_dir / "devset" / "articles")
    assert {r for r in _emitted(texts) if not documented(r, known)} == set()
