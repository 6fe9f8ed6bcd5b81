"""Figures in lists: a figure labelled by the body printed just before it, and an item of a bullet list.

What belongs here: labels such as "NHS Peterborough (£12.8m)" and the cue that introduces a list of them, and
how a bullet item ("NHS Cumbria: £9.1m") takes its cue, measure and period from the sentence introducing
the list, or from the fact the list breaks down.
"""

from __future__ import annotations

import re

from pipeline.extract.amounts import Money
from pipeline.extract.bodies import Candidate
from pipeline.extract.fact_context import ArticleContext, FactDraft
from pipeline.extract.fact_kind import _MEASURE_PRIORITY
from pipeline.extract.lexicon import CueHit, fact_cues, measure_cues
from pipeline.extract.periods import Period
from pipeline.extract.sentences import Sentence


# "NHS Peterborough (£12.8m)", "Wye Valley Trust – £28.5m", "NHS Cumbria: £9.1m": a figure printed right
# after a name, in brackets or after a dash or colon, is that body's.
_LABEL_GAP = re.compile(r"\s*(?:\(|[–—:-]|,)\s*(?:an?\s+|about\s+|around\s+|almost\s+|nearly\s+|over\s+)?$")


_LABEL_MARKS = "(–—:-,"  # one of which every `_LABEL_GAP` holds
_LABEL_GAP_MAX = 16


def _labelled_by(ctx: ArticleContext, money: Money, sentence: Sentence) -> Candidate | None:
    # Most figures have no bracket, dash, colon or comma just before them: no label is possible, and the
    # candidates need not be looked up.
    near = ctx.text[max(0, money.start - _LABEL_GAP_MAX):money.start]
    if not any(mark in near for mark in _LABEL_MARKS):
        return None
    before = [c for c in ctx.candidates_in(max(sentence.start, money.start - 160), money.start, pronouns=False)
              if c.kind == "named" and c.body.org_type != "professional"]
    if not before:
        return None
    last = before[-1]
    gap = ctx.text[last.end:money.start]
    if len(gap) > _LABEL_GAP_MAX or not _LABEL_GAP.match(gap):
        return None
    if gap.strip().startswith(",") and not _labelled_list_around(ctx, sentence):
        return None
    return last


def _labelled_list_around(ctx: ArticleContext, sentence: Sentence) -> bool:
    """'..., NHS Surrey, £16.7m': a comma labels a figure only inside a list of such labelled figures."""
    line = ctx.text[sentence.start:sentence.end]
    return len(re.findall(r"\((?:£|\d)", line)) >= 2


def _list_cue(ctx: ArticleContext, sentence: Sentence, labelled: Candidate) -> CueHit | None:
    """The cue that introduces a list of labelled figures: the last one before the list's first label in
    the sentence ("the five PCTs which carried over legacy debts ... are NHS Cambridgeshire (£17m), ...")."""
    in_sentence = [c for c in ctx.candidates_in(sentence.start, labelled.start + 1, pronouns=False) if c.kind == "named"]
    first = in_sentence[0].start if in_sentence else labelled.start
    hits = [h for h in fact_cues().find(ctx.text, sentence.start, first) if h.rule.kind in ("saving", "deficit")]
    return hits[-1] if hits else None


# ---- bullet lists: an item like "NHS Cumbria: £9.1m" takes its meaning from the sentence introducing the list ----

def _list_intro(ctx: ArticleContext, sentence_no: int) -> Sentence | None:
    """The sentence before the list that says what its figures are: the nearest of the three sentences
    before it with a fact cue ("Among the CCGs with the largest forecast overspends are:")."""
    index = sentence_no - 1
    while index >= 0 and ctx.sentences[index].kind == "item":
        index -= 1
    if sentence_no - index > 40:
        return None
    for candidate in range(index, max(index - 3, -1), -1):
        intro = ctx.sentences[candidate]
        if _intro_cue(ctx.text, intro) is not None:
            return Sentence(intro.start, ctx.sentences[index].end, "sentence", intro.line_start, intro.line_end)
    return None


def _intro_cue(text: str, intro: Sentence) -> CueHit | None:
    hits = [h for h in fact_cues().find(text, intro.start, intro.end) if h.rule.kind in ("saving", "deficit")]
    return hits[-1] if hits else None


def _intro_measure(text: str, intro: Sentence, cue: CueHit, table: str) -> tuple[str, bool]:
    hits = measure_cues("saving" if table == "savings" else "deficit").find(text, intro.start, intro.end)
    if hits:
        nearest = min(hits, key=lambda h: (abs(h.start - cue.start), _MEASURE_PRIORITY[h.rule.measure]))
        return nearest.rule.measure, False
    if cue.rule.measure:
        return cue.rule.measure, True
    return ("target" if table == "savings" else "forecast"), True


def _period_of_same_kind(drafts: list[FactDraft], table: str, measure: str, sentence_no: int):
    """A list's items take the period of the fact, stated just before, that the list breaks down."""
    for draft in reversed(drafts):
        if sentence_no - draft.sentence_no > 12:
            break
        if draft.table == table and draft.measure == measure and (draft.fy_start or draft.fy_end):
            return draft.fy_start, draft.fy_end, draft.horizon_years, draft.period_text
    return None, None, None, None


def _first_period(ctx: ArticleContext, sentence: Sentence) -> Period | None:
    found = ctx.periods_in(sentence.start, sentence.end)
    return found[0] if found else None
