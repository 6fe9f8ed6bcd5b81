"""Work for speed changes no output: the extractor finds exactly what it found when the snapshot was taken, in
every article of the bench set and (where `../shared` is beside the project) of the real dev and check sets,
the seeds and the fictional devset.

A deliberate change of a rule changes the snapshot too: rewrite it with `python -m tests.support.extraction_snapshot`
and say in the commit which articles changed and why.
"""

from __future__ import annotations

import json

import pytest

from tests.support import extraction_snapshot as snap


def _expected() -> dict[str, dict[str, str]]:
    return json.loads(snap.SNAPSHOT.read_text(encoding="utf-8"))


def _differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    lines = [f"changed: {name}" for name in sorted(expected.keys() & found.keys()) if expected[name] != found[name]]
    lines += [f"no longer read: {name}" for name in sorted(expected.keys() - found.keys())]
    lines += [f"new: {name}" for name in sorted(found.keys() - expected.keys())]
    return lines


def test_the_bench_articles_give_what_they_gave():
    differences = _differences(_expected()[snap.BENCH_SET], snap.bench_digests())
    assert not differences, "\n".join(differences[:20])


@pytest.mark.parametrize("name", sorted(snap.SHARED_SETS))
def test_every_set_article_gives_what_it_gave(name):
    found = snap.shared_digests(name)
    if found is None:
        pytest.skip(f"../shared/{snap.SHARED_SETS[name]} is not beside the project")
    differences = _differences(_expected()[name], found)
    assert not differences, "\n".join(differences[:20])


def test_the_snapshot_notices_a_change(monkeypatch):
    # The comparison must be able to fail: one finding altered in one article shows as that article.
    from pipeline.extract import extractor

    original = extractor.extract_article

    def altered(article_id, text, published_on=None, **kwargs):
        extraction = original(article_id, text, published_on, **kwargs)
        for fact in extraction.facts[:1]:
            fact["amount_gbp"] = (fact.get("amount_gbp") or 0) + 1
        return extraction

    monkeypatch.setattr(extractor, "extract_article", altered)
    differences = _differences(_expected()[snap.BENCH_SET], snap.bench_digests())
    assert differences and all(line.startswith("changed: ") for line in differences)
