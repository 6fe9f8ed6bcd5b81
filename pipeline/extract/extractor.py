"""Extract one article: its organisation mentions and its saving and deficit facts.

Runs the organisation, money, sentence and period recognisers once over the
whole text, then classifies each figure sentence by sentence, merges
restatements of the same fact (keeping the most precise amount and every
statement as evidence), and links plan components to their totals. The other
bodies a figure may belong to (references, collectives) are only looked for in
the lines the classifier asks about (`bodies.CandidateIndex`); an article
without a pound figure needs nothing but its organisations. Output rows match
the staging tables `mention_candidates` and `fact_candidates`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from pipeline.extract.amounts import Money, find_money
from pipeline.extract.article_year import with_article_year
from pipeline.extract.bodies import CandidateIndex
from pipeline.extract.facts import ArticleContext, FactDraft, classify
from pipeline.extract.orgs import find_org_mentions
from pipeline.extract.periods import dated_by, find_periods
from pipeline.extract.sentences import sentence_index, split_sentences
from pipeline.extract.table_facts import table_fact
from pipeline.extract.tables import find_text_tables

# Bump on any change that alters what the extractor outputs; recorded on every row.
EXTRACTOR_VERSION = "0.5.0"
HEADLINE = 0  # the first sentence of body_text is the headline
MERGE_LOOKBACK = 60  # groups of statements compared with each new one; real articles have far fewer facts


@dataclass
class Extraction:
    mentions: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    # Every statement of each fact, restatements included: rows of `fact_evidence`.
    statements: list[dict] = field(default_factory=list)


def stable_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:16]}"


def extract_article(article_id: str, text: str, published_on: dt.date | None = None, *,
                    gazetteer=None) -> Extraction:
    """`gazetteer`: a `pipeline.extract.gazetteer.Gazetteer` of the build's reference data, whose bodies join the
    recogniser's mentions (the recogniser's win where they overlap)."""
    mentions = find_org_mentions(text, published_on)
    if gazetteer is not None:
        mentions = gazetteer.add_to(text, mentions, published_on)
    result = Extraction(mentions=[_mention_row(article_id, m) for m in mentions])
    money = [m for m in find_money(text) if m.currency == "GBP"]
    rows = find_text_tables(text)
    if not money and not rows:
        return result
    sentences = split_sentences(text)
    ctx = ArticleContext(text, sentences, CandidateIndex(text, mentions), dated_by(find_periods(text), published_on))
    drafts: list[FactDraft] = []
    in_rows = [(row.label_end, row.end) for row in rows]
    cells = [(cell.money.start, row, cell) for row in rows for cell in row.cells]
    # Figures and table cells in text order, so restatements are compared as they come.
    items = sorted([(m.start, None, m) for m in money if not _inside(m.start, in_rows)] + cells,
                   key=lambda item: item[0])
    for _, row, item in items:
        if row is not None:
            draft = table_fact(ctx, row, item)
        else:
            sentence_no = sentence_index(sentences, item.start)
            if sentence_no < 0:
                continue
            draft = classify(ctx, item, sentence_no, drafts)
        if draft is not None:
            drafts.append(draft)
    drafts = with_article_year(ctx, drafts, published_on)
    kept, statements_of = merge_restatements(drafts)
    ids = {i: _fact_id(article_id, drafts[i]) for i in kept}
    for i in kept:
        draft = drafts[i]
        parent = _representative(draft.parent, kept, statements_of) if draft.parent is not None else None
        result.facts.append(_fact_row(article_id, ids[i], draft, text, ids.get(parent) if parent is not None else None))
        for j in statements_of[i]:
            statement = drafts[j]
            result.statements.append({
                "fact_id": ids[i], "fact_table": draft.table, "article_id": article_id,
                "evidence": text[statement.evidence_start:statement.evidence_end],
                "char_start": statement.evidence_start, "char_end": statement.evidence_end,
                "amount_text": statement.money.text, "amount_char_start": statement.money.start,
                "amount_char_end": statement.money.end, "is_primary": j == i,
            })
    return result


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    # Tables are few and short: a linear look is cheaper than an index.
    return any(lo <= position < hi for lo, hi in spans)


# ---- one fact, however many times it is stated ----

def merge_restatements(drafts: list[FactDraft]) -> tuple[list[int], dict[int, list[int]]]:
    """Group drafts that state the same fact (same table, body and measure, amounts equal up to the
    rounding of the less precise one). Returns the representative of each group (the most precise
    statement) and, for each representative, every statement in the group."""
    groups: list[list[int]] = []
    for i, draft in enumerate(drafts):
        # Restatements sit close together in an article; looking back a bounded number of groups keeps
        # an article with thousands of figures linear.
        for group in groups[-MERGE_LOOKBACK:]:
            # The first and the latest statement stand for the group: comparing every member would make
            # a figure repeated thousands of times quadratic.
            if _same_fact(drafts[group[0]], draft) and _same_fact(drafts[group[-1]], draft):
                group.append(i)
                break
        else:
            groups.append([i])
    kept: list[int] = []
    statements_of: dict[int, list[int]] = {}
    for group in groups:
        best = max(group, key=lambda j: (drafts[j].sentence_no != HEADLINE, _precision_rank(drafts[j].money), -j))
        merged = _merge_into(drafts, best, group)
        drafts[best] = merged
        kept.append(best)
        statements_of[best] = sorted(group)
    return sorted(kept), statements_of


def _same_fact(a: FactDraft, b: FactDraft) -> bool:
    if a.table != b.table:
        return False
    if HEADLINE in (a.sentence_no, b.sentence_no) and a.money.amount_gbp is not None \
            and b.money.amount_gbp is not None and a.money.start != b.money.start:
        # A headline restates a figure of the body, often with a looser name ("Derbyshire CCG warns of £77m").
        return _rounds_to(a.money, b.money)
    if a.body.key != b.body.key and not _same_collective(a.body, b.body):
        return False
    if a.measure != b.measure and not (a.measure_defaulted or b.measure_defaulted) \
            and not _same_precise_figure(a.money, b.money):
        return False
    if a.is_component != b.is_component:
        return False
    if (a.money.amount_gbp is None) != (b.money.amount_gbp is None):
        # "save up to £20bn" and "between £15bn and £20bn": a range and the single figure at its top.
        single, span = (a.money, b.money) if a.money.amount_gbp is not None else (b.money, a.money)
        return span.high_gbp is not None and single.amount_gbp == span.high_gbp
    if a.money.amount_gbp is None:
        return a.money.low_gbp == b.money.low_gbp and a.money.high_gbp == b.money.high_gbp
    if a.money.start == b.money.start:
        return False
    return _rounds_to(a.money, b.money)


def _same_collective(a, b) -> bool:
    """'23 trusts ... 17 are predicting a combined deficit of £409.6m' and 'Seventeen trusts ... £409.6m':
    collectives of one kind of body in one article are one owner, as the scoring guidelines read them."""
    return a.scope == b.scope == "aggregate" and a.org_type == b.org_type


_PRECISE = re.compile(r"\d[.,]\d|\d{3}")


def _same_precise_figure(a: Money, b: Money) -> bool:
    """The same precise figure (£48.6m, £409.6m) stated twice of one body is one fact, whatever measure
    words its two sentences use; a round figure (£5m) may well be two."""
    return (a.amount_gbp is not None and a.amount_gbp == b.amount_gbp
            and bool(_PRECISE.search(a.text)) and bool(_PRECISE.search(b.text)))


def _rounds_to(a: Money, b: Money) -> bool:
    precise, rough = (a, b) if _precision_rank(a) >= _precision_rank(b) else (b, a)
    unit = _stated_unit(rough)
    difference = abs(precise.amount_gbp - rough.amount_gbp)
    if difference == 0:
        return True
    if not _on_the_hedged_side(rough.qualifier, precise.amount_gbp - rough.amount_gbp):
        return False  # "just under £7m" is never £7.2m; "more than £20m" never £19.6m
    # "more than seven million" for 7.58m truncates; "£7.6m" for £7.58m rounds.
    return difference < unit * (1.0 if rough.qualifier else 0.5) + 1e-6


# Hedges that bound a figure from one side: what they restate lies above ("more than") or below ("nearly").
_AT_LEAST = frozenset({"more than", "over", "above", "at least", "in excess of", "upwards of", "no less than",
                       "not less than", "just over", "just more than", "just above", "well over", "well above",
                       "a little more than", "a little over"})
_AT_MOST = frozenset({"less than", "under", "below", "nearly", "almost", "up to", "at most", "no more than",
                      "not more than", "just under", "just less than", "just below", "well under", "well below",
                      "a little less than", "a little under", "as much as"})


def _on_the_hedged_side(qualifier: str | None, excess: float) -> bool:
    if qualifier in _AT_LEAST:
        return excess > 0
    if qualifier in _AT_MOST:
        return excess < 0
    return True


_DIGITS = re.compile(r"(\d[\d,]*)(?:\.(\d+))?")


def _stated_unit(money: Money) -> float:
    """The place value of the last digit as written: £7.6m -> 100,000; £29m -> 1,000,000."""
    return _unit_of_written(money.text, money.amount_gbp or 0.0)


@lru_cache(maxsize=4096)
def _unit_of_written(text: str, value: float) -> float:
    # Keyed on the two fields it reads: hashing a whole Money (twelve fields) cost more than the work.
    match = _DIGITS.search(text)
    if match is None:  # amount in words: "seven million pounds"
        magnitude = 1.0
        while magnitude * 10 <= value:
            magnitude *= 10
        return magnitude
    whole, decimals = match.group(1).replace(",", ""), match.group(2) or ""
    written = float(f"{whole}.{decimals}" if decimals else whole)
    scale = value / written if written else 1.0
    if decimals:
        return scale * 10 ** -len(decimals)
    trailing_zeros = len(whole) - len(whole.rstrip("0")) if scale == 1.0 else 0
    return scale * 10 ** trailing_zeros


def _precision_rank(money: Money) -> float:
    if money.amount_gbp is None:
        return 0.0
    return -_stated_unit(money)


def _merge_into(drafts: list[FactDraft], best: int, group: list[int]) -> FactDraft:
    merged = drafts[best]
    for j in group:
        other = drafts[j]
        if merged.fy_start is None and merged.fy_end is None and (other.fy_start or other.fy_end):
            merged = replace(merged, fy_start=other.fy_start, fy_end=other.fy_end, period_text=other.period_text)
        if merged.horizon_years is None and other.horizon_years is not None:
            merged = replace(merged, horizon_years=other.horizon_years)
        if merged.measure_defaulted and not other.measure_defaulted:
            merged = replace(merged, measure=other.measure, measure_defaulted=False)
    return merged


def _representative(index: int, kept: list[int], statements_of: dict[int, list[int]]) -> int | None:
    for representative in kept:
        if index in statements_of[representative]:
            return representative
    return None


# ---- rows ----

def _fact_id(article_id: str, draft: FactDraft) -> str:
    prefix = "sav" if draft.table == "savings" else "def"
    return stable_id(prefix, article_id, draft.table, draft.money.start, draft.money.end)


def _mention_row(article_id: str, mention) -> dict:
    return {
        "mention_id": stable_id("men", article_id, mention.start, mention.end),
        "article_id": article_id,
        "org_key": mention.key,
        "org_name": mention.name,
        "org_type": mention.org_type,
        "surface": mention.surface,
        "char_start": mention.start,
        "char_end": mention.end,
        "rule_id": mention.rule_id,
    }


def _fact_row(article_id: str, fact_id: str, draft: FactDraft, text: str, parent_id: str | None) -> dict:
    money = draft.money
    return {
        "fact_id": fact_id,
        "fact_table": draft.table,
        "article_id": article_id,
        "org_key": draft.body.key,
        "org_name": draft.body.name,
        "org_type": draft.body.org_type,
        "member_org_keys": [m.key for m in draft.body.members],
        "member_names": [m.name for m in draft.body.members],
        "member_types": [m.org_type for m in draft.body.members],
        "scope": draft.body.scope,
        "measure": draft.measure,
        "amount_gbp": money.amount_gbp,
        "amount_low_gbp": money.low_gbp,
        "amount_high_gbp": money.high_gbp,
        "qualifier": money.qualifier,
        "fy_start": draft.fy_start,
        "fy_end": draft.fy_end,
        "horizon_years": draft.horizon_years,
        "parent_fact_id": parent_id,
        "evidence": text[draft.evidence_start:draft.evidence_end],
        "char_start": draft.evidence_start,
        "char_end": draft.evidence_end,
        "amount_text": money.text,
        "period_text": draft.period_text,
        "rule_id": draft.rule_id,
    }
