"""The benchmark's web archives: a crawl in miniature made of its own fictional articles, and the writer of
deterministic WARC files that the tests' archives share (`tests/support/warcs.py`).

Each file is written with warcio, one gzip member a record as crawlers write them, with record ids and dates
derived from the file's name, a seed and the record's number, so the same call writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bench.articles import make_article
from bench.formats import DOMAIN, render_html


class RecordWriter:
    """A WARC file in memory, one record at a time: record ids from (seed, name, number), dates a second apart."""

    def __init__(self, name: str, seed: int, software: str = "NHS Ledger (fictional pages)"):
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=True)
        self.name, self.seed, self.software, self.records = name, seed, software, 0
        self.when = dt.datetime(2025, 6, 30, 12, 0, 0)

    def _headers(self) -> dict[str, str]:
        self.records += 1
        digest = hashlib.sha256(f"{self.seed}:{self.name}:{self.records}".encode()).digest()
        when = self.when + dt.timedelta(seconds=self.records)
        return {"WARC-Record-ID": f"<urn:uuid:{uuid.UUID(bytes=digest[:16])}>",
                "WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def info(self) -> None:
        record = self.writer.create_warcinfo_record(self.name, {"software": self.software})
        for name, value in self._headers().items():
            record.rec_headers.replace_header(name, value)
        self.writer.write_record(record)

    def request(self, url: str) -> None:
        http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", urlsplit(url).netloc)], is_http_request=True)
        self._write(url, "request", b"", http)

    def response(self, url: str, status: str, content_type: str, body: bytes, extra: list | None = None) -> None:
        http = StatusAndHeaders(status, [("Content-Type", content_type), *(extra or [])], protocol="HTTP/1.1")
        self._write(url, "response", body, http)

    def metadata(self, url: str) -> None:
        self._write(url, "metadata", b"fetchTimeMs: 120\r\n", None, content_type="application/warc-fields")

    def _write(self, url: str, kind: str, body: bytes, http, content_type: str | None = None) -> None:
        record = self.writer.create_warc_record(url, kind, payload=io.BytesIO(body), http_headers=http,
                                                warc_content_type=content_type, warc_headers_dict=self._headers())
        self.writer.write_record(record)

    def getvalue(self) -> bytes:
        return self.buffer.getvalue()


PAGE_HOST = DOMAIN.removeprefix("https://")
# Per page about NHS money, what else a news crawl holds (CC-NEWS pages pass the topic test far less often
# than one in eight; the ratio here keeps the extraction's share of the cost visible).
FILLER = (("off topic", 4), ("image", 1), ("redirect", 1), ("outside", 1))
_SPORT = ("<!DOCTYPE html><html><head><title>Match report</title></head><body><main><article><h1>City win at "
          "home</h1>" + "<p>The striker, signed for £5m in the summer, scored twice before half-time as City "
          "pressed high and kept the visitors in their own half for long spells.</p>" * 120
          + "</article></main></body></html>").encode()


def warc_folder(workdir: Path, pages: int, *, files: int = 4, seed: int = 11) -> Path:
    """raw/ with `files` WARC files holding `pages` pages about NHS money and their filler (cached)."""
    raw = workdir / f"warc-{pages}-{files}-{seed}" / "raw"
    done = raw.parent / "complete"
    if done.is_file():
        return raw
    out = raw / "crawl"
    out.mkdir(parents=True, exist_ok=True)
    per_file = -(-pages // files)
    for n in range(files):
        indices = range(n * per_file, min(pages, (n + 1) * per_file))
        name = f"CC-NEWS-20250601-{n:05d}.warc.gz"
        (out / name).write_bytes(_crawl_file(name, indices, seed))
    (raw.parent / "domains.txt").write_text(f"{PAGE_HOST}\n", encoding="utf-8")
    done.write_text("")
    return raw


def _crawl_file(name: str, indices: range, seed: int) -> bytes:
    writer = RecordWriter(name, seed)
    image = random.Random(seed).randbytes(40_000)
    for index in indices:
        article = make_article(seed, index, 10_000, "2025-06")
        page = render_html(article, random.Random(f"{seed}:{index}:page")).encode("utf-8")
        writer.response(f"{DOMAIN}/news/{article.slug}", "200 OK", "text/html; charset=utf-8", page)
        for kind, times in FILLER:
            for k in range(times):
                if kind == "off topic":
                    writer.response(f"{DOMAIN}/sport/{index}-{k}", "200 OK", "text/html", _SPORT)
                elif kind == "image":
                    writer.response(f"{DOMAIN}/img/{index}.jpg", "200 OK", "image/jpeg", image)
                elif kind == "redirect":
                    writer.response(f"{DOMAIN}/r/{index}", "301 Moved Permanently", "text/html", b"")
                else:
                    writer.response(f"https://www.elsewhere.example/news/{index}", "200 OK", "text/html", page)
    return writer.getvalue()
