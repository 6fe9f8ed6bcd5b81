"""Extract the article from an HTML page: main text, headline, canonical URL and publication date.

What belongs here: turning one HTML document (str or bytes) into an ``HtmlArticle`` with
trafilatura, plus the few metadata look-ups trafilatura does not do the way the dataset needs
(the canonical URL wins over og:url). Furniture that survives extraction (a cookie line, a
"Have your say" heading) is the cleaner's job: callers run
``clean_page_text(article.text, title_hint=article.title)`` next.

No network: trafilatura is handed the document itself, never a URL, and date extraction is
limited to the page's own metadata. Engine code: no Dagster import.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from html import unescape

import trafilatura
from htmldate import find_date
from lxml import html as lxml_html
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Extractor
from trafilatura.utils import line_processing, load_html

__all__ = ["HtmlArticle", "extract_html"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HtmlArticle:
    title: str | None
    text: str  # the main text as trafilatura gives it (paragraphs separated by "\n")
    url: str | None
    published_on: datetime.date | None
    n_removed_chars: int  # visible text of the page not kept in text (approximate, never negative)


# Elements whose content is never article text. Removing them before extraction means no
# script, iframe or embedded document can reach `text` even if trafilatura's own cleaning
# changes; JSON-LD scripts stay because trafilatura reads the headline and date from them.
_INVISIBLE_TAGS = (
    "script", "style", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "template", "svg", "canvas", "applet",
)
# Visible, but never the article: without this a page holding only a menu would have its
# menu returned as "main text" by trafilatura's whole-page fallback.
_NAVIGATION_TAGS = ("nav",)
_JSON_LD = "application/ld+json"

# Only the page's metadata may date an article here: a date guessed from the body text ("by
# 2020/21") would be wrong, and the extensive search is what would look for one. A page with no
# metadata date is dated by readers.py from a date line at the top of its text (datelines.py).
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
# Built once: bare_extraction would otherwise rebuild it (and re-read trafilatura's config) for every
# page. Metadata is off because extract_metadata's author, category, tag and licence searches cost more
# than the text extraction's own cleaning; _page_metadata takes the three fields used here instead.
_EXTRACTOR = Extractor(
    output_format="python",
    comments=False,
    tables=True,
    images=False,
    links=False,
    date_params=_DATE_PARAMS,
)
# trafilatura's Document.clean_and_trim: longer metadata values are cut to this many characters.
_MAX_METADATA_CHARS = 10000


def extract_html(html: str | bytes) -> HtmlArticle | None:
    """Return the page's article, or None when no main text can be found (or the page is not HTML)."""
    tree = _parse(html)
    if tree is None:
        return None
    _drop_invisible(tree)
    visible_chars = _visible_chars(tree)  # menus count as removed text, so measure before they go
    _drop_navigation(tree)
    url = _canonical_url(tree)
    try:
        doc = trafilatura.bare_extraction(tree, options=_EXTRACTOR)
        text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
        if not text:
            return None
        title, page_url, date = _page_metadata(tree)
    except Exception:  # noqa: BLE001 - one unparseable page must not stop a batch; None marks it
        log.warning("trafilatura failed on a page", exc_info=True)
        return None
    return HtmlArticle(
        title=_clean_str(title),
        text=text,
        url=url or _absolute_url(page_url),
        published_on=_parse_date(date),
        n_removed_chars=max(0, visible_chars - len(text)),
    )


def _page_metadata(tree: lxml_html.HtmlElement) -> tuple[str | None, str | None, str | None]:
    """(title, url, date) exactly as ``trafilatura.metadata.extract_metadata`` finds them.

    The same steps in the same order, minus the fields nothing here reads (author, site name,
    categories, tags, licence). None of the steps changes the tree, so running them after the
    text extraction (and only when there is text) gives what running them before would.
    tests/test_ingest_fast_paths.py compares the two on sample pages, so a trafilatura upgrade
    that changes the steps is caught.
    """
    metadata = examine_meta(tree)
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - extract_metadata tolerates its JSON-LD reader's bugs the same way
        log.debug("error in JSON-LD metadata", exc_info=True)
    title = metadata.title or extract_title(tree)
    url = metadata.url or extract_url(tree)
    date = find_date(tree, **_DATE_PARAMS, url=url)
    return _trimmed(title), _trimmed(url), _trimmed(date)


def _trimmed(value: str | None) -> str | None:
    """What Document.clean_and_trim makes of one metadata value."""
    if not isinstance(value, str):
        return value
    if len(value) > _MAX_METADATA_CHARS:
        value = value[: _MAX_METADATA_CHARS - 1] + "…"
    return line_processing(unescape(value))


def _parse(html: str | bytes) -> lxml_html.HtmlElement | None:
    if isinstance(html, (bytes, bytearray)):
        html = bytes(html)
    elif not isinstance(html, str):
        return None
    if not html.strip():
        return None
    try:
        tree = load_html(html)  # decodes bytes by the page's declared or detected charset
    except Exception:  # noqa: BLE001 - malformed markup is a rejected input, not a crash
        return None
    return tree if isinstance(tree, lxml_html.HtmlElement) else None


def _drop_invisible(tree: lxml_html.HtmlElement) -> None:
    for el in list(tree.iter(*_INVISIBLE_TAGS)):
        if el.tag == "script" and (el.get("type") or "").strip().lower() == _JSON_LD:
            continue
        el.drop_tree()  # keeps the element's tail text, which belongs to the parent


def _drop_navigation(tree: lxml_html.HtmlElement) -> None:
    for el in list(tree.iter(*_NAVIGATION_TAGS)):
        el.drop_tree()


def _visible_chars(tree: lxml_html.HtmlElement) -> int:
    """Characters of the text nodes a reader could see (whitespace runs counted as one)."""
    body = tree.find("body")
    root = body if body is not None else tree
    total = 0
    for el in root.iter():
        # Comments, processing instructions and kept JSON-LD show nothing; their tail text does.
        shows_text = isinstance(el.tag, str) and el.tag != "script"
        for chunk in ((el.text if shows_text else None), el.tail if el is not root else None):
            if chunk:
                total += len(" ".join(chunk.split()))
    return total


def _canonical_url(tree: lxml_html.HtmlElement) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            url = _absolute_url(link.get("href"))
            if url:
                return url
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            url = _absolute_url(meta.get("content"))
            if url:
                return url
    return None


def _absolute_url(value: str | None) -> str | None:
    # A relative URL cannot be resolved without knowing where the page came from.
    value = (value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else None


def _parse_date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _clean_str(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None
