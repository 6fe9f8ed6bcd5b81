"""Scoring predictions against gold, as devset/GUIDELINES.md ("How a prediction is scored") defines.

What belongs here: which names and collective kinds each gold and predicted
fact may be matched through (the article's aliases for a gold body; a group's
own names and its members'; for a gold fact of scope "aggregate", the kinds of
its collective), the counting per table, measure, period, scope and aggregate
recall on the result, and organisation recall. What does not: comparing names
(`names`), the one-to-one matching (`matching`), printing (`render`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

from pipeline.evaluate.errors import NoGoldArticlesError
from pipeline.evaluate.gold import FACT_TABLES, GoldArticle, GoldFact, load_gold
from pipeline.evaluate.matching import OrgKeys, match_block, period_of
from pipeline.evaluate.names import kinds_of, normalised_names
from pipeline.evaluate.predictions import PredictedFact, Predictions, load_predictions
from pipeline.evaluate.report import ArticleResult, EvaluationReport, FactView, Mismatch, OrgRecall, TableScores

AGGREGATE = "aggregate"


def score(gold: list[GoldArticle], predictions: Predictions) -> EvaluationReport:
    """Score predictions against gold as GUIDELINES.md "How a prediction is scored" defines."""
    if not gold:
        raise NoGoldArticlesError("the gold files hold no articles")
    ids_by_gold_key = _article_ids_by_gold_key(predictions)
    if not any(article.article in ids_by_gold_key for article in gold):
        raise NoGoldArticlesError(
            f"none of the {len(gold)} gold articles is in the warehouse "
            f"({len(predictions.articles)} articles); were the gold articles ingested?")
    facts_by_article: dict[str, list[PredictedFact]] = defaultdict(list)
    for fact in sorted(predictions.facts, key=lambda f: (f.table, f.fact_id)):
        facts_by_article[fact.article_id].append(fact)

    tables = {table: TableScores(table) for table in FACT_TABLES}
    org_recall = OrgRecall()
    results = []
    scored_ids: set[str] = set()
    for article in gold:
        article_ids = ids_by_gold_key.get(article.article, [])
        scored_ids.update(article_ids)
        predicted = [fact for article_id in article_ids for fact in facts_by_article.get(article_id, [])]
        result = ArticleResult(article=article.article, article_ids=list(article_ids))
        _score_article_facts(article, predicted, predictions, tables, result)
        _score_article_orgs(article, article_ids, predicted, predictions, org_recall, result)
        results.append(result)

    overall = TableScores("overall")
    for scores in tables.values():
        overall.add(scores)
    unscored_ids = {a.article_id for a in predictions.articles} - scored_ids
    return EvaluationReport(
        tables=tables, overall=overall, org_recall=org_recall, n_gold_articles=len(gold),
        missing_articles=[r.article for r in results if not r.in_warehouse],
        unscored_facts=sum(1 for f in predictions.facts if f.article_id not in scored_ids),
        unscored_articles=len(unscored_ids),
        articles=results,
        ambiguous_articles={a.article: ids_by_gold_key[a.article] for a in gold
                            if len(ids_by_gold_key.get(a.article, [])) > 1},
    )


def _article_ids_by_gold_key(predictions: Predictions) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = defaultdict(list)
    for article in sorted(predictions.articles, key=lambda a: a.source_path):
        ids[article.gold_key].append(article.article_id)
    return dict(ids)


def _score_article_facts(article: GoldArticle, predicted: list[PredictedFact], predictions: Predictions,
                         tables: dict[str, TableScores], result: ArticleResult) -> None:
    for table in FACT_TABLES:
        gold_facts = [f for f in article.facts if f.table == table]
        predicted_facts = [f for f in predicted if f.table == table]
        block = match_block(gold_facts, predicted_facts,
                            gold_keys=[gold_org_keys(article, f) for f in gold_facts],
                            predicted_keys=[predicted_org_keys(predictions, f) for f in predicted_facts])
        scores = tables[table]
        scores.tp += len(block.pairs)
        scores.fn += len(block.unmatched_gold)
        scores.fp += len(block.unmatched_predicted)
        scores.duplicates += sum(is_duplicate for _, is_duplicate in block.unmatched_predicted)
        scores.aggregate_total += sum(f.scope == AGGREGATE for f in gold_facts)
        scores.aggregate_found += sum(g.scope == AGGREGATE for g, _ in block.pairs)
        for gold_fact, predicted_fact in block.pairs:
            differing = _differing_fields(gold_fact, predicted_fact)
            scores.measure_correct += "measure" not in differing
            scores.period_correct += "period" not in differing
            scores.scope_correct += "scope" not in differing
            if differing:
                result.mismatches.append(Mismatch(
                    _gold_view(gold_fact), _predicted_view(predicted_fact, predictions), differing))
        result.false_negatives += [_gold_view(f) for f in block.unmatched_gold]
        result.false_positives += [_predicted_view(f, predictions, duplicate=d)
                                   for f, d in block.unmatched_predicted]


def gold_org_keys(article: GoldArticle, fact: GoldFact) -> OrgKeys:
    """A gold fact matches through each of its bodies and the aliases the article lists for them; a fact for a
    collective (scope "aggregate") also through any collective of the same kind."""
    names = [n for name in fact.orgs for n in article.aliases_of(name)]
    kinds = kinds_of(names) if fact.scope == AGGREGATE else set()
    return OrgKeys(frozenset(normalised_names(names)), frozenset(kinds))


def predicted_org_keys(predictions: Predictions, fact: PredictedFact) -> OrgKeys:
    """A prediction matches through its body's name and aliases, and for a group those of every member too."""
    names = predictions.names_of(fact.org_id)
    return OrgKeys(frozenset(normalised_names(names)), frozenset(kinds_of(names)))


def _differing_fields(gold: GoldFact, predicted: PredictedFact) -> tuple[str, ...]:
    return tuple(name for name, same in (
        ("measure", gold.measure == predicted.measure),
        ("period", period_of(gold) == period_of(predicted)),
        ("scope", gold.scope == predicted.scope),
    ) if not same)


def _score_article_orgs(article: GoldArticle, article_ids: list[str], predicted: list[PredictedFact],
                        predictions: Predictions, org_recall: OrgRecall, result: ArticleResult) -> None:
    """Count the article's listed bodies found among the bodies the warehouse says it mentions."""
    mentioned_ids = {org_id for article_id in article_ids for org_id in predictions.mentions.get(article_id, ())}
    mentioned_ids |= {fact.org_id for fact in predicted}
    # names_of includes group members, so a body named only inside a group still counts.
    mentioned = normalised_names(name for org_id in mentioned_ids for name in predictions.names_of(org_id))
    for org in article.orgs:
        org_recall.total += 1
        if normalised_names((org.name, *org.aliases)) & mentioned:
            org_recall.found += 1
        else:
            result.orgs_not_found.append(org.name)


def _gold_view(fact: GoldFact) -> FactView:
    return FactView(
        table=fact.table, org=" + ".join(fact.orgs), measure=fact.measure, scope=fact.scope,
        amount_gbp=fact.amount_gbp, amount_low_gbp=fact.amount_low, amount_high_gbp=fact.amount_high,
        fy_start=fact.fy_start, fy_end=fact.fy_end, horizon_years=fact.horizon_years, evidence=fact.evidence,
    )


def _predicted_view(fact: PredictedFact, predictions: Predictions, *, duplicate: bool = False) -> FactView:
    return FactView(
        table=fact.table, org=predictions.label_of(fact.org_id), measure=fact.measure, scope=fact.scope,
        amount_gbp=fact.amount_gbp, amount_low_gbp=fact.amount_low_gbp, amount_high_gbp=fact.amount_high_gbp,
        fy_start=fact.fy_start, fy_end=fact.fy_end, horizon_years=fact.horizon_years, evidence=fact.evidence,
        fact_id=fact.fact_id, duplicate=duplicate,
    )


def evaluate_warehouse(warehouse: Path, gold_paths: Sequence[Path]) -> EvaluationReport:
    """Load the gold files and the warehouse, and score one against the other."""
    gold = load_gold(gold_paths)
    return score(gold, load_predictions(warehouse))
