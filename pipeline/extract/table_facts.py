"""Facts from the rows of plain-text tables (`tables.find_text_tables`).

A cell is a fact when its column is a body's financial position or a savings figure: the column label's
cue says which table ("YTD overspend (£m)" a deficit, "CIP delivered (£m)" a saving), and a column of
positions with no cue of its own ("Reported outturn (£ millions)", "Year-to-date position (£m)") holds a
deficit where the figure is printed negative. Variances, movements, transfers and shares are never facts
(GUIDELINES.md: a variance against plan is not a deficit). The row label names the body; a label that the
recogniser does not read as a body ("Cannock Chase", "GREATER MANCHESTER") is a body of the type the
table's header or title names ("ICB Name", "The most overspent CCGs"). The period is the header's, else
the one the article last named before the table.
"""

from __future__ import annotations

import re

from pipeline.extract.bodies import Body
from pipeline.extract.facts import ArticleContext, FactDraft
from pipeline.extract.lexicon import fact_cues, measure_cues
from pipeline.extract.orgs import org_key
from pipeline.extract.periods import Period
from pipeline.extract.sentences import sentence_index
from pipeline.extract.tables import TableCell, TableRow

RULE_ID = "table.text_row"
_NOT_A_POSITION = re.compile(r"\b(?:variance|change|movement|difference|transfer|support|funding|allocation|"
                             r"budget|income|growth|increase|decrease|deterioration|improvement)\b", re.I)
_POSITION = re.compile(r"\b(?:forecast|outturn|out-turn|position|I&E|result|balance|surplus|deficit|overspend)\b",
                       re.I)
# The type of the bodies a table lists, from the words of its header and title.
_TYPE_WORDS = (
    (re.compile(r"\b(?:ICBs?|ICSs?|integrated care (?:boards?|systems?)|systems)\b", re.I), "ICB"),
    (re.compile(r"\b(?:CCGs?|clinical commissioning groups?)\b", re.I), "CCG"),
    (re.compile(r"\b(?:PCTs?|primary care trusts?)\b", re.I), "PCT"),
    (re.compile(r"\b(?:trusts?|providers?|foundation trusts?)\b", re.I), "trust"),
)
TITLE_REACH_CHARS = 400
PERIOD_REACH_CHARS = 3000


def table_fact(ctx: ArticleContext, row: TableRow, cell: TableCell) -> FactDraft | None:
    label = cell.column.label
    if _NOT_A_POSITION.search(label):
        return None
    hits = [h for h in fact_cues().find(label) if h.rule.kind in ("saving", "deficit", "negative")]
    kind = hits[0].rule.kind if hits else None
    if kind == "negative":
        return None
    if kind is None:
        if not (_POSITION.search(label) and cell.negative):
            return None
        kind = "deficit"
    table = "savings" if kind == "saving" else "deficits"
    if table == "savings" and cell.negative:
        return None
    body = _row_body(ctx, row)
    if body is None:
        return None
    measures = measure_cues(kind).find(label)
    measure = measures[0].rule.measure if measures else ("target" if table == "savings" else "actual")
    period = _table_period(ctx, row)
    fy_start, fy_end, text = (period.fy_start, period.fy_end, period.text) if period else (None, None, None)
    return FactDraft(table, measure, cell.money, body, fy_start, fy_end, None, text,
                     row.label_start, row.end, RULE_ID, sentence_index(ctx.sentences, cell.money.start),
                     measure_defaulted=not measures)


def _row_body(ctx: ArticleContext, row: TableRow) -> Body | None:
    named = [c for c in ctx.candidates_in(row.label_start, row.label_end, pronouns=False) if c.kind == "named"]
    if named:
        return named[0].body
    label = ctx.text[row.label_start:row.label_end].strip(" *")
    org_type = _listed_type(ctx, row)
    if org_type is None or not any(ch.isalpha() for ch in label):
        return None
    return Body(org_key(org_type, label), label, org_type)


def _listed_type(ctx: ArticleContext, row: TableRow) -> str | None:
    """The type the header names ("ICB Name"), else the title or intro just above it names."""
    for lo, hi in ((row.header_start, row.header_end),
                   (max(0, row.header_start - TITLE_REACH_CHARS), row.header_start)):
        words = ctx.text[lo:hi]
        found = [(m.start(), org_type) for pattern, org_type in _TYPE_WORDS for m in pattern.finditer(words)]
        if found:
            return max(found)[1]  # the nearest to the table
    return None


def _table_period(ctx: ArticleContext, row: TableRow) -> Period | None:
    in_header = ctx.periods_in(row.header_start, row.header_end)
    if in_header:
        return in_header[0]
    earlier = [p for p in ctx.periods_before(row.header_start)
               if p.fy_end and p.kind not in ("calendar", "horizon") and row.header_start - p.end <= PERIOD_REACH_CHARS]
    return earlier[-1] if earlier else None
