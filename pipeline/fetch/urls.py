"""The list of links a fetch is given: one URL a line, blank lines and `#` comments skipped.

A line that is not an http(s) URL is not dropped in silence: it becomes a failure of the run, with its reason,
so that a typo in a journalist's list shows in the summary. A URL listed twice is fetched once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urldefrag, urlsplit

__all__ = ["NOT_HTTP", "Listed", "host_key", "is_http_url", "read_url_lines"]

NOT_HTTP = "not an http(s) URL"


@dataclass(frozen=True)
class Listed:
    line: int  # 1-based, in the list
    url: str  # the URL without its #fragment (never sent to a server), or the line's text when invalid
    problem: str | None = None


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, a bracket left open
        return False


def host_key(url: str) -> str:
    """What politeness counts per: scheme, host and port (robots.txt is per origin, RFC 9309 §2.3)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def read_url_lines(lines: Iterable[str]) -> list[Listed]:
    listed: list[Listed] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if any(c.isspace() for c in text) or not is_http_url(text):
            listed.append(Listed(number, text, NOT_HTTP))
            continue
        url = urldefrag(text).url
        if url not in seen:
            seen.add(url)
            listed.append(Listed(number, url))
    return listed
