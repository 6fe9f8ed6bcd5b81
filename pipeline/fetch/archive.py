"""The WARC file of one fetch run: `<dest>/fetch-<UTC time>.warc.gz`, written with warcio, gzip record by record.

The file is written in the hidden `<dest>/.fetch/partial/` folder and renamed into `<dest>` when the run ends,
so the pipeline's raw-folder inventory (which skips hidden names) never sees half a file. It is opened with
its first record: a run that saves nothing writes no file at all. Each URL's records (a request and a response
record per hop, the redirects' 3xx included) are built in memory and appended whole, and the length of the
last whole append is remembered, so an interrupt in the middle of a write cannot leave a broken record at the
end of the file kept.

Payloads are stored decoded, as Common Crawl stores them: httpx undoes Content-Encoding (gzip, br), so the
headers that would tell a reader to undo it again are renamed `X-Crawler-*`, and Content-Length is the
length of the stored body. A reader gets the page's HTML bytes as the server meant them.
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from pipeline.fetch.client import USER_AGENT, Exchange
from pipeline.warehouse.atomic import as_machine_fault

__all__ = ["FETCH_DIR", "WarcArchive", "stored_headers"]

FETCH_DIR = ".fetch"
_RENAMED = ("content-encoding", "transfer-encoding")


def stored_headers(exchange: Exchange) -> list[tuple[str, str]]:
    """The response headers as they describe the stored (decoded, unchunked) body."""
    kept: list[tuple[str, str]] = []
    for name, value in exchange.headers:
        lower = name.lower()
        if lower in _RENAMED or (lower == "content-length" and value.strip() != str(len(exchange.body))):
            kept.append((f"X-Crawler-{name}", value))
        elif lower != "content-length":
            kept.append((name, value))
    kept.append(("Content-Length", str(len(exchange.body))))
    return kept


class WarcArchive:
    def __init__(self, dest: Path, started: datetime):
        self.dest = Path(dest)
        self.stamp = started.strftime("%Y%m%dT%H%M%SZ")
        self.name: str | None = None  # chosen when the first record is written
        self._partial: Path | None = None
        self._file: io.BufferedWriter | None = None
        self._whole = 0  # bytes of whole records written

    def add(self, exchanges: list[Exchange]) -> int:
        """Append one URL's hops, the final response last; the offset of that final response record."""
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
        if self._file is None:
            self._open(writer)
        offset = 0
        for exchange in exchanges:
            offset = self._whole + buffer.tell()
            _write_pair(writer, exchange)
        with as_machine_fault(self._partial):
            self._file.write(buffer.getvalue())
            self._file.flush()
        self._whole += buffer.tell()
        return offset

    def commit(self) -> Path | None:
        """Put the file in place (its whole records only); None when nothing was written."""
        if self._file is None:
            return None
        target = self.dest / self.name
        try:
            with as_machine_fault(target):
                self._file.truncate(self._whole)
                os.fsync(self._file.fileno())
                self._file.close()
                os.replace(self._partial, target)
                _sync_folder(self.dest)
        except BaseException:
            self.discard()  # a file that cannot be put in place whole is not put there at all
            raise
        self._file = None
        return target

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._partial.unlink(missing_ok=True)
            self._file = None

    def _open(self, writer: WARCWriter) -> None:
        # Two runs in one second (a rerun with one new link) must not replace each other's file.
        name, n = f"fetch-{self.stamp}.warc.gz", 1
        while (self.dest / name).exists():
            n += 1
            name = f"fetch-{self.stamp}-{n}.warc.gz"
        self.name = name
        folder = self.dest / FETCH_DIR / "partial"
        self._partial = folder / f"{name}.{os.getpid()}"
        with as_machine_fault(self._partial):
            folder.mkdir(parents=True, exist_ok=True)
            self._file = open(self._partial, "wb")
        writer.write_record(writer.create_warcinfo_record(name, {
            "software": USER_AGENT,
            "format": "WARC File Format 1.1",
            "robots": "obey",
            "http-header-user-agent": USER_AGENT,
        }))


def _write_pair(writer: WARCWriter, exchange: Exchange) -> None:
    # warcio writes a naive datetime as UTC, and an aware one wrongly (`+00:00Z`).
    date = datetime_to_iso_date(exchange.fetched_at.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)
    protocol = exchange.http_version if exchange.http_version.startswith("HTTP/") else "HTTP/1.1"
    response = writer.create_warc_record(
        exchange.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
        warc_headers_dict={"WARC-Date": date},
        http_headers=StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(), stored_headers(exchange),
                                      protocol=protocol))
    request = writer.create_warc_record(
        exchange.url, "request", warc_headers_dict={"WARC-Date": date},
        http_headers=StatusAndHeaders(exchange.request_line, exchange.request_headers, is_http_request=True))
    writer.write_request_response_pair(request, response)  # the response first, then its request


def _sync_folder(folder: Path) -> None:
    # The rename is only durable once the folder's own entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
