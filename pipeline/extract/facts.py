"""Decide which money figures are savings or deficits, of whom, of what measure, for when.

One figure at a time: the nearest fact cue (a saving word, a deficit word, or a
negative such as a budget or an investment) says whether it is a fact at all;
the nearest measure cue in its clause says which measure; the body is the one
the clause is about; the period is the one the clause (or the plan it belongs
to) names. Tables and bullet lists borrow cues and periods from their headers.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from pipeline.extract.amounts import Money
from pipeline.extract.bodies import Body, Candidate, CandidateIndex, group_of
from pipeline.extract.lexicon import CueHit, fact_cues, measure_cues
from pipeline.extract.orgs import org_key
from pipeline.extract.periods import Period
from pipeline.extract.sentences import Sentence, sentence_index
from pipeline.plausibility import implausible

# Clause boundaries inside a sentence; a contrastive one also stops a period applying across it.
_CLAUSE_BREAK = re.compile(r"\s*(?:;|:|\s[–—]\s|,\s*(?=\w+(?:ed|ing)\s)|,\s*(?=(?:and|but|while|whereas|with|despite|although|though|as|after|against|"
                           r"before|unless|which|who|where|however|even (?:though|if|as|so))\b)|\s(?=(?:despite|although|whereas|unless|against)\b))")
_CONTRASTIVE = re.compile(r"^\s*[,;]?\s*(?:but|while|whereas|despite|although|though|however|unless)\b", re.I)
# A figure introduced as the source of part of a plan: "£7.6m from emergency admissions".
_COMPONENT_TAIL = re.compile(r"\s*(?:(?:is|are|was|will|would|could|should)?\s*(?:expected|due|set|planned)?\s*"
                             r"(?:to\s+)?(?:come|comes|coming)?\s*(?:from|through|by\s+\w+ing)\b)", re.I)
_REFERS_TO_PLAN = re.compile(r"\b(?:the|this|that|its) (?:[\w-]+ )?(?:plan|programme|strategy|scheme|STP)\b|"
                             r"\b(?:of that|of which|of this|a further)\b", re.I)
MAX_CUE_DISTANCE = 120


# Not frozen: a frozen dataclass's __init__ costs three times as much, and an article makes dozens of these.
# Nothing assigns to one after it is made; unsafe_hash keeps them hashable by value, as frozen ones were.
@dataclass(slots=True, unsafe_hash=True)
class FactDraft:
    table: str
    measure: str
    money: Money
    body: Body
    fy_start: str | None
    fy_end: str | None
    horizon_years: int | None
    period_text: str | None
    evidence_start: int
    evidence_end: int
    rule_id: str
    sentence_no: int
    is_component: bool = False
    parent: int | None = None  # index of the plan total in the article's draft list
    measure_defaulted: bool = False  # no cue named the measure: a restatement may carry a better one


@dataclass
class ArticleContext:
    """An article's recognised spans, with lookups by position that stay fast on pathological inputs."""

    text: str
    sentences: list[Sentence]
    candidates: CandidateIndex
    periods: list[Period]

    def __post_init__(self) -> None:
        self._period_starts = [p.start for p in self.periods]

    def candidates_in(self, start: int, end: int, *, pronouns: bool = True) -> list[Candidate]:
        return self.candidates.in_span(start, end, pronouns=pronouns)

    def periods_in(self, start: int, end: int, *, dated_only: bool = True) -> list[Period]:
        """Periods inside a span; calendar years ("by 2020") are never financial years."""
        first = bisect.bisect_left(self._period_starts, start)
        last = bisect.bisect_left(self._period_starts, end, lo=first)
        return [p for p in self.periods[first:last] if p.end <= end and not (dated_only and p.kind == "calendar")]

    def periods_before(self, position: int) -> list[Period]:
        return self.periods[:bisect.bisect_left(self._period_starts, position)]


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


# "NHS Peterborough (£12.8m)", "Wye Valley Trust – £28.5m", "NHS Cumbria: £9.1m": a figure printed right
# after a name, in brackets or after a dash or colon, is that body's.
_LABEL_GAP = re.compile(r"\s*(?:\(|[–—:-]|,)\s*(?:an?\s+|about\s+|around\s+|almost\s+|nearly\s+|over\s+)?$")


def _labelled_by(ctx: ArticleContext, money: Money, sentence: Sentence) -> Candidate | None:
    before = [c for c in ctx.candidates_in(max(sentence.start, money.start - 160), money.start, pronouns=False)
              if c.kind == "named" and c.body.org_type != "professional"]
    if not before:
        return None
    last = before[-1]
    gap = ctx.text[last.end:money.start]
    if len(gap) > 16 or not _LABEL_GAP.match(gap):
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


# ---- is it a fact, and of which kind ----

def _fact_cue(text: str, money: Money, span: tuple[int, int], header: str | None) -> tuple[CueHit | None, str | None]:
    if header is not None:
        hits = fact_cues().find(header)
        best = next((h for h in hits if h.rule.kind != "negative"), hits[0] if hits else None)
        return best, None
    asides = _asides(text, span)
    # A cue further than the reach plus the longest aside could never win: skip the costly scoring.
    reach = MAX_CUE_DISTANCE + _ASIDE_MAX_CHARS
    hits = [h for h in fact_cues().find(text, span[0], span[1])
            if money.start - reach <= h.start <= money.end + reach
            and not (money.start <= h.start < money.end)
            and not any(a <= h.start < b and not a <= money.start < b for a, b in asides)]
    lo, hi = _clause(text, Sentence(span[0], span[1], "sentence", span[0], span[1]), money)
    veto = next((h for h in hits if h.rule.reach == "clause" and lo <= h.start < hi), None)
    if veto is not None:
        return veto, None
    best, best_distance = None, MAX_CUE_DISTANCE + 1
    for hit in hits:
        distance = _distance(hit.start, hit.end, money) - _aside_length_between(asides, hit, money)
        if _other_money_between(text, hit, money):
            distance += 40
        if not (lo <= hit.start < hi):
            distance += 30  # a cue in another clause speaks for this figure less
        if distance < best_distance or (distance == best_distance and best is not None and hit.rule.kind != "negative"):
            best, best_distance = hit, distance
    return best, None


_ASIDE_MAX_CHARS = 260
_ASIDE = re.compile(r"\s[–—-]\s[^–—]{1,200}?\s[–—-]\s|\([^()]{1,200}\)|,\s\w+ed\b[^,.;]{0,60},")


@lru_cache(maxsize=512)
def _asides(text: str, span: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """Parenthetical asides ("– which strips out one-off costs and non-recurrent income –")."""
    return tuple((m.start(), m.end()) for m in _ASIDE.finditer(text, span[0], span[1]))


def _aside_length_between(asides: list[tuple[int, int]], hit: CueHit, money: Money) -> int:
    """An aside between a cue and its figure does not put them further apart."""
    lo, hi = (hit.end, money.start) if hit.end <= money.start else (money.end, hit.start)
    return sum(b - a for a, b in asides if lo <= a and b <= hi)


def _distance(start: int, end: int, money: Money) -> int:
    if end <= money.start:
        return money.start - end
    if start >= money.end:
        return start - money.end
    return 0


_MONEY_SIGN = re.compile(r"£|\d(?:m|bn|k)\b|million|billion")


def _other_money_between(text: str, hit: CueHit, money: Money) -> bool:
    lo, hi = (hit.end, money.start) if hit.end <= money.start else (money.end, hit.start)
    return bool(_MONEY_SIGN.search(text, lo, hi)) if hi > lo else False


_SAVINGS_WORDS = re.compile(r"\b(?:savings?|QIPP|CIPs?|efficiency|efficiencies|target)\b", re.I)


_SAVINGS_NOUNS = re.compile(r"\b(?:savings?|QIPP|CIPs?|cost improvements?|efficienc(?:y|ies)|cuts?)\b", re.I)
_DEFICIT_WORDS = re.compile(r"\b(?:deficits?|in the red|overspen(?:d|ds|ding|t))\b", re.I)


def _near_savings_words(text: str, cue: CueHit) -> bool:
    """A "QIPP shortfall" or a "shortfall against its savings target" is a savings shortfall;
    "its £29m shortfall" alone is the body's financial shortfall, a deficit."""
    return bool(_SAVINGS_WORDS.search(text, max(0, cue.start - 40), cue.end + 40))


# ---- which measure ----

def _measure(text: str, money: Money, sentence: Sentence, table: str, cue: CueHit | None,
             hint: str | None, header: str | None) -> tuple[str, bool]:
    applies = "saving" if table == "savings" else "deficit"
    if header is not None:
        column = _column_header(text, money, sentence, header)
        hits = measure_cues(applies).find(column)
        if hits:
            return hits[0].rule.measure, False
    if hint:
        return hint, False
    lo, hi = _clause(text, sentence, money)
    hits = measure_cues(applies).find(text, lo, hi)
    hits = [h for h in hits if h.rule.strength != "weak"] or hits
    if hits:
        nearest = min(hits, key=lambda h: (_distance(h.start, h.end, money), _MEASURE_PRIORITY[h.rule.measure]))
        return nearest.rule.measure, False
    if cue is not None and cue.rule.measure and cue.rule.kind == applies:
        return cue.rule.measure, True
    return ("target" if table == "savings" else "forecast"), True


_MEASURE_PRIORITY = {"shortfall": 0, "achieved": 1, "potential": 2, "target": 3, "planned": 0, "actual": 1, "forecast": 2}


def _clause(text: str, sentence: Sentence, money: Money) -> tuple[int, int]:
    """The span of the clause holding the figure; breaks inside an aside do not count."""
    return _clause_span(text, sentence.start, sentence.end, money.start, money.end)


@lru_cache(maxsize=1024)
def _clause_span(text: str, start: int, end: int, money_start: int, money_end: int) -> tuple[int, int]:
    # Cached: the cue, the measure, the body and the period of a figure all ask for its clause.
    lo, hi = start, end
    asides = _asides(text, (start, end))
    for break_start, break_end in _clause_breaks(text, start, end):
        if any(a <= break_start < b for a, b in asides if not a <= money_start < b):
            continue
        if break_end <= money_start:
            lo = break_end
        elif break_start >= money_end:
            hi = break_start
            break
    return lo, hi


@lru_cache(maxsize=512)
def _clause_breaks(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    return tuple((m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(text, start, end))


# ---- whose figure ----

def _body_for(ctx: ArticleContext, money: Money, sentence_no: int, drafts: list[FactDraft],
              header: str | None) -> Body | None:
    sentence = ctx.sentences[sentence_no]
    in_sentence = [c for c in ctx.candidates_in(sentence.start, sentence.end) if c.body.org_type != "professional"]
    if sentence.kind == "row":
        row = [c for c in in_sentence if c.kind == "named"]
        return row[0].body if row else None
    lo, hi = _clause(ctx.text, sentence, money)
    # A national body or regulator acting on a figure ("a plan approved by NHS England", "an agreement with
    # NHS England", "NHS England said ...") is its counterparty or its source, never its owner.
    in_sentence = [c for c in in_sentence if not _national_acting_on(ctx.text, c)]
    before_in_clause = [c for c in in_sentence if lo <= c.start and c.end <= money.start]
    after_in_clause = [c for c in in_sentence if money.end <= c.start and c.end <= hi
                       and not _is_counterparty(ctx.text, c) and not _is_beneficiary(ctx.text, c)]
    before_in_sentence = [c for c in in_sentence if c.end <= money.start]
    chosen: Candidate | None = None
    if before_in_clause:
        chosen = _owner_among(ctx.text, before_in_clause, before_in_sentence)
        if chosen.kind == "collective" and lo > sentence.start:
            # "NHS West Kent ... inherited when four primary care trusts merged ... £4.3m": a collective in a
            # subordinate clause is described in passing; the sentence's named subject owns the figure.
            subject = [c for c in before_in_sentence if c.end <= lo and c.kind in ("named", "reference")
                       and not _is_source(ctx.text, c) and not _is_counterparty(ctx.text, c)]
            chosen = subject[0] if subject else chosen
    elif after_in_clause and after_in_clause[0].kind in ("collective", "named"):
        chosen = after_in_clause[0]
    elif (attached := _attached_to(ctx.text, lo, before_in_sentence)) is not None:
        chosen = attached
    elif before_in_sentence:
        chosen = _subject_of(ctx.text, before_in_sentence)
    elif after_in_clause:
        chosen = after_in_clause[0]
    if chosen is None:
        return _topic(ctx, sentence_no, drafts)
    if chosen.kind == "pronoun":
        chosen = _pronoun_antecedent(ctx, chosen, in_sentence, sentence_no, lo)
    return _with_coordinated(ctx, chosen, in_sentence)


# A body followed by a verb of saying is the source of the figure, not (necessarily) its owner.
_REPORTING = re.compile(r"(?:['’]s)?\s*(?:\w+ly\s+)?(?:said|says|say|told|tells|warned|warns|revealed|reveals|"
                        r"announced|announces|reported|reports|confirmed|confirms|estimated|estimates|"
                        r"(?:figures|data|papers|documents|analysis|report|accounts)\s+(?:show|shows|reveal|reveals|"
                        r"suggest|suggests))\b", re.I)
# A body that is the object of a preposition ("agreed with NHS Improvement") is a counterparty.
_PREPOSITION_BEFORE = re.compile(r"\b(?:with|by|from|against|than|to|towards)\s+(?:the\s+)?$"
                                 # "asked by the strategic health authority, NHS East of England, to make £1.9m":
                                 # a body in apposition to a counterparty is that counterparty
                                 r"|\b(?:with|by|from|against)\s+(?:the|its|their)\s+[a-z][a-z -]{2,40},\s*$", re.I)


def _is_source(text: str, candidate: Candidate) -> bool:
    return bool(_REPORTING.match(text, candidate.end))


def _is_counterparty(text: str, candidate: Candidate) -> bool:
    return bool(_PREPOSITION_BEFORE.search(text, max(0, candidate.start - 60), candidate.start))


# "could save over £80,000 a year for the health service": the body a saving is made for is not the one making it.
_FOR_BEFORE = re.compile(r"\bfor\s+(?:the\s+)?$", re.I)


def _is_beneficiary(text: str, candidate: Candidate) -> bool:
    return candidate.kind == "collective" and bool(_FOR_BEFORE.search(text, max(0, candidate.start - 12), candidate.start))


def _owner_among(text: str, candidates: list[Candidate], before_in_sentence: list[Candidate]) -> Candidate:
    """Whose figure, among the bodies before it in its clause: the nearest, skipping a source that merely
    reports it ("NHS England said 95 CCGs ..."), a counterparty ("a plan agreed with NHS Improvement"),
    and a collective mentioned in passing when a named body is there to own it."""
    owners = [c for i, c in enumerate(candidates)
              if i == len(candidates) - 1 or not _is_source(text, c)]
    if len(owners) > 1 or len(before_in_sentence) > len(candidates):
        principals = [c for c in owners if not _is_counterparty(text, c)]
        if not principals:
            principals = [c for c in before_in_sentence if not _is_counterparty(text, c) and not _is_source(text, c)]
        owners = principals or owners
    # A national body beside the body or collective a figure is about ("NHS England's report showed CCGs in
    # England had overspent by £236m") is the one reporting it or acting on it: it owns a figure only alone.
    owners = [c for c in owners if not _is_national(c)] or owners
    bodies = [c for c in owners if c.kind != "collective"]
    return bodies[-1] if bodies else owners[-1]


# "Mid Yorkshire Hospitals NHS Trust, which is forecasting a deficit of £17m", "NHS Dorset, with a £20m
# deficit": a relative or "with" clause describes the body printed just before it.
_ATTACHING_CLAUSE = re.compile(r"(?:which|who|whose|with)\b", re.I)
_ATTACHMENT_GAP = re.compile(r"\s*(?:\([^()]{1,20}\))?\s*,?\s*")


def _attached_to(text: str, clause_start: int, before_in_sentence: list[Candidate]) -> Candidate | None:
    if not before_in_sentence or not _ATTACHING_CLAUSE.match(text, clause_start):
        return None
    last = before_in_sentence[-1]
    if last.kind not in ("named", "reference") or not _ATTACHMENT_GAP.fullmatch(text, last.end, clause_start):
        return None
    return last


def _is_national(candidate: Candidate) -> bool:
    return candidate.kind == "named" and candidate.body.org_type == "national"


def _national_acting_on(text: str, candidate: Candidate) -> bool:
    """A national body or regulator as a figure's counterparty or source ("approved by NHS England")."""
    return _is_national(candidate) and (_is_counterparty(text, candidate) or _is_source(text, candidate))


def _subject_of(text: str, candidates: list[Candidate]) -> Candidate:
    """The sentence's subject: its first body, preferring a named body to a collective mentioned with it."""
    candidates = [c for c in candidates if not _is_national(c)] or candidates
    bodies = [c for c in candidates if c.kind != "collective" and not _is_counterparty(text, c)]
    return bodies[0] if bodies else candidates[0]


def _pronoun_antecedent(ctx: ArticleContext, pronoun: Candidate, in_sentence: list[Candidate],
                        sentence_no: int, clause_start: int) -> Candidate:
    """'The CCG said it would save £40m': a pronoun stands for the subject of its own clause ('..., and
    Shrewsbury and Telford Hospital Trust reports that it carried over a £47.2m deficit'), else its sentence's
    subject; with none, for the subject of the sentence before ('It has set a cost improvement programme of
    £17.9m'). A plural pronoun stands for a collective as readily as for a named body ('If these 33 PCTs ...
    continue overspending, they face a deficit of £230m')."""
    kinds = ("named", "reference", "collective") if _PLURAL_PRONOUN.match(ctx.text, pronoun.start) else ("named", "reference")
    earlier = [c for c in in_sentence if c.end <= pronoun.start and c.kind in kinds
               and not _is_counterparty(ctx.text, c)]
    in_clause = [c for c in earlier if c.start >= clause_start and c.kind != "collective"]
    if in_clause:
        return in_clause[-1]
    if earlier:
        return _subject_of(ctx.text, earlier)
    for back in range(sentence_no - 1, max(sentence_no - 3, -1), -1):
        previous = ctx.sentences[back]
        bodies = [c for c in ctx.candidates_in(previous.start, previous.end, pronouns=False)
                  if c.kind in ("named", "reference") and c.body.org_type != "professional"]
        if bodies:
            return _subject_of(ctx.text, bodies)
    return pronoun



_PLURAL_PRONOUN = re.compile(r"(?:they|their|them)\b", re.I)
_COORDINATOR = re.compile(r"^\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)$")


def _run_start(text: str, named: list[Candidate], i: int) -> int:
    """The first of the named bodies joined to named[i] by commas and "and" before it ("A, B and C")."""
    while i > 0 and _COORDINATOR.match(text[named[i - 1].end:named[i].start]):
        i -= 1
    return i


def _with_coordinated(ctx: ArticleContext, chosen: Candidate, in_sentence: list[Candidate]) -> Body:
    """'NHS Dorset and NHS Bournemouth and Poole ... £200m': a figure shared by a list of named bodies."""
    if chosen.kind == "collective" and _POINTS_BACK.match(ctx.text, chosen.start):
        return _listed_before(ctx, chosen) or chosen.body
    if chosen.kind != "named":
        return chosen.body
    named = [c for c in in_sentence if c.kind == "named"]
    if chosen not in named:  # an antecedent from an earlier sentence
        return chosen.body
    i = named.index(chosen)
    lo, hi = _run_start(ctx.text, named, i), i
    while hi + 1 < len(named) and _COORDINATOR.match(ctx.text[named[hi].end:named[hi + 1].start]):
        hi += 1
    members = [c.body for c in named[lo:hi + 1]]
    if len({m.key for m in members}) < 2:
        return chosen.body
    return group_of(members)


# "These trusts ... are forecasting a combined deficit of £145m", "the three organisations": a collective that
# points back stands for the bodies the text has just listed.
_POINTS_BACK = re.compile(r"(?:[Tt]hese|[Tt]hose|[Bb]oth|[Tt]he (?:two|three|four|five|six|seven|eight|nine|ten))\b")
LIST_LOOKBACK_SENTENCES = 2


def _listed_before(ctx: ArticleContext, collective: Candidate) -> Body | None:
    """The group of the last list of two or more named bodies in the collective's sentence before it, or in
    the two sentences before that."""
    index = sentence_index(ctx.sentences, collective.start)
    if index < 0:
        return None
    items = []  # a bulleted list just before: one named body per item
    back = index - 1
    while back >= 0 and ctx.sentences[back].kind == "item":
        item = ctx.sentences[back]
        named = [c for c in ctx.candidates_in(item.start, item.end, pronouns=False) if c.kind == "named"]
        if named:
            items.insert(0, named[0].body)
        back -= 1
    if len({m.key for m in items}) >= 2:
        return group_of(items)
    for back in range(index, max(index - LIST_LOOKBACK_SENTENCES - 1, -1), -1):
        sentence = ctx.sentences[back]
        end = collective.start if back == index else sentence.end
        named = [c for c in ctx.candidates_in(sentence.start, end, pronouns=False) if c.kind == "named"
                 and c.body.org_type not in ("national", "professional")]
        for last in range(len(named) - 1, 0, -1):
            members = [c.body for c in named[_run_start(ctx.text, named, last):last + 1]]
            if len({m.key for m in members}) >= 2:
                return group_of(members)
    return None


def _topic(ctx: ArticleContext, sentence_no: int, drafts: list[FactDraft]) -> Body | None:
    """A figure in a sentence that names no body belongs to the body of the passage: the last fact's,
    if it was in the last two sentences, else the body named in the previous sentence."""
    if drafts and sentence_no - drafts[-1].sentence_no <= 2:
        return drafts[-1].body
    if sentence_no == 0:
        return None
    previous = ctx.sentences[sentence_no - 1]
    named = [c for c in ctx.candidates_in(previous.start, previous.end, pronouns=False)
             if c.kind in ("named", "reference")]
    # The passage is about the body reported on, not the regulator reporting it.
    local = [c for c in named if c.body.org_type != "national"]
    if named:
        return (local or named)[0].body
    return _principal_body(ctx) if _DEFINITE_FIGURE.search(ctx.text, ctx.sentences[sentence_no].start,
                                                           ctx.sentences[sentence_no].end) else None


# "At the moment the deficit is £14.5m": a definite figure with no body in reach is the article's subject's.
_DEFINITE_FIGURE = re.compile(r"\b(?:the|its|our|their) (?:[\w-]+ ){0,2}(?:deficit|overspend|debts?|savings?|"
                              r"shortfall|gap|target|plan|position|outturn|forecast)\b", re.I)
PRINCIPAL_SHARE = 0.6


def _principal_body(ctx: ArticleContext) -> Body | None:
    """The one local body the article is about: most of its named mentions of bodies that are not national."""
    counts: dict[str, int] = {}
    first: dict[str, Body] = {}
    for c in ctx.candidates.named():
        if c.body.org_type in ("national", "professional"):
            continue
        counts[c.body.key] = counts.get(c.body.key, 0) + 1
        first.setdefault(c.body.key, c.body)
    if not counts:
        return None
    key = max(counts, key=lambda k: counts[k])
    return first[key] if counts[key] >= PRINCIPAL_SHARE * sum(counts.values()) else None


# ---- plans and their components ----

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


# ---- when ----

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


# ---- tables ----

def _table_header(ctx: ArticleContext, sentence_no: int) -> str | None:
    """The first row of the table this row belongs to (the header names the columns' measures)."""
    first = sentence_no
    while first > 0 and ctx.sentences[first - 1].kind == "row":
        first -= 1
    if first == sentence_no:
        return None
    header = ctx.sentences[first]
    return ctx.text[header.start:header.end]


def _column_header(text: str, money: Money, sentence: Sentence, header: str) -> str:
    row = text[sentence.start:sentence.end]
    column = row[:money.start - sentence.start].count("|")
    cells = header.split("|")
    return cells[column] if column < len(cells) else header


def _header_period(ctx: ArticleContext, sentence_no: int) -> Period | None:
    first = sentence_no
    while first > 0 and ctx.sentences[first - 1].kind == "row":
        first -= 1
    header = ctx.sentences[first]
    in_header = ctx.periods_in(header.start, header.end)
    if in_header:
        return in_header[0]
    if first > 0:
        intro = ctx.sentences[first - 1]
        in_intro = ctx.periods_in(intro.start, intro.end)
        if in_intro:
            return in_intro[-1]
    return None
