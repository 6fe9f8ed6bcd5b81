"""Web archive files made for tests: the project's own fictional pages, and every kind of record a crawl holds.

Each file is written by the benchmark's `RecordWriter` (warcio, one gzip member a record as crawlers write
them, with fixed dates and record ids), so that the same call writes the same bytes. Beside the pages that become articles each file
holds what a real crawl is full of: a warcinfo and a request record, an image, a redirect, a 404, a page
about something else, a page of a host outside the allow-list, a page sent gzip-encoded and chunked, and
a metadata record. The pages' host (`PAGE_HOST`) is fictional, so tests name it in an allow-list file.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from pathlib import Path

from bench.articles import make_article
from bench.formats import DOMAIN, render_html
from bench.warc_files import RecordWriter

PAGE_HOST = DOMAIN.removeprefix("https://")
OUTSIDE_HOST = "www.outside-the-list.example"
# The allow-list the tests build with: the fictional news site, and NHS bodies' own sites.
DOMAINS_TEXT = f"# allow-list for tests\n{PAGE_HOST.removeprefix('www.')}\nnhs.uk\n"
FIRST_MONTH = "2025-06"
OFF_TOPIC_PAGE = ("<!DOCTYPE html><html><head><title>City sign striker for £5m</title></head><body><article>"
                  "<h1>City sign striker for £5m</h1><p>The club paid £5m for the forward, who joins on a "
                  "four-year contract after a season of 20 goals.</p></article></body></html>").encode()


@dataclass(frozen=True)
class Written:
    path: Path
    pages: dict[str, bytes]  # url -> the HTML payload of each page that must become an article
    records: int  # every record in the file
    passed_over: dict[str, int]  # warc_records outcome -> records of it


def domains_file(folder: Path) -> Path:
    path = folder / "domains.txt"
    path.write_text(DOMAINS_TEXT, encoding="utf-8")
    return path


def write_warc_batches(raw: Path, files: int = 3, pages_per_file: int = 3, *, folder: str = "crawl",
                       seed: int = 7) -> list[Written]:
    """`files` WARC files under raw/<folder>/ (each a batch of its own), `pages_per_file` articles each."""
    out = raw / folder
    out.mkdir(parents=True, exist_ok=True)
    return [write_warc(out / f"CC-NEWS-{FIRST_MONTH.replace('-', '')}01-{n:05d}.warc.gz",
                       range(n * pages_per_file, (n + 1) * pages_per_file), seed=seed)
            for n in range(files)]


def fictional_page(index: int, seed: int = 7) -> tuple[str, bytes]:
    """(url, HTML) of the bench generator's article `index`, as a news site's page."""
    article = make_article(seed, index, 10_000, FIRST_MONTH)
    html = render_html(article, random.Random(f"{seed}:{index}:page")).encode("utf-8")
    return f"{DOMAIN}/news/{article.published:%Y/%m}/{article.slug}", html


def write_warc(path: Path, indices: range, *, seed: int = 7, gzipped: bool = True) -> Written:
    writer = RecordWriter(path.name, seed, software="NHS Ledger tests (fictional pages)")
    writer.info()
    pages: dict[str, bytes] = {}
    for index in indices:
        url, html = fictional_page(index, seed)
        writer.request(url)
        writer.response(url, "200 OK", "text/html; charset=utf-8", html)
        pages[url] = html
    first = indices[0] if len(indices) else 0
    writer.response(f"{DOMAIN}/images/{first}.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    writer.response(f"{DOMAIN}/old/{first}", "301 Moved Permanently", "text/html", b"",
                    extra=[("Location", f"{DOMAIN}/new/{first}")])
    writer.response(f"{DOMAIN}/missing/{first}", "404 Not Found", "text/html", b"<html><body>Not found</body></html>")
    writer.response(f"{DOMAIN}/sport/{first}", "200 OK", "text/html", OFF_TOPIC_PAGE)
    outside_url, outside_html = fictional_page(first + 5_000, seed)
    writer.response(outside_url.replace(PAGE_HOST, OUTSIDE_HOST), "200 OK", "text/html", outside_html)
    # A page as a server sent it, gzip-encoded and chunked: the reader undoes both, so it is an article.
    encoded_url, encoded_html = fictional_page(first + 7_000, seed)
    writer.response(encoded_url, "200 OK", "text/html; charset=utf-8", _chunked(gzip.compress(encoded_html, mtime=0)),
                    extra=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
    pages[encoded_url] = encoded_html
    writer.metadata(encoded_url)
    data = writer.getvalue()
    path.write_bytes(data if gzipped else gzip.decompress(data))
    return Written(path, pages, writer.records, {"not html": 1, "redirect": 1, "error status": 1, "off topic": 1,
                                                 "outside domains": 1, "not a response": 2 + len(indices)})


def _chunked(data: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"
