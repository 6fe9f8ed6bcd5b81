"""Owners corrected by the size of a figure: the sector's, the NHS's, or a larger body's.

What belongs here: which figures a national body or regulator cannot own (a deficit, a national savings
programme of billions) and the collective or sector they go to instead, and moving a figure out of scale
for its body (`pipeline.plausibility`) to the nearest body in its sentence of a fitting scale.
"""

from __future__ import annotations

import re

from pipeline.extract.amounts import Money
from pipeline.extract.bodies import Body
from pipeline.extract.fact_clauses import _distance
from pipeline.extract.fact_context import ArticleContext
from pipeline.extract.fact_owner import _national_acting_on
from pipeline.extract.orgs import org_key
from pipeline.extract.sentences import Sentence
from pipeline.plausibility import implausible


# A department or regulator does not run a deficit of its own, and a national savings programme of billions
# is the service's: such a figure pinned on one is the sector's it reports on, or the NHS's as a whole.
NATIONAL_PROGRAMME_GBP = 1e9
_THE_NHS = Body(org_key("national", "NHS"), "NHS", "national", "aggregate")
# "The Department of Health must also find £6bn of savings from its own central budgets": its own figure.
_OWN = re.compile(r"\b(?:its|their|our) (?:own|organisation|staff|workforce|headcount|running costs|administration|"
                  r"management costs)\b", re.I)


def _stated_amount(money: Money) -> float | None:
    """The single figure, or a range's top: what a scale is judged by."""
    return money.amount_gbp if money.amount_gbp is not None else money.high_gbp


def _sector_figure(money: Money, table: str) -> bool:
    amount = _stated_amount(money)
    return table == "deficits" or (amount is not None and amount >= NATIONAL_PROGRAMME_GBP)


def _sector_of(ctx: ArticleContext, money: Money, sentence_no: int) -> Body:
    """The collective the passage speaks of (this sentence, else the two before), else the NHS."""
    for back in range(sentence_no, max(sentence_no - 3, -1), -1):
        sentence = ctx.sentences[back]
        collectives = [c for c in ctx.candidates_in(sentence.start, sentence.end, pronouns=False)
                       if c.kind == "collective"]
        if collectives:
            return min(collectives, key=lambda c: _distance(c.start, c.end, money)).body
    return _THE_NHS


def _collective_in(ctx: ArticleContext, money: Money, sentence: Sentence) -> Body | None:
    collectives = [c for c in ctx.candidates_in(sentence.start, sentence.end, pronouns=False)
                   if c.kind == "collective" and c.body.org_type != "national"]
    return min(collectives, key=lambda c: _distance(c.start, c.end, money)).body if collectives else None


def _out_of_scale(body: Body, money: Money, table: str) -> bool:
    members = tuple(m.org_type for m in body.members)
    return implausible(body.org_type, body.scope, table, _stated_amount(money), members) is not None


def _body_of_scale(ctx: ArticleContext, money: Money, sentence: Sentence, table: str) -> Body | None:
    """'Airedale NHS Foundation Trust ... the NHS ended £2.45bn in the red': a figure out of scale for the body
    the clause points at is a larger body's, the nearest in the sentence of a fitting scale; or no one's."""
    fitting = [c for c in ctx.candidates_in(sentence.start, sentence.end, pronouns=False)
               if c.kind in ("named", "collective") and not _out_of_scale(c.body, money, table)
               and not _national_acting_on(ctx.text, c)]
    if not fitting:
        return None
    return min(fitting, key=lambda c: _distance(c.start, c.end, money)).body
