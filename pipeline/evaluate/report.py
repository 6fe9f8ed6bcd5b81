"""The scorer's results: counts and ratios per table, organisation recall, and each article's errors.

What belongs here: the report dataclasses and their JSON-serialisable forms
(`to_dict`, for releases and the benchmark; `summary`, the headline figures of
a set). What does not: computing them (`scoring`) or printing them (`render`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The headline figures of a scored set, in the order tables show them.
SUMMARY_METRICS = ("precision", "recall", "f1", "measure_accuracy", "period_accuracy", "aggregate_recall",
                   "org_recall")


@dataclass
class TableScores:
    """Counts for one fact table (or both, for `overall`); ratios are None when undefined (0/0)."""

    table: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0  # false positives that match a gold fact another prediction already took
    measure_correct: int = 0
    period_correct: int = 0
    scope_correct: int = 0
    aggregate_total: int = 0  # gold facts of scope "aggregate"
    aggregate_found: int = 0  # of which matched

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def measure_accuracy(self) -> float | None:
        return _ratio(self.measure_correct, self.tp)

    @property
    def period_accuracy(self) -> float | None:
        return _ratio(self.period_correct, self.tp)

    @property
    def scope_accuracy(self) -> float | None:
        return _ratio(self.scope_correct, self.tp)

    @property
    def aggregate_recall(self) -> float | None:
        """The share of gold facts for a collective ("95 CCGs", the NHS) that a prediction matched."""
        return _ratio(self.aggregate_found, self.aggregate_total)

    def add(self, other: TableScores) -> None:
        for name in ("tp", "fp", "fn", "duplicates", "measure_correct", "period_correct", "scope_correct",
                     "aggregate_total", "aggregate_found"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "measure_accuracy": self.measure_accuracy, "period_accuracy": self.period_accuracy,
            "scope_accuracy": self.scope_accuracy, "aggregate_recall": self.aggregate_recall,
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class OrgRecall:
    found: int = 0
    total: int = 0

    @property
    def recall(self) -> float | None:
        return _ratio(self.found, self.total)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "total": self.total, "recall": self.recall}


@dataclass(frozen=True)
class FactView:
    """One gold or predicted fact, as the details view shows it."""

    table: str
    org: str
    measure: str | None
    scope: str | None
    amount_gbp: float | None
    amount_low_gbp: float | None
    amount_high_gbp: float | None
    fy_start: str | None
    fy_end: str | None
    horizon_years: int | None
    evidence: str | None
    fact_id: str | None = None  # predictions only
    duplicate: bool = False  # a false positive that matches an already-matched gold fact


@dataclass(frozen=True)
class Mismatch:
    """A matched pair whose measure, period or scope differ."""

    gold: FactView
    predicted: FactView
    fields: tuple[str, ...]


@dataclass
class ArticleResult:
    article: str
    article_ids: list[str]
    false_negatives: list[FactView] = field(default_factory=list)
    false_positives: list[FactView] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    orgs_not_found: list[str] = field(default_factory=list)

    @property
    def in_warehouse(self) -> bool:
        return bool(self.article_ids)

    @property
    def is_clean(self) -> bool:
        return not (self.false_negatives or self.false_positives or self.mismatches or self.orgs_not_found)


@dataclass
class EvaluationReport:
    tables: dict[str, TableScores]
    overall: TableScores
    org_recall: OrgRecall
    n_gold_articles: int
    missing_articles: list[str]  # gold articles not in the warehouse; their facts count as FN
    unscored_facts: int  # predicted facts in warehouse articles that no gold file covers
    unscored_articles: int
    articles: list[ArticleResult]
    # Gold articles that more than one warehouse article claims (same basename, different content):
    # their predictions are pooled, so a repeated fact counts as a duplicate.
    ambiguous_articles: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, for releases and the benchmark."""
        return {
            "tables": {name: scores.to_dict() for name, scores in self.tables.items()},
            "overall": self.overall.to_dict(),
            "org_recall": self.org_recall.to_dict(),
            "n_gold_articles": self.n_gold_articles,
            "missing_articles": list(self.missing_articles),
            "unscored_facts": self.unscored_facts,
            "unscored_articles": self.unscored_articles,
            "ambiguous_articles": {k: list(v) for k, v in self.ambiguous_articles.items()},
            "articles": [asdict(result) for result in self.articles],
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures (SUMMARY_METRICS, overall) and the counts behind them, JSON-serialisable."""
        overall = self.overall
        return {
            "articles": self.n_gold_articles, "gold_facts": overall.tp + overall.fn,
            "predicted_facts": overall.tp + overall.fp, "matched": overall.tp, "duplicates": overall.duplicates,
            "precision": overall.precision, "recall": overall.recall, "f1": overall.f1,
            "measure_accuracy": overall.measure_accuracy, "period_accuracy": overall.period_accuracy,
            "aggregate_recall": overall.aggregate_recall, "org_recall": self.org_recall.recall,
        }


