"""A web archive of any size made on the fly, never held whole: for the test that reading one is bounded in memory.

`python -m tests.support.warc_stream BYTES` streams BYTES of uncompressed WARC through the reader in this
process and prints, as JSON, the records counted per outcome, the pages read and the peak memory (RSS) it
took over what the process held before: run in a process of its own so that nothing else moves the peak.
"""

from __future__ import annotations

import io
import json
import resource
import sys

from bench.warc_files import RecordWriter
from tests.support.warcs import DOMAINS_TEXT, OFF_TOPIC_PAGE, PAGE_HOST, fictional_page


def _templates() -> list[bytes]:
    """The records the stream repeats: pages about NHS money, large pages about other things, images."""
    records = []
    for n in range(3):
        writer = RecordWriter(f"stream-{n}", n)
        url, page = fictional_page(n)
        writer.response(url, "200 OK", "text/html; charset=utf-8", page)
        writer.response(f"https://{PAGE_HOST}/sport/{n}", "200 OK", "text/html",
                        OFF_TOPIC_PAGE.replace(b"</article>", b"<p>More on the match.</p>" * 8000 + b"</article>"))
        writer.response(f"https://{PAGE_HOST}/images/{n}.jpg", "200 OK", "image/jpeg", bytes(range(256)) * 4096)
        writer.response(f"https://{PAGE_HOST}/old/{n}", "302 Found", "text/html", b"")
        import gzip
        records.append(gzip.decompress(writer.getvalue()))
    return records


class GeneratedWarc(io.RawIOBase):
    """`size` bytes (at least) of WARC records, made as they are read."""

    def __init__(self, size: int):
        self.templates, self.size, self.sent, self.records = _templates(), size, 0, 0
        self.pending, self.next = memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self.pending:
            if self.sent >= self.size:
                return 0
            self.pending = memoryview(self.templates[self.next % len(self.templates)])
            self.next += 1
            self.records += 4
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending, self.sent = self.pending[n:], self.sent + n
        return n


def _rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def main() -> None:
    import os
    import tempfile

    from pipeline.ingest import warc_domains
    from pipeline.ingest.warc import Page, RecordCount, read_warc_stream

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(DOMAINS_TEXT)
    os.environ[warc_domains.DOMAINS_ENV] = handle.name
    size = int(sys.argv[1])
    # Warm up (imports, compiled patterns, the first buffers), so the baseline holds what any read needs.
    for _ in read_warc_stream(io.BufferedReader(GeneratedWarc(4 << 20)), "warm.warc", "warm", max_payload=5_000_000,
                              gzipped=False):
        pass
    baseline = _rss_peak()
    stream = GeneratedWarc(size)
    counts, pages = {}, 0
    for item in read_warc_stream(io.BufferedReader(stream, 1 << 16), "big.warc", "big", max_payload=5_000_000,
                                 gzipped=False):
        if isinstance(item, RecordCount):
            counts[item.outcome] = item.n_records
        elif isinstance(item, Page):
            pages += 1
    print(json.dumps({"bytes": stream.sent, "records": stream.records, "counts": counts, "pages": pages,
                      "baseline_rss": baseline, "peak_rss": _rss_peak()}))


if __name__ == "__main__":
    main()
