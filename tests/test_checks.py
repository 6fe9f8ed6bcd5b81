"""The contract's checks catch each kind of violation and name the failing rows and the rule."""

from __future__ import annotations

import polars as pl

from pipeline.checks import amounts_check, contract_checks, periods_check, schema_check, span_check
from schemas import REGISTRY
from schemas.polars_types import empty_frame, polars_schema

ARTICLE_ID = "0123456789abcdef"
BODY = "NHS Hull faces a deficit of £7.6m this year."


def _articles() -> pl.DataFrame:
    return pl.DataFrame([{
        "article_id": ARTICLE_ID, "source_path": "a.txt", "source_format": "txt", "url": None, "title": "Hull",
        "published_on": None, "body_text": BODY, "content_sha256": "a" * 64, "n_removed_chars": 0,
        "run_id": "run_" + "1" * 16, "batch": "_root",
    }], schema=polars_schema(REGISTRY["articles"]))


def _deficit(**overrides) -> pl.DataFrame:
    row = {
        "deficit_id": "def_" + "2" * 16, "article_id": ARTICLE_ID, "org_id": "org_" + "3" * 16, "scope": "org",
        "measure": "forecast", "amount_gbp": 7_600_000.0, "amount_low_gbp": None, "amount_high_gbp": None,
        "qualifier": None, "fy_start": None, "fy_end": None, "horizon_years": None,
        "evidence": BODY, "char_start": 0, "char_end": len(BODY), "amount_text": "£7.6m", "period_text": None,
        "rule_id": "deficit.deficit", "extractor_version": "0.2.0", "run_id": "run_" + "1" * 16, "batch": "_root",
    } | overrides
    return pl.DataFrame([row], schema=polars_schema(REGISTRY["deficits"]))


def test_a_valid_row_passes_every_check():
    for check in (schema_check("deficits", _deficit()), amounts_check("deficits", _deficit()),
                  periods_check("deficits", _deficit()), span_check("deficits", _deficit(), _articles(), "evidence")):
        assert check.passed, check.summary()


def test_schema_check_names_the_column_and_rule():
    result = schema_check("deficits", _deficit(measure="guess"))
    assert not result.passed
    row = result.failures.row(0, named=True)
    assert row["column"] == "measure" and row["failure_case"] == "guess" and "isin" in row["check"]
    assert row["row_key"] == "def_" + "2" * 16


def test_span_check_reports_the_fact_whose_evidence_is_not_the_slice():
    result = span_check("deficits", _deficit(char_start=1), _articles(), "evidence")
    assert result.failures["deficit_id"].to_list() == ["def_" + "2" * 16]


def test_amount_and_period_rules():
    assert not amounts_check("deficits", _deficit(amount_gbp=None)).passed
    assert not amounts_check("deficits", _deficit(amount_gbp=None, amount_low_gbp=5.0, amount_high_gbp=4.0)).passed
    assert not amounts_check("deficits", _deficit(amount_gbp=-1.0)).passed
    assert not periods_check("deficits", _deficit(fy_start="2014/16")).passed
    assert not periods_check("deficits", _deficit(fy_start="2015/16", fy_end="2014/15")).passed
    assert periods_check("deficits", _deficit(fy_start="1999/00", fy_end="1999/00")).passed


def test_references_to_missing_articles_and_organisations_fail():
    tables = {name: empty_frame(REGISTRY[name]) for name in
              ("articles", "rejected_inputs", "organisations", "org_mentions", "savings", "deficits",
               "fact_evidence", "runs")}
    tables["articles"] = _articles()
    tables["deficits"] = _deficit()
    failed = {r.name for r in contract_checks(tables) if not r.passed}
    # The deficit names an organisation that is missing, and it has no statement in fact_evidence.
    assert failed == {"deficits_org_id_exists_in_organisations", "fact_evidence_one_primary_per_fact"}
