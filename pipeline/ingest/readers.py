"""Turn raw input files into cleaned articles, or into rejections with a reason.

Every input ends in exactly one of the two: a file (or a record of a JSON Lines
file) that cannot be read is returned as a `Rejection` naming what was wrong,
never dropped, and never raises, so one bad input cannot stop a run.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.clean import clean_page_text
from pipeline.ingest.datelines import find_dateline, url_date
from pipeline.ingest.inventory import WARC_SUFFIXES, RawFile, article_id_from_sha256, is_warc, sha256_hex
from pipeline.ingest.warc import Break, Page, RecordCount, read_warc

# One article larger than this is not news copy; the cap also bounds memory per input.
MAX_ARTICLE_BYTES = 5_000_000
# A JSON Lines file is streamed record by record, so it may be far larger than one article.
MAX_JSONL_BYTES = 2_000_000_000
FORMAT_BY_SUFFIX = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
# ASCII control characters other than tab, line feed and carriage return: text has few, binary data many.
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20)) + b"\x7f"
# Only the start of a text is examined for control characters.
_CONTROL_SAMPLE_CHARS = 20000


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    source_path: str
    source_format: str
    url: str | None
    title: str
    published_on: dt.date | None
    published_on_source: str | None  # which of schemas.tables.PUBLISHED_ON_SOURCES gave published_on
    body_text: str
    content_sha256: str
    n_removed_chars: int
    batch: str


@dataclass(frozen=True, slots=True)
class Rejection:
    source_path: str
    reason: str
    detail: str
    content_sha256: str | None
    batch: str


class Unreadable(Exception):
    """An input that cannot become an article; `reason` is one of the rejection reasons."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def read_batch(files: list[RawFile], known_article_ids: dict[str, str] | None = None) -> tuple[list[Article], list[Rejection]]:
    """Read one batch of raw files. `known_article_ids` maps ids already ingested to their source path,
    so an input identical to an earlier one is recorded as a duplicate rather than ingested twice."""
    return settle_duplicates([item for raw in files for item in read_file(raw)], known_article_ids or {})


def _inputs(items: list[Article | Rejection | RecordCount]) -> list[Article | Rejection]:
    return [item for item in items if not isinstance(item, RecordCount)]


def record_counts(items: list[Article | Rejection | RecordCount]) -> list[RecordCount]:
    """The `warc_records` rows among what a batch's files read as."""
    return [item for item in items if isinstance(item, RecordCount)]


def settle_duplicates(items: list[Article | Rejection | RecordCount], known_article_ids: dict[str, str]
                      ) -> tuple[list[Article], list[Rejection]]:
    """Split what a batch's files read as (in file order) into articles and rejections: an article with the same
    bytes as one in `known_article_ids` (id -> source path) or earlier in the batch is rejected as a duplicate.
    Apart from `read_batch`, so that reading (pure, done by worker processes) and this (which depends on the
    batches before) can happen in different processes."""
    seen = dict(known_article_ids)
    articles: list[Article] = []
    rejections: list[Rejection] = []
    for item in _inputs(items):
        if isinstance(item, Article) and item.article_id in seen:
            item = Rejection(item.source_path, "duplicate", f"same bytes as {seen[item.article_id]}",
                             item.content_sha256, item.batch)
        if isinstance(item, Article):
            seen[item.article_id] = item.source_path
            articles.append(item)
        else:
            rejections.append(item)
    return articles, rejections


def read_file(raw: RawFile) -> list[Article | Rejection | RecordCount]:
    """What one raw file reads as: its article, its records' articles, or rejections; and for a WARC file its
    counts per outcome (`warc_records`)."""
    try:
        if raw.problem:
            reason = "outside raw folder" if "outside the raw folder" in raw.problem else "unreadable record"
            raise Unreadable(reason, raw.problem)
        if is_warc(raw.source_path):
            return list(_read_warc(raw))
        source_format = FORMAT_BY_SUFFIX.get(raw.path.suffix.lower())
        if source_format is None:
            raise Unreadable("unsupported format", f"no reader for files ending {raw.path.suffix or '(no suffix)'!r}; "
                             f"supported: {', '.join(sorted([*FORMAT_BY_SUFFIX, *WARC_SUFFIXES]))}")
        if source_format == "jsonl":
            return list(_read_jsonl(raw))
        data = _read_bytes(raw, MAX_ARTICLE_BYTES)
        return [_article_from_document(data, raw.source_path, source_format, raw.batch)]
    except Unreadable as exc:
        return [Rejection(raw.source_path, exc.reason, exc.detail, _sha_or_none(raw), raw.batch)]


def _sha_or_none(raw: RawFile) -> str | None:
    try:
        if raw.problem or raw.size_bytes > MAX_JSONL_BYTES:
            return None
        return sha256_hex(raw.path.read_bytes())
    except OSError:
        return None


def _read_bytes(raw: RawFile, limit: int) -> bytes:
    if raw.size_bytes > limit:
        raise Unreadable("too large", f"{raw.size_bytes:,} bytes; the limit for one article is {limit:,}")
    try:
        return raw.path.read_bytes()
    except OSError as exc:
        raise Unreadable("unreadable record", f"cannot read the file: {exc.strerror or exc}") from exc


def _article_from_document(data: bytes, source_path: str, source_format: str, batch: str,
                           url: str | None = None, title: str | None = None,
                           published_on: dt.date | None = None, identity: bytes | None = None,
                           archived_on: dt.date | None = None) -> Article:
    """The article in `data`; `identity` is the raw input it is identified by (default: `data` itself).
    A `published_on` given is a JSON Lines record's own date; `archived_on`, a web archive's record date,
    is the date of last resort, when the page gives none of its own."""
    if not data.strip():
        raise Unreadable("empty", "the input has no content" if not data else "the input is only white space")
    text = decode_text(data)
    published_on_source = None if published_on is None else "jsonl"
    if source_format in ("html", "warc") or _HTML_START.match(data[:2048]):
        source_format = "html" if source_format == "txt" else source_format
        # Imported at the first page: trafilatura takes half a second to import, and a build of text files
        # (or a build whose pages go to the workers, which import it as they start) never needs it here.
        from pipeline.ingest.html import extract_html

        page = extract_html(data)
        if page is None or not page.text.strip():
            raise Unreadable("no text", "no article text found in the HTML page")
        cleaned = clean_page_text(page.text, title_hint=title or page.title)
        url = url or page.url
        if published_on is None and page.published_on is not None:
            published_on, published_on_source = page.published_on, "html_meta"
        text = page.text  # where a date line can be: the page's own text, not its markup
        removed = page.n_removed_chars + cleaned.n_removed_chars
    else:
        cleaned = clean_page_text(text, title_hint=title)
        removed = cleaned.n_removed_chars
    if not cleaned.body_text.strip():
        raise Unreadable("no text", "nothing left once page furniture and comments were removed")
    if published_on is None:
        # Read from the text before cleaning: a date line is furniture the cleaner may drop.
        published_on, published_on_source = _own_date(text, url)
    if published_on is None and archived_on is not None:
        published_on, published_on_source = archived_on, "warc_date"
    content_sha256 = sha256_hex(data if identity is None else identity)
    return Article(
        article_id=article_id_from_sha256(content_sha256),
        source_path=source_path,
        source_format=source_format,
        url=url,
        title=cleaned.title,
        published_on=published_on,
        published_on_source=published_on_source,
        body_text=cleaned.body_text,
        content_sha256=content_sha256,
        n_removed_chars=removed,
        batch=batch,
    )


def _own_date(text: str, url: str | None) -> tuple[dt.date | None, str | None]:
    """The date an input without a metadata date gives itself: its date line first, its URL last."""
    dateline = find_dateline(text)
    if dateline is not None:
        return dateline, "dateline"
    from_url = url_date(url)
    return (from_url, "url") if from_url is not None else (None, None)


def decode_text(data: bytes) -> str:
    """Decode an input's bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[len(codecs.BOM_UTF8):], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16")
    elif b"\x00" in data[:4096]:
        raise Unreadable("binary", "NUL bytes: not a text file")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Older UK news pages are often saved as Windows-1252; if that fails too, the bytes are not text.
            text = _decode(data, "cp1252")
    sample = text[:_CONTROL_SAMPLE_CHARS]
    controls = _count_controls(sample)
    if controls > max(3, len(sample) // 100):
        raise Unreadable("binary", f"{controls} control characters in the first 20,000: not text")
    return text


def _count_controls(text: str) -> int:
    """How many ASCII control characters (but tab, LF, CR) `text` holds.

    Counted on the UTF-8 bytes, where each of them is one byte and no other character has a byte
    below 0x80: bytes.translate is many times faster than a regular expression over the str.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Unreadable("undecodable", f"not valid UTF-8 or {encoding}: {exc.reason} at byte {exc.start}") from exc


def _read_jsonl(raw: RawFile):
    if raw.size_bytes > MAX_JSONL_BYTES:
        raise Unreadable("too large", f"{raw.size_bytes:,} bytes; the limit for a JSON Lines file is {MAX_JSONL_BYTES:,}")
    record_no = 0
    try:
        handle = raw.path.open("rb")
    except OSError as exc:
        raise Unreadable("unreadable record", f"cannot read the file: {exc.strerror or exc}") from exc
    with handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            record_no += 1
            source_path = f"{raw.source_path}#{record_no}"
            try:
                yield _article_from_record(line, line_no, source_path, raw.batch)
            except Unreadable as exc:
                yield Rejection(source_path, exc.reason, exc.detail, sha256_hex(line), raw.batch)
    if record_no == 0:
        # A file with no record would otherwise leave no trace in either table.
        raise Unreadable("empty", "the input has no content" if not raw.size_bytes else
                         "the JSON Lines file holds only blank lines")


def _read_warc(raw: RawFile):
    for item in read_warc(raw, max_payload=MAX_ARTICLE_BYTES):
        if isinstance(item, Page):
            yield _article_from_page(item, raw.batch)
        elif isinstance(item, Break):
            # The bytes of a broken record are not a whole input: nothing to identify it by.
            yield Rejection(item.source_path, "unreadable record", item.detail, None, raw.batch)
        else:
            yield item


def _article_from_page(page: Page, batch: str) -> Article | Rejection:
    if page.payload is None:
        return Rejection(page.source_path, "too large", f"{page.declared_bytes:,} bytes; the limit for one article "
                         f"is {MAX_ARTICLE_BYTES:,}", None, batch)
    try:
        # Identified by the page's own bytes, so the page archived and the page saved as .html are one article.
        return _article_from_document(page.payload, page.source_path, "warc", batch, url=page.url or None,
                                      archived_on=page.record_date)
    except Unreadable as exc:
        return Rejection(page.source_path, exc.reason, exc.detail, sha256_hex(page.payload), batch)


def _article_from_record(line: bytes, line_no: int, source_path: str, batch: str) -> Article:
    if len(line) > MAX_ARTICLE_BYTES:
        raise Unreadable("too large", f"line {line_no} has {len(line):,} bytes; the limit for one article is {MAX_ARTICLE_BYTES:,}")
    try:
        record = json.loads(decode_text(line.removeprefix(codecs.BOM_UTF8)))
    except json.JSONDecodeError as exc:
        raise Unreadable("unreadable record", f"line {line_no} is not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(record, dict):
        raise Unreadable("unreadable record", f"line {line_no} is a JSON {type(record).__name__}, not an object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Unreadable("no text", f"line {line_no} has no non-empty \"text\" field")
    if not _encodable(text):
        raise Unreadable("undecodable", f"line {line_no}: \"text\" holds a \\u escape of a lone surrogate, "
                                        "which is not a character")
    url = _string_field(record, "url")
    title = _string_field(record, "title")
    published_on = _parse_date(record.get("published"))
    # The article's identity is the record's own bytes, so the same record in two files is one article.
    return _article_from_document(text.encode("utf-8"), source_path, "jsonl", batch, url, title, published_on,
                                  identity=line)


def _encodable(value: str) -> bool:
    """JSON can escape a lone surrogate ("\\ud800"): Python holds it in a str, but no UTF-8 file (Parquet) can."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _string_field(record: dict, name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) and value.strip() and _encodable(value) else None


def _parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
