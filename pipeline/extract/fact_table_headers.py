"""Figures in pipe-separated table rows: the header row above a figure's row, and what it says.

What belongs here: finding the first row of the table a row belongs to, the header cell of a figure's
column (it names the column's measure), and the period the header, or the sentence introducing the table,
names. Tables printed without separators are `tables` and `table_facts`.
"""

from __future__ import annotations

from pipeline.extract.amounts import Money
from pipeline.extract.fact_context import ArticleContext
from pipeline.extract.periods import Period
from pipeline.extract.sentences import Sentence


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
