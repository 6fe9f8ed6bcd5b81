"""Plans and their components: "£7.6m from emergency admissions" as part of the savings plan stated before it.

What belongs here: finding the plan total a component figure belongs to, and giving a component, or a
figure in a sentence about "the plan", the plan's period.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.extract.amounts import Money
from pipeline.extract.fact_context import ArticleContext, FactDraft
from pipeline.extract.sentences import Sentence


# A figure introduced as the source of part of a plan: "£7.6m from emergency admissions".
_COMPONENT_TAIL = re.compile(r"\s*(?:(?:is|are|was|will|would|could|should)?\s*(?:expected|due|set|planned)?\s*"
                             r"(?:to\s+)?(?:come|comes|coming)?\s*(?:from|through|by\s+\w+ing)\b)", re.I)
_REFERS_TO_PLAN = re.compile(r"\b(?:the|this|that|its) (?:[\w-]+ )?(?:plan|programme|strategy|scheme|STP)\b|"
                             r"\b(?:of that|of which|of this|a further)\b", re.I)


def _component_parent(ctx: ArticleContext, money: Money, sentence: Sentence, drafts: list[FactDraft]) -> int | None:
    if not _COMPONENT_TAIL.match(ctx.text, money.end, sentence.end):
        return None
    value = money.amount_gbp if money.amount_gbp is not None else money.high_gbp
    for index in range(len(drafts) - 1, -1, -1):
        draft = drafts[index]
        if draft.table != "savings" or draft.is_component:
            continue
        if sentence.start - draft.evidence_end > 600:
            break
        total = draft.money.amount_gbp if draft.money.amount_gbp is not None else draft.money.high_gbp
        if total is not None and value is not None and total > value and draft.money.start < money.start:
            return index
    return None


def _inherit_plan_period(ctx: ArticleContext, draft: FactDraft, drafts: list[FactDraft], sentence: Sentence) -> FactDraft:
    """A component of a plan, or a sentence about 'the plan', takes the plan's period."""
    if draft.parent is not None:
        plan = drafts[draft.parent]
    elif _REFERS_TO_PLAN.search(ctx.text, sentence.start, sentence.end):
        plans = [d for d in drafts if d.table == "savings" and d.body.key == draft.body.key and not d.is_component]
        if not plans:
            return draft
        plan = plans[-1]
    else:
        return draft
    return replace(draft, fy_start=plan.fy_start, fy_end=plan.fy_end, horizon_years=plan.horizon_years,
                   period_text=plan.period_text)
