"""The cheap test a web-archive page must pass before it is read: a pound figure and an NHS word.

A month of a national crawl holds millions of pages, of which a few hundred are about NHS money; the main-
text extraction costs milliseconds a page, this a few microseconds. It reads the page's bytes as they are
(markup, scripts and all), so it can only pass too much, never miss what the extraction would have seen.
Its words are `pipeline/data/warc_topic_words.csv`; its recall is measured on the real pages of the
development set wrapped in WARC (tests/test_warc_topic.py). The patterns run on RE2, whose automaton reads a
page once in linear time whatever the number of words: 80 times faster than Python's `re` on a long page
that has none of them, which is what most pages of a crawl are.
"""

from __future__ import annotations

import functools
import re

import re2

from pipeline.data import read_rows

_HTML_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                         re.IGNORECASE | re.DOTALL)


def on_topic(page: bytes) -> bool:
    money, nhs = _patterns()
    return money.search(page) is not None and nhs.search(page) is not None


def looks_like_html(page: bytes) -> bool:
    """For a response that names no content type: whether its body begins as an HTML document does."""
    return _HTML_START.match(page[:4096]) is not None


@functools.cache
def _patterns():
    rows = read_rows("warc_topic_words.csv", strip=True, header=["kind", "pattern", "note"])
    return _alternation(rows, "money"), _alternation(rows, "nhs")


def _alternation(rows: list[dict[str, str]], kind: str):
    # The pound sign is searched for in the two encodings pages use: UTF-8 (C2 A3) and Windows-1252 (A3); the
    # page's bytes are read as Latin-1, one character a byte, so no page fails to decode.
    parts = [row["pattern"].replace("£", "(?:\xc2\xa3|\xa3)") for row in rows if row["kind"] == kind]
    options = re2.Options()
    options.case_sensitive = False
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile("|".join(f"(?:{p})" for p in parts).encode("latin-1"), options)
