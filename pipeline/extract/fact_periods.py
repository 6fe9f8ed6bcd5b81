"""For when: the financial year or horizon of a figure.

What belongs here: choosing the period in a figure's clause or sentence (never across a contrast), turning a
period into a fact's period fields, and carrying a period over from the text when the figure's own sentence
names none ("over the same period", the same body's year in the sentence before). Finding period phrases in
text is `periods`; the periods of list items and of plan components are `fact_lists` and `fact_plans`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.extract.amounts import Money
from pipeline.extract.fact_clauses import _CONTRASTIVE, _clause, _distance
from pipeline.extract.fact_context import ArticleContext, FactDraft
from pipeline.extract.fact_table_headers import _header_period
from pipeline.extract.periods import Period
from pipeline.extract.sentences import Sentence


# "over the same period", "for the year": the period last named in the article.
_SAME_PERIOD = re.compile(r"\b(?:over|in|during|for) (?:the same (?:period|year)|that (?:period|year)|the year)\b", re.I)
_YEARISH = re.compile(r"\b(?:19|20)\d\d\b|\byear\b", re.I)


def _carry_period(ctx: ArticleContext, draft: FactDraft, drafts: list[FactDraft], money: Money,
                  sentence: Sentence) -> FactDraft:
    """A figure whose own sentence names no year takes one the text ties it to: a phrase pointing back
    ("over the same period"), or the year of the same body's figures in the sentence just before
    ("ended 2015-16 with a deficit of £38.4m ... The trust delivered £9.9m of its £14.2m programme")."""
    lo, hi = _clause(ctx.text, sentence, money)
    if _SAME_PERIOD.search(ctx.text, lo, hi):
        earlier = [p for p in ctx.periods_before(money.start)
                   if p.end <= money.start and p.fy_end and p.kind not in ("calendar", "this_year")]
        if earlier:
            fy_start, fy_end, horizon, text = _period_fields(earlier[-1], draft.table)
            return replace(draft, fy_start=fy_start, fy_end=fy_end, horizon_years=horizon, period_text=text)
        return draft
    if _YEARISH.search(ctx.text, sentence.start, sentence.end):
        return draft
    previous = []
    for earlier_draft in reversed(drafts):  # drafts come in text order: stop once past the sentence before
        if earlier_draft.sentence_no < draft.sentence_no - 1:
            break
        if earlier_draft.sentence_no == draft.sentence_no - 1 and earlier_draft.body.key == draft.body.key:
            previous.append(earlier_draft)
    years = {(d.fy_start, d.fy_end) for d in previous if d.fy_end}
    if len(years) == 1 and len(previous) == sum(1 for d in previous if d.fy_end):
        fy_start, fy_end = years.pop()
        if draft.table == "savings" and fy_start != fy_end:
            return draft
        return replace(draft, fy_start=fy_start, fy_end=fy_end, period_text=previous[-1].period_text)
    return draft


def _period_for(ctx: ArticleContext, money: Money, sentence_no: int, header: str | None) -> Period | None:
    sentence = ctx.sentences[sentence_no]
    if header is not None:
        return _header_period(ctx, sentence_no)
    periods = ctx.periods_in(sentence.start, sentence.end)
    if not periods:
        return None
    lo, hi = _clause(ctx.text, sentence, money)
    in_clause = [p for p in periods if lo <= p.start and p.end <= hi]
    if in_clause:
        return min(in_clause, key=lambda p: _distance(p.start, p.end, money))
    reachable = [p for p in periods if not _contrast_between(ctx.text, p, money)]
    if reachable:
        return min(reachable, key=lambda p: _distance(p.start, p.end, money))
    return None


def _contrast_between(text: str, period: Period, money: Money) -> bool:
    lo, hi = (period.end, money.start) if period.end <= money.start else (money.end, period.start)
    between = text[lo:hi]
    return any(_CONTRASTIVE.match(between[m.start():]) for m in re.finditer(r"[,;]|\b(?:but|despite|although|while|whereas|unless)\b", between))


def _period_fields(period: Period | None, table: str) -> tuple[str | None, str | None, int | None, str | None]:
    if period is None or period.kind in ("this_year", "calendar"):
        return None, None, None, None if period is None else period.text
    if period.kind == "horizon":
        return None, None, period.horizon_years, period.text
    if period.kind == "year_end" and table == "savings":
        return None, period.fy_end, None, period.text
    return period.fy_start, period.fy_end, period.horizon_years, period.text
