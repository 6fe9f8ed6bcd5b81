"""Scoring a warehouse against the hand-annotated gold files.

The package reads gold JSONL files (`gold`) and the predicted facts and
organisations of a built warehouse (`predictions`), compares organisation names
(`names`, whose normaliser is public so that other steps compare names the same
way the scorer does), matches predictions to gold facts (`matching`, `scoring`)
as devset/GUIDELINES.md ("How a prediction is scored") defines, and turns the
result into a report (`report`; `render` prints it). `sets` scores several named
sets of articles side by side (the real dev and check sets, the fictional
devset), each built into a warehouse of its own.

What does not belong here: Dagster (this is an engine package), extraction,
and the CLI (it calls `evaluate_warehouse` and `render_report`, or
`score_sets` and `render_sets_table`, prints the one-line message of an
`EvaluationError` and exits non-zero).
"""

from __future__ import annotations

from pipeline.evaluate.errors import (
    EvaluationError, GoldFileError, GoldFormatError, NoGoldArticlesError, WarehouseError,
)
from pipeline.evaluate.gold import FACT_TABLES, GoldArticle, GoldFact, GoldOrg, load_gold
from pipeline.evaluate.matching import AMOUNT_TOLERANCE, OrgKeys, amounts_match
from pipeline.evaluate.names import collective_kinds, normalise_org_name
from pipeline.evaluate.predictions import (
    WAREHOUSE_DB_NAME, PredictedArticle, PredictedFact, PredictedOrg, Predictions, gold_key_of_source_path,
    load_predictions,
)
from pipeline.evaluate.render import format_gbp, render_report
from pipeline.evaluate.report import (
    SUMMARY_METRICS, ArticleResult, EvaluationReport, FactView, Mismatch, OrgRecall, TableScores,
)
from pipeline.evaluate.scoring import evaluate_warehouse, score
from pipeline.evaluate.sets import (
    STANDARD_SETS, EvaluationSet, SetScore, SetsReport, render_sets_table, score_sets,
)

__all__ = [
    "AMOUNT_TOLERANCE", "FACT_TABLES", "STANDARD_SETS", "SUMMARY_METRICS", "WAREHOUSE_DB_NAME",
    "ArticleResult", "EvaluationError", "EvaluationReport", "EvaluationSet", "FactView", "GoldArticle",
    "GoldFact", "GoldFileError", "GoldFormatError", "GoldOrg", "Mismatch", "NoGoldArticlesError", "OrgKeys",
    "OrgRecall", "PredictedArticle", "PredictedFact", "PredictedOrg", "Predictions", "SetScore", "SetsReport",
    "TableScores", "WarehouseError", "amounts_match", "collective_kinds", "evaluate_warehouse", "format_gbp",
    "gold_key_of_source_path", "load_gold", "load_predictions", "normalise_org_name", "render_report",
    "render_sets_table", "score", "score_sets",
]
