"""RE2 answers the extractor's yes/no questions exactly as Python's `re` would (`pipeline.extract.re2_gates`)."""

from __future__ import annotations

import re

import pytest

from pipeline.extract.re2_gates import AnyLiteral, AnyMatch
from tests.support.extraction_snapshot import SHARED, SHARED_SETS

TEXTS = [
    "", "NORTH BRISTOL NHS TRUST said", "Three CCGs – Leeds, Bradford and Wakefield – must save £5m.",
    "the trusts’ deficits", "NHS ENGLAND, the ICB", "a lone surrogate \ud800 in NORTH EAST", "ÉCOLE ÉTÉ A-B",
    "ccgs in lower case", "CCGs", "PCTs and SHAs",
]
PATTERNS = [re.compile(r"[A-Z]{2}[A-Z’'&\-]*[ ,]+[A-Z][A-Z’'&\-]"), re.compile(r"(?:CCG|ICB)s?"),
            re.compile(r"[^a-z ]{3}")]


def _texts() -> list[str]:
    texts = list(TEXTS)
    for folder in SHARED_SETS.values():  # real prose, where `../shared` is beside the project
        if (SHARED / folder).is_dir():
            texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted((SHARED / folder).iterdir())
                      if p.is_file()]
    return texts


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern)
def test_any_match_answers_as_re_does(pattern):
    gate = AnyMatch(pattern)
    for text in _texts():
        assert gate.found_in(text) == (pattern.search(text) is not None), text[:80]


def test_any_literal_answers_as_in_does():
    words = ("CCGs", "PCTs", "trusts", "SHAs", "a.b", "£")
    gate = AnyLiteral(words)
    for text in _texts() + ["a.b", "axb", "£"]:
        assert gate.found_in(text) == any(word in text for word in words), text[:80]
    assert AnyLiteral(["trusts"]).found_in("the trusts") and not AnyLiteral(["trusts"]).found_in("the trust")


@pytest.mark.parametrize("pattern", [r"\bNHS\b", r"\w+ed", r"(?<=x)y", r"(a)\1", r"\s\d"])
def test_patterns_the_engines_read_differently_are_refused(pattern):
    with pytest.raises(ValueError, match="not a pattern RE2 reads the same way"):
        AnyMatch(re.compile(pattern))
