"""Web archives in: each record of a WARC file becomes an article, a rejected input, or a count with its reason.

A WARC file is read record by record with FastWARC, so memory is bounded by one record whatever the file's
size, gzip members (`.warc.gz`) included. A `response` record with HTTP status 200, an HTML payload, a host
on the allow-list (`warc_domains.py`) and the look of a page about NHS money (`warc_topic.py`) goes through the same
main-text extraction as a saved `.html` page, and is identified by the same bytes (its HTTP payload), so a
page archived and saved by hand is one article. Every other record is counted in `warc_records` with the
reason it was passed over; a file that breaks (cut short, a damaged gzip member) is a `rejected_inputs` row
naming the byte where it broke, after the records before it have counted.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from fastwarc.stream_io import BrotliReader, ChunkedReader, GzipReader
from fastwarc.warc import ArchiveIterator, WarcRecordType

from pipeline.ingest import warc_domains, warc_topic
from pipeline.ingest.inventory import RawFile
from schemas.tables import WARC_OUTCOMES

# What became of a record, in the order `warc_records` lists them: the registry's enum of its `outcome`.
OUTCOMES = WARC_OUTCOMES
READ, OFF_TOPIC, OUTSIDE_DOMAINS, NOT_HTML, REDIRECT, ERROR_STATUS, OTHER_STATUS, NOT_HTTP, NOT_RESPONSE, BROKEN = OUTCOMES
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Fields WARC 1.0 and 1.1 require of every record: a record without them is a header cut short.
_REQUIRED_HEADERS = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")
_STREAM_BUFFER = 1 << 16


@dataclass(frozen=True, slots=True)
class RecordCount:
    """One row of `warc_records`: how many records of one WARC file had one outcome."""
    source_path: str  # the WARC file, relative to the raw folder
    outcome: str
    n_records: int
    n_bytes: int  # the records' declared content lengths
    batch: str


@dataclass(frozen=True, slots=True)
class Page:
    """A record that passed every test: what `readers` makes an article (or a rejected input) of."""
    source_path: str  # the WARC file's, with `#<byte offset of the record>`
    payload: bytes | None  # the HTTP body, decoded from its transfer and content encodings; None: too large
    url: str
    record_date: dt.date | None
    declared_bytes: int


@dataclass(frozen=True, slots=True)
class Break:
    """Where a WARC file stopped being readable (byte 0 when it never was): one `broken` record of its counts."""
    source_path: str  # the WARC file's, with `#<byte offset where it broke>`
    detail: str


def read_warc(raw: RawFile, *, max_payload: int) -> Iterator[Page | Break | RecordCount]:
    """The pages of one WARC file, then where it broke (if it did), then its counts per outcome."""
    try:
        handle = raw.path.open("rb")
    except OSError as exc:
        yield Break(f"{raw.source_path}#0", f"cannot read the file: {exc.strerror or exc}")
        yield RecordCount(raw.source_path, BROKEN, 1, 0, raw.batch)
        return
    with handle:
        yield from read_warc_stream(handle, raw.source_path, raw.batch, max_payload=max_payload,
                                    gzipped=raw.source_path.lower().endswith(".gz"), path=raw.path)


def read_warc_stream(stream: BinaryIO, source_path: str, batch: str, *, max_payload: int, gzipped: bool,
                     path: Path | None = None) -> Iterator[Page | Break | RecordCount]:
    """`read_warc` over any binary stream (a file, a pipe, a download): read once, front to back."""
    if not _seekable(stream):
        stream = _Positioned(stream)
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    position = 0
    try:
        for record in ArchiveIterator(stream, parse_http=True):
            position = record.stream_pos
            outcome, item = _judge(record, source_path, max_payload)
            counts[outcome] += 1
            sizes[outcome] += max(record.content_length, 0)
            if item is not None:
                yield item
            if outcome == BROKEN:
                break
    except BaseException as exc:
        # FastWARC's Rust core reports a failure it did not foresee as a PanicException, not an Exception.
        if not isinstance(exc, (OSError, ValueError, RuntimeError)) and type(exc).__name__ != "PanicException":
            raise
        # FastWARC stops at a gzip member it cannot inflate: find the member's own offset, which it does not say.
        offset = _broken_member(path) if gzipped and path is not None else None
        where = f"{source_path}#{offset if offset is not None else position}"
        yield Break(where, f"the WARC file cannot be read past byte {offset if offset is not None else position:,}"
                           f" ({exc}); the records before it are kept")
        counts[BROKEN] += 1
    if not counts:
        yield Break(f"{source_path}#0", "no WARC record found: the file is empty or not a WARC file")
        counts[BROKEN] += 1
    for outcome in OUTCOMES:
        if counts[outcome]:
            yield RecordCount(source_path, outcome, counts[outcome], sizes[outcome], batch)


def _seekable(stream) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Positioned(io.RawIOBase):
    """A stream that cannot seek (a pipe, a download), with the `tell()` FastWARC asks of it once."""

    def __init__(self, inner: BinaryIO):
        self.inner, self.position = inner, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.inner.readinto(buffer)
        self.position += n or 0
        return n

    def tell(self) -> int:
        return self.position


def _judge(record, source_path: str, max_payload: int) -> tuple[str, Page | Break | None]:
    headers = record.headers
    where = f"{source_path}#{record.stream_pos}"
    missing = [name for name in _REQUIRED_HEADERS if name not in headers]
    if missing:
        return BROKEN, Break(where, f"the WARC record at byte {record.stream_pos:,} is cut short: no "
                                    f"{', '.join(missing)} header; the records before it are kept")
    if record.record_type != WarcRecordType.response:
        return _passed_over(record, where, NOT_RESPONSE)
    http = record.http_headers
    if http is None:
        # A `dns:` or `whois:` response, or an HTTP header cut short.
        return _passed_over(record, where, NOT_HTTP)
    status = http.status_code
    if status != 200:
        return _passed_over(record, where, REDIRECT if 300 <= status < 400 else
                            ERROR_STATUS if status >= 400 else OTHER_STATUS)
    content_type = (record.http_content_type or "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        return _passed_over(record, where, NOT_HTML)
    url = headers.get("WARC-Target-URI", "").strip().strip("<>")
    if not warc_domains.allowed(urlsplit(url).hostname or ""):
        return _passed_over(record, where, OUTSIDE_DOMAINS)
    date = _record_date(record)
    if record.content_length > max_payload:
        outcome, item = _passed_over(record, where, READ)
        return outcome, item or Page(where, None, url, date, record.content_length)
    raw = record.reader.read()
    if len(raw) < record.content_length:
        return BROKEN, _cut_short(record, where, len(raw))
    payload = _decoded(raw, http)
    if payload is None:
        # An encoding this reader cannot undo: the page is read as it is and rejected as undecodable there.
        payload = raw
    if not content_type and not warc_topic.looks_like_html(payload):
        return NOT_HTML, None
    if not warc_topic.on_topic(payload):
        return OFF_TOPIC, None
    return READ, Page(where, payload, url, date, record.content_length)


def _passed_over(record, where: str, outcome: str) -> tuple[str, Break | None]:
    """`outcome` for a record whose body is not needed, read past to the next; unless it is cut short."""
    present = record.reader.consume()
    if present < record.content_length:
        return BROKEN, _cut_short(record, where, present)
    return outcome, None


def _cut_short(record, where: str, present: int) -> Break:
    return Break(where, f"the WARC record at byte {record.stream_pos:,} is cut short: "
                        f"{record.content_length:,} bytes declared, {present:,} present; the records before it are kept")


def _record_date(record) -> dt.date | None:
    try:
        when = record.record_date
    except (ValueError, OSError):
        return None
    return when.date() if when is not None else None


def _decoded(raw: bytes, http) -> bytes | None:
    """The HTTP body without its transfer and content encodings (None: one this reader does not know).

    Crawlers such as Common Crawl's store bodies decoded (renaming the headers); others keep them as sent."""
    data = raw
    transfer = (http.get("Transfer-Encoding") or "").strip().lower()
    if "chunked" in transfer:
        data = _through(ChunkedReader, data)
    for coding in reversed([c.strip() for c in (http.get("Content-Encoding") or "").lower().split(",") if c.strip()]):
        if data is None:
            return None
        if coding in ("gzip", "x-gzip"):
            data = _through(GzipReader, data)
        elif coding == "deflate":
            data = _inflate(data)
        elif coding == "br":
            data = _through(BrotliReader, data)
        elif coding != "identity":
            return None
    return data


def _through(reader_class, data: bytes) -> bytes | None:
    try:
        reader = reader_class(io.BytesIO(data))
        parts = []
        while chunk := reader.read(_STREAM_BUFFER):
            parts.append(chunk)
        return b"".join(parts)
    except (OSError, ValueError):
        return None


def _inflate(data: bytes) -> bytes | None:
    # "deflate" is zlib-wrapped by the RFC and raw deflate in practice: try both, as browsers do.
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            return zlib.decompress(data, wbits)
        except zlib.error:
            continue
    return None


def _broken_member(path: Path) -> int | None:
    """The byte offset of the first gzip member of `path` that does not inflate (None: every member does)."""
    try:
        handle = path.open("rb")
    except OSError:
        return None
    with handle:
        start, consumed, fed = 0, 0, False
        inflater = zlib.decompressobj(wbits=31)
        while True:
            chunk = handle.read(_STREAM_BUFFER)
            if not chunk:
                return start if fed else None  # a member begun and never ended is cut short
            while chunk:
                fed = True
                try:
                    inflater.decompress(chunk)
                except zlib.error:
                    return start
                if not inflater.eof:
                    consumed += len(chunk)
                    break
                rest = inflater.unused_data
                consumed += len(chunk) - len(rest)
                start, chunk, fed = consumed, rest, False
                inflater = zlib.decompressobj(wbits=31)
