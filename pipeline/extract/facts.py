"""Decide which money figures are savings or deficits, of whom, of what measure, for when.

One figure at a time: the nearest fact cue (a saving word, a deficit word, or a
negative such as a budget or an investment) says whether it is a fact at all;
the nearest measure cue in its clause says which measure; the body is the one
the clause is about; the period is the one the clause (or the plan it belongs
to) names. Tables and bullet lists borrow cues and periods from their headers.

What belongs here: `classify`, which takes those steps in turn for one figure, and the gates it applies
itself (a plausible sum, a figure like the fact just before it). The steps live beside it:
`fact_context` (the article's spans, the drafts), `fact_clauses` (clauses, asides, distances), `fact_kind`
(fact and measure cues), `fact_lists` (labelled figures, bullet items), `fact_owner` (whose figure),
`fact_scale` (owners corrected by scale), `fact_plans` (plan components), `fact_periods` (for when) and
`fact_table_headers` (pipe-table headers).
"""

from __future__ import annotations

from pipeline.extract.amounts import Money
# The module's public API: the extractor, table_facts and article_year import these two from here.
from pipeline.extract.fact_context import ArticleContext, FactDraft
from pipeline.extract.fact_kind import _DEFICIT_WORDS, _SAVINGS_NOUNS, _fact_cue, _measure, _near_savings_words
from pipeline.extract.fact_lists import (_first_period, _intro_cue, _intro_measure, _labelled_by, _list_cue,
                                         _list_intro, _period_of_same_kind)
from pipeline.extract.fact_owner import _body_for
from pipeline.extract.fact_periods import _carry_period, _period_fields, _period_for
from pipeline.extract.fact_plans import _component_parent, _inherit_plan_period
from pipeline.extract.fact_scale import _OWN, _body_of_scale, _collective_in, _out_of_scale, _sector_figure, _sector_of
from pipeline.extract.fact_table_headers import _table_header
from pipeline.extract.lexicon import CueHit

__all__ = ["ArticleContext", "FactDraft", "classify"]


def classify(ctx: ArticleContext, money: Money, sentence_no: int, drafts: list[FactDraft]) -> FactDraft | None:
    sentence = ctx.sentences[sentence_no]
    if money.currency != "GBP" or money.per_unit or not _plausible(money):
        return None
    header = _table_header(ctx, sentence_no) if sentence.kind == "row" else None
    cue, measure_hint = _fact_cue(ctx.text, money, (sentence.start, sentence.end), header)
    labelled = _labelled_by(ctx, money, sentence) if header is None else None
    if labelled is not None and (cue is None or cue.rule.kind == "negative"):
        cue = _list_cue(ctx, sentence, labelled) or cue
    intro = _list_intro(ctx, sentence_no) if cue is None and sentence.kind == "item" else None
    if intro is not None:
        cue = _intro_cue(ctx.text, intro)
    component_parent = _component_parent(ctx, money, sentence, drafts)
    if cue is None and component_parent is None:
        return None
    if cue is not None and cue.rule.kind == "negative":
        return None
    if cue is not None and cue.rule.kind == "anaphor":
        return _like_the_fact_before(ctx, money, sentence_no, drafts, cue)
    if not money.explicit_currency and cue is None:
        return None
    if cue is None:
        table, rule_id = "savings", "saving.component"
    else:
        table = "savings" if cue.rule.kind == "saving" else "deficits"
        rule_id = cue.rule.rule_id
        if rule_id == "deficit.shortfall" and _near_savings_words(ctx.text, cue):
            table, rule_id, measure_hint = "savings", "saving.shortfall", "shortfall"
        if rule_id == "saving.behind" and _DEFICIT_WORDS.search(ctx.text, sentence.start, sentence.end) \
                and not _SAVINGS_NOUNS.search(ctx.text, sentence.start, sentence.end):
            return None  # "it is £2.8m in deficit - more than £6m behind target": a variance against plan
    body = labelled.body if labelled is not None else _body_for(ctx, money, sentence_no, drafts, header)
    if body is None and _sector_figure(money, "savings"):
        # "the drive to achieve £20bn in efficiency savings": billions with no body are the sector's the passage
        # speaks of ("The analysis suggests the savings equate to at least £2.4bn" after "acute trusts"), else
        # the NHS's.
        body = _sector_of(ctx, money, sentence_no)
    if body is None:
        return None
    if body.org_type == "national" and body.scope == "org" and not _OWN.search(ctx.text, sentence.start, sentence.end):
        if _sector_figure(money, table):
            body = _sector_of(ctx, money, sentence_no) or body
        else:
            # "It identifies more than £700m that could be squeezed from PCTs": the collective a national body
            # reports on or acts on owns the figure.
            body = _collective_in(ctx, money, sentence) or body
    if _out_of_scale(body, money, table):
        body = _body_of_scale(ctx, money, sentence, table)
        if body is None:
            return None
    if intro is not None:
        rule_id = "list." + rule_id
        measure, defaulted = _intro_measure(ctx.text, intro, cue, table)
    else:
        measure, defaulted = _measure(ctx.text, money, sentence, table, cue, measure_hint, header)
    period = _period_for(ctx, money, sentence_no, header)
    if period is None and intro is not None:
        period = _first_period(ctx, intro)
    fy_start, fy_end, horizon, period_text = _period_fields(period, table)
    if period is None and intro is not None:
        fy_start, fy_end, horizon, period_text = _period_of_same_kind(drafts, table, measure, sentence_no)
    parent = component_parent if component_parent is not None and drafts[component_parent].body.key == body.key else None
    if parent is not None:
        rule_id = "saving.component"
    draft = FactDraft(table, measure, money, body, fy_start, fy_end, horizon, period_text,
                      sentence.start, sentence.end, rule_id, sentence_no,
                      is_component=parent is not None, parent=parent, measure_defaulted=defaulted)
    if period is None and table == "savings" and measure == "target":
        draft = _inherit_plan_period(ctx, draft, drafts, sentence)
    if draft.fy_start is None and draft.fy_end is None and draft.horizon_years is None:
        draft = _carry_period(ctx, draft, drafts, money, sentence)
    return draft


def _like_the_fact_before(ctx: ArticleContext, money: Money, sentence_no: int, drafts: list[FactDraft],
                          cue: CueHit) -> FactDraft | None:
    """'..., with the figure across north-east London £114m': same table, measure and period as the
    fact just stated, for the body the clause names."""
    before = [d for d in drafts if sentence_no - d.sentence_no <= 1 and d.money.start < money.start]
    if not before:
        return None
    model = before[-1]
    body = _body_for(ctx, money, sentence_no, drafts, None)
    if body is None:
        return None
    sentence = ctx.sentences[sentence_no]
    period = _period_for(ctx, money, sentence_no, None)
    fy_start, fy_end, horizon, period_text = _period_fields(period, model.table) if period else \
        (model.fy_start, model.fy_end, model.horizon_years, model.period_text)
    # Its own clause may say more of its measure ("of which £5.1m has already been identified").
    measure, defaulted = _measure(ctx.text, money, sentence, model.table, None, None, None)
    return FactDraft(model.table, model.measure if defaulted else measure, money, body, fy_start, fy_end, horizon,
                     period_text, sentence.start, sentence.end, cue.rule.rule_id, sentence_no)


# No NHS body saves, loses or owes more than a trillion pounds (the whole NHS spends ~£200bn a year): such a
# figure is a misprint or a joke. Below a thousand pounds a sum is a rate, a ratio or a lost scale word
# ("£1 in every £4"), never a body's saving or deficit.
PLAUSIBLE_GBP = (1_000.0, 1e12)


def _plausible(money: Money) -> bool:
    values = [v for v in (money.amount_gbp, money.low_gbp, money.high_gbp) if v is not None]
    return bool(values) and all(PLAUSIBLE_GBP[0] <= v < PLAUSIBLE_GBP[1] for v in values)
