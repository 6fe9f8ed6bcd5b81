"""The financial year an article is about, for the figures that name none of their own.

Reports of a body's position speak of "the deficit", "the year-end forecast", "savings of £5m" and leave
the year to the article: the one financial year it names ("Trusts ended 2015-16 ..."), or, when it names
none, the year of its date. Annotators read such figures in that year, and so does this module, with two
limits: a figure whose clause points elsewhere in time ("last year", "the year before", "historic", "by
2020") keeps no year, and an article naming several financial years about equally gives none. A "this
financial year" that no date resolved takes the one financial year stated in the sentences around it.

What belongs here: choosing the article's year and applying it to year-less drafts. The phrases that
point away from the article's year are data (`pipeline/data/article_year_markers.csv`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from functools import cache

from pipeline.extract.facts import ArticleContext, FactDraft
from pipeline.data import read_rows
from pipeline.extract.periods import financial_year_of, fy_label

# Periods that say nothing of which year an article is about: calendar years, spans, horizons, and the
# financial year of a dated event ("the board met in October 2020").
NOT_THE_ARTICLES_YEAR = frozenset({"calendar", "horizon", "between", "month"})
# Share of the article's financial-year mentions the most named year must hold to be "the" year.
DOMINANT_SHARE = 0.5
# Savings found possible ("could save £2.7m") are opportunities, not a year's plan.
_TIMELESS_MEASURES = frozenset({"potential"})


@cache
def _elsewhere_in_time() -> re.Pattern[str]:
    phrases = [row["pattern"] for row in read_rows("article_year_markers.csv")]
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.I)


def _names_one_year(period) -> bool:
    """A period written as one financial year of its own ("in 2015/16", "by 2020/21"), not a span, a bound, a
    dated event or a year counted from the article's date."""
    return (period.kind not in NOT_THE_ARTICLES_YEAR and period.year_offset is None and bool(period.fy_end)
            and period.fy_start in (None, period.fy_end))


def article_year(ctx: ArticleContext, published_on) -> tuple[str, str] | None:
    """(financial year "YYYY/YY", the text that fixed it) the article is about, or None."""
    named = Counter()
    first_text: dict[str, str] = {}
    for period in ctx.periods:
        if _names_one_year(period):
            named[period.fy_end] += 1
            first_text.setdefault(period.fy_end, period.text)
    if named:
        (year, count), *rest = named.most_common(2) + [(None, 0)]
        runner_up = rest[0][1]
        if count > runner_up and count / sum(named.values()) >= DOMINANT_SHARE:
            return year, first_text[year]
        return None
    if published_on is not None:
        return fy_label(financial_year_of(published_on)), f"published {published_on.isoformat()}"
    return None


def with_article_year(ctx: ArticleContext, drafts: list[FactDraft], published_on) -> list[FactDraft]:
    """Drafts with no period of their own take the year their paragraph last named, else the article's year,
    unless their clause points elsewhere in time."""
    if not any(d.fy_start is None and d.fy_end is None and d.horizon_years is None for d in drafts):
        return drafts
    year = article_year(ctx, published_on)
    marker = _elsewhere_in_time()
    dated = []
    for d in drafts:
        fixed = _fixed_by_nearby_year(ctx, d)
        if fixed is not None:
            dated.append(fixed)
            continue
        if d.fy_start is None and d.fy_end is None and d.horizon_years is None and d.period_text is None \
                and d.measure not in _TIMELESS_MEASURES and not marker.search(ctx.text, d.evidence_start, d.evidence_end):
            found = _paragraph_year(ctx, d) or year
            if found is not None:
                label, why = found
                d = replace(d, fy_start=label, fy_end=label, period_text=why)
        dated.append(d)
    return dated


# "This year" (offset 0) only: a "last year" beside a stated year is as often that year as the one before.
RELATIVE_OFFSETS = frozenset({0})
NEARBY_SENTENCES = 2


def _fixed_by_nearby_year(ctx: ArticleContext, draft: FactDraft) -> FactDraft | None:
    """A draft whose "this financial year" or "by the end of the year" no date resolved, dated by the one
    financial year stated in the sentences around it (GUIDELINES: a stated year nearby fixes "this year")."""
    if draft.fy_start is not None or draft.fy_end is not None or draft.period_text is None:
        return None
    relative = next((p for p in ctx.periods_in(draft.evidence_start, draft.evidence_end, dated_only=False)
                     if p.text == draft.period_text and p.year_offset in RELATIVE_OFFSETS and p.fy_end is None), None)
    if relative is None:
        return None
    near = _nearby_year(ctx, draft)
    if near is None:
        return None
    label = fy_label(int(near[:4]) + relative.year_offset)
    # A saving "by the end of the year" sets only the year it is due by, as "by 2015/16" does.
    fy_start = None if draft.table == "savings" and relative.kind == "year_end" else label
    return replace(draft, fy_start=fy_start, fy_end=label)


def _nearby_year(ctx: ArticleContext, draft: FactDraft) -> str | None:
    """The one financial year stated within two sentences of a draft (GUIDELINES: "this year" is filled when
    a stated year nearby fixes it)."""
    i = draft.sentence_no
    years = set()
    for j in range(max(0, i - NEARBY_SENTENCES), min(len(ctx.sentences), i + NEARBY_SENTENCES + 1)):
        if j == i:
            continue  # "reduce spending in 2011/12 ... despite £174m being cut this year": a year set against it
        sentence = ctx.sentences[j]
        for p in ctx.periods_in(sentence.start, sentence.end):
            if not _names_one_year(p):
                continue
            if _ANOTHER_TIME.search(ctx.text, max(sentence.start, p.start - 80), p.start):
                continue  # "was recovered in 2010/11", "will remain in 2013/14": a year gone by or to come
            years.add(p.fy_end)
    return years.pop() if len(years) == 1 else None


_ANOTHER_TIME = re.compile(r"\b(?:(?:was|were) \w+ed|will|would)\b", re.I)


def _paragraph_year(ctx: ArticleContext, draft: FactDraft) -> tuple[str, str] | None:
    """The single financial year named earlier in the draft's own paragraph (its line), if there is one."""
    line_start = ctx.text.rfind("\n", 0, draft.evidence_start) + 1
    years = {p.fy_end: p.text for p in ctx.periods_in(line_start, draft.evidence_start)
             if p.kind not in NOT_THE_ARTICLES_YEAR and p.fy_end and p.fy_start in (None, p.fy_end)}
    if len(years) == 1:
        label, text = next(iter(years.items()))
        return label, text
    return None
