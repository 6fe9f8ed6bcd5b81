"""Printing a scored report: the plain-text summary for the terminal, and the per-article details.

What belongs here: text layout and the formatting of amounts, periods and
ratios (`format_gbp` is public: the release changelog writes sums the same
way). What does not: the scores themselves (`report`, `scoring`).
"""

from __future__ import annotations

from pipeline.evaluate.report import EvaluationReport, FactView, Mismatch


_COLUMNS = ("TP", "FP", "FN", "dup", "precision", "recall", "F1", "measure", "period", "scope")


def render_report(report: EvaluationReport, *, details: bool = False) -> str:
    """A plain-text summary table; with details, per-article errors for debugging the extractor."""
    n_found = report.n_gold_articles - len(report.missing_articles)
    lines = [f"Evaluation against {report.n_gold_articles} gold articles ({n_found} in the warehouse)", ""]
    lines += _score_table(report)
    lines.append("")
    recall = report.org_recall
    lines.append(f"organisation recall: {fmt_ratio(recall.recall)} "
                 f"({recall.found}/{recall.total} listed bodies found)")
    overall = report.overall
    lines.append(f"aggregate recall: {fmt_ratio(overall.aggregate_recall)} ({overall.aggregate_found}/"
                 f"{overall.aggregate_total} gold facts for a collective matched; "
                 + ", ".join(f"{s.table} {fmt_ratio(s.aggregate_recall)}" for s in report.tables.values()) + ")")
    lines.append(f"not scored: {report.unscored_facts} predicted facts in {report.unscored_articles} "
                 f"warehouse articles that no gold file covers")
    if report.missing_articles:
        lines.append(f"gold articles missing from the warehouse (their facts count as FN): "
                     f"{', '.join(report.missing_articles)}")
    for article, ids in report.ambiguous_articles.items():
        lines.append(f"warning: {article} matches {len(ids)} warehouse articles ({', '.join(ids)}); "
                     f"their predictions are pooled")
    if details:
        lines += _details(report)
    return "\n".join(lines) + "\n"


def _score_table(report: EvaluationReport) -> list[str]:
    header = f"{'table':<10}" + "".join(f"{c:>10}" for c in _COLUMNS)
    rows = [header, "-" * len(header)]
    for scores in (*report.tables.values(), report.overall):
        counts = (scores.tp, scores.fp, scores.fn, scores.duplicates)
        ratios = (scores.precision, scores.recall, scores.f1,
                  scores.measure_accuracy, scores.period_accuracy, scores.scope_accuracy)
        rows.append(f"{scores.table:<10}" + "".join(f"{c:>10}" for c in counts)
                    + "".join(f"{fmt_ratio(r):>10}" for r in ratios))
    return rows


def _details(report: EvaluationReport) -> list[str]:
    lines: list[str] = []
    for result in report.articles:
        if result.is_clean:
            continue
        where = "NOT IN WAREHOUSE" if not result.in_warehouse else ", ".join(result.article_ids)
        lines += ["", f"== {result.article} ({where})"]
        if result.false_negatives:
            lines.append(f"  missed (FN): {len(result.false_negatives)}")
            lines += [line for fact in result.false_negatives for line in _fact_lines(fact, "-")]
        if result.false_positives:
            lines.append(f"  spurious (FP): {len(result.false_positives)}")
            lines += [line for fact in result.false_positives for line in _fact_lines(fact, "+")]
        if result.mismatches:
            lines.append(f"  matched, but wrong: {len(result.mismatches)}")
            for mismatch in result.mismatches:
                lines += _mismatch_lines(mismatch)
        if result.orgs_not_found:
            lines.append(f"  bodies not found: {'; '.join(result.orgs_not_found)}")
    if not lines:
        lines = ["", "No errors: every gold fact matched, with the right measure, period and scope."]
    return lines


def _fact_lines(fact: FactView, marker: str) -> list[str]:
    note = "  (duplicate of a matched gold fact)" if fact.duplicate else ""
    head = (f"    {marker} {fact.table:<8} {_fmt_amount(fact):>16}  {fact.measure or '?':<9} "
            f"{_fmt_period(fact):<20} {fact.org}{note}")
    return [head, f"        \u201c{fact.evidence or ''}\u201d"]


def _mismatch_lines(mismatch: Mismatch) -> list[str]:
    gold, predicted = mismatch.gold, mismatch.predicted
    parts = []
    if "measure" in mismatch.fields:
        parts.append(f"measure {gold.measure} -> {predicted.measure}")
    if "period" in mismatch.fields:
        parts.append(f"period {_fmt_period(gold)} -> {_fmt_period(predicted)}")
    if "scope" in mismatch.fields:
        parts.append(f"scope {gold.scope} -> {predicted.scope}")
    return [f"    ~ {gold.table:<8} {_fmt_amount(gold):>16}  {gold.org}: {'; '.join(parts)}  (gold -> predicted)",
            f"        \u201c{gold.evidence or ''}\u201d"]


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fmt_amount(fact: FactView) -> str:
    if fact.amount_gbp is not None:
        return format_gbp(fact.amount_gbp)
    if fact.amount_low_gbp is not None and fact.amount_high_gbp is not None:
        return f"{format_gbp(fact.amount_low_gbp)}-{format_gbp(fact.amount_high_gbp)}"
    return "£?"


def format_gbp(amount: float) -> str:
    """£35m, £7.6m, £6bn, £400,000: the way the articles write sums."""
    for unit, size in (("bn", 1e9), ("m", 1e6)):
        if abs(amount) >= size:
            return f"£{amount / size:.3f}".rstrip("0").rstrip(".") + unit
    return f"£{amount:,.0f}"


def _fmt_period(fact: FactView) -> str:
    if fact.fy_start and fact.fy_end:
        years = fact.fy_start if fact.fy_start == fact.fy_end else f"{fact.fy_start} to {fact.fy_end}"
    elif fact.fy_end:
        years = f"by {fact.fy_end}"
    elif fact.fy_start:
        years = f"from {fact.fy_start}"
    else:
        years = ""
    horizon = f"over {fact.horizon_years} yrs" if fact.horizon_years is not None else ""
    return ", ".join(p for p in (years, horizon) if p) or "no period"
