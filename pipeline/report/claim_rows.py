"""Every claim's row of a body page's claims table, as HTML, written column by column.

A large warehouse has hundreds of thousands of claims, and building each row in Python (a dozen escapes and
formatted values a row) cost most of a report's time. Here the escaping and the markup are polars string
expressions over all claims at once, and the formatted values (sums, years, dates) are formatted once per
distinct value with `pipeline.report.money`, so a row reads as `markup.element` would have written it
(tests/test_report_html.py holds the two together, escaping included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from pipeline.report.markup import LINK_REL, SAFE_URL_PATTERN
from pipeline.report.money import NO_VALUE, format_amount, format_date, format_years

ROW_COLUMN = "row_html"
# What `html.escape(text, quote=True)` replaces, and with what: single characters, so replacing them all at once
# (polars' Aho-Corasick) gives what replacing them one after another does.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_BEST_BADGE = ' <span class="badge best">best value</span>'


def with_claim_rows(claims: pl.DataFrame, best_fact_ids: Iterable[str]) -> pl.DataFrame:
    """`claims` (rows of `reading.CLAIM_COLUMNS`) with `row_html`: each claim's `<tr>`, its measure marked
    "best value" when its fact_id is in `best_fact_ids`."""
    if claims.is_empty():
        return claims.with_columns(pl.lit("", pl.Utf8).alias(ROW_COLUMN))
    amount = _formatted(claims, ["amount_gbp", "amount_low_gbp", "amount_high_gbp", "qualifier"], format_amount)
    period = _formatted(claims, ["fy_start", "fy_end", "period_text"], _period)
    published = _formatted(claims, ["published_on"], format_date)
    fact_id = pl.col("fact_id")
    best = pl.Series(sorted(set(best_fact_ids)), dtype=pl.Utf8)
    title = pl.col("title")
    article_text = pl.when(title.is_null() | (title == "")).then(pl.col("source_path")).otherwise(title)
    url = pl.col("url")
    as_link = url.is_not_null() & url.str.contains("(?i)" + SAFE_URL_PATTERN)
    article = (pl.when(as_link)
               .then(pl.concat_str(pl.lit('<a href="'), _escaped(url), pl.lit(f'" rel="{LINK_REL}">'),
                                   _escaped(article_text).fill_null(""), pl.lit("</a>")))
               # `markup.escape(None)` writes "None": a claim with neither title nor source path says so.
               .otherwise(_escaped(article_text).fill_null("None")))
    row = pl.concat_str(
        pl.when(fact_id.is_null()).then(pl.lit("<tr>"))
        .otherwise(pl.concat_str(pl.lit('<tr id="'), _escaped(fact_id), pl.lit('">'))),
        pl.lit('<td class="evidence">'), _text(pl.col("evidence")), pl.lit("</td><td>"),
        _text(pl.col("fact_table").str.strip_suffix("s")), pl.lit(" "), _text(pl.col("measure")),
        pl.when(fact_id.is_in(best)).then(pl.lit(_BEST_BADGE)).otherwise(pl.lit("")),
        pl.lit('</td><td class="num">'), _text(pl.lit(amount)), pl.lit("</td><td>"), _text(pl.lit(period)),
        pl.lit("</td><td>"), article, pl.lit('</td><td class="num">'), _text(pl.lit(published)),
        pl.lit("</td></tr>"),
    )
    return claims.with_columns(row.alias(ROW_COLUMN))


def _period(fy_start: str | None, fy_end: str | None, period_text: str | None) -> str:
    """A claim's financial years, else the words its article gave for the period, quoted."""
    period = format_years(fy_start, fy_end)
    if period == NO_VALUE and period_text:
        period = f"“{period_text}”"
    return period


def _escaped(column: pl.Expr) -> pl.Expr:
    return column.str.replace_many(list(_ESCAPES), list(_ESCAPES.values()))


def _text(column: pl.Expr) -> pl.Expr:
    """A cell's text as `markup.join` writes a child: escaped, and nothing for None."""
    return _escaped(column).fill_null("")


def _formatted(frame: pl.DataFrame, columns: list[str], format_row: Callable[..., str]) -> pl.Series:
    """`format_row(*values)` of each row of `columns`, called once per distinct row of them."""
    keys = frame.select(columns)
    distinct = keys.unique(maintain_order=True)
    texts = pl.Series("text", [format_row(*values) for values in distinct.iter_rows()], dtype=pl.Utf8)
    looked_up = keys.join(distinct.with_columns(texts), on=columns, how="left", nulls_equal=True,
                          maintain_order="left")
    return looked_up["text"]
