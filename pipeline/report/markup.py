"""HTML built from Python: every piece of text is escaped unless it is already `Html`.

Names of bodies, headlines and evidence sentences come from scraped articles, so any of them may hold `<`, `&`
or a quote. Building elements with `element()` escapes them by default; only markup this package made itself
(an `Html` value, an SVG from vl-convert) goes in as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

__all__ = ["Html", "element", "escape", "join", "link", "page", "table"]

# Only these schemes become links: an article's URL is input, and a `javascript:` one must stay text.
# (`claim_rows` applies the same rule in polars, from the same pattern.)
SAFE_URL_PATTERN = r"^https?://"
_SAFE_URL = re.compile(SAFE_URL_PATTERN, re.IGNORECASE)
# What a link to an article's page says of it: no endorsement, no opener, no referrer.
LINK_REL = "nofollow noopener noreferrer"


class Html(str):
    """Markup that is safe to insert as it is."""


def escape(text: object) -> Html:
    return text if isinstance(text, Html) else Html(html.escape(str(text), quote=True))


def join(children: Iterable) -> Html:
    """Children (text, markup, nested lists of either; None is left out) as one piece of markup."""
    parts = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, Iterable) and not isinstance(child, str):
            parts.append(join(child))
        else:
            parts.append(escape(child))
    return Html("".join(parts))


def element(tag: str, *children, **attributes) -> Html:
    """`<tag attr="value">children</tag>`; an attribute named with a trailing `_` (`class_`) loses it, one set to
    None is left out and one set to True is written bare."""
    attrs = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        attrs.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Html(f"<{tag}{''.join(attrs)}>{join(children)}</{tag}>")


def link(text: object, url: str | None, **attributes) -> Html:
    """A link to a web page when `url` is http(s); otherwise the text alone."""
    if url and _SAFE_URL.match(url):
        return element("a", text, href=url, rel=LINK_REL, **attributes)
    return escape(text)


def table(headers: list[str], rows: Iterable[list], *, numeric: frozenset[int] = frozenset(),
          class_: str | None = None) -> Html:
    """A table with a header row; columns whose index is in `numeric` are right-aligned."""
    head = element("thead", element("tr", [element("th", h, scope="col", class_="num" if i in numeric else None)
                                           for i, h in enumerate(headers)]))
    body = element("tbody", [element("tr", [element("td", cell, class_="num" if i in numeric else None)
                                            for i, cell in enumerate(row)]) for row in rows])
    return element("table", head, body, class_=class_)


def page(title: str, *content, stylesheet: str, home: str | None = None) -> bytes:
    """A whole HTML document: `stylesheet` and `home` (the link back to the index) are relative URLs."""
    header = element("header", element("a", "NHS Ledger report", href=home, class_="home") if home else
                     element("span", "NHS Ledger report", class_="home"))
    document = Html("<!DOCTYPE html>\n") + element(
        "html",
        element("head", Html('<meta charset="utf-8">'),
                Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
                element("title", title), Html(f'<link rel="stylesheet" href="{escape(stylesheet)}">')),
        element("body", header, element("main", *content)),
        lang="en-GB",
    ) + "\n"
    return document.encode("utf-8")
