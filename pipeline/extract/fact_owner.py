"""Whose figure: the body a figure's clause is about.

What belongs here: choosing the owner among the bodies of a figure's sentence (passing over a source that
reports it, a counterparty and a beneficiary), the antecedent of a pronoun, the group of bodies coordinated
with the owner or listed before a collective that points back, and the body of the passage or the article
when the sentence names none. Corrections by the size of the figure are `fact_scale`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.amounts import Money
from pipeline.extract.bodies import Body, Candidate, group_of
from pipeline.extract.fact_clauses import _clause
from pipeline.extract.fact_context import ArticleContext, FactDraft
from pipeline.extract.sentences import sentence_index


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
    return _source_ends_at(text, candidate.end)


def _is_counterparty(text: str, candidate: Candidate) -> bool:
    return _counterparty_starts_at(text, candidate.start)


# Cached by position: every figure of a sentence asks about the same bodies. A str caches its hash and
# compares by identity first, so the article's text costs little as a key.
@lru_cache(maxsize=2048)
def _source_ends_at(text: str, end: int) -> bool:
    return bool(_REPORTING.match(text, end))


@lru_cache(maxsize=2048)
def _counterparty_starts_at(text: str, start: int) -> bool:
    return bool(_PREPOSITION_BEFORE.search(text, max(0, start - 60), start))


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
