"""What earlier runs fetched into a folder, so that a rerun asks no server twice for the same page.

`<dest>/.fetch/index.jsonl` has a line per URL per run that asked for it: the URL, where its redirects ended,
the status, the outcome and its reason, whether it is final, when, and the WARC file and offset of the saved
response. The last line of a URL is its outcome. Final outcomes (a page saved, a 404 or 410, a refusal of
robots.txt, a redirect chain that ended) are not asked again; transient ones (a timeout, a 5xx, no connection)
are. The folder's name starts with a dot, so the raw-folder inventory never reads it as an article.

A line is appended only once what it points to is in place (the WARC file is renamed before the lines of its
pages are written), so a crash can make a rerun fetch a page again, never lose one.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Iterable

from pipeline.fetch.archive import FETCH_DIR
from pipeline.warehouse import atomic

__all__ = ["FAILURES_FILE", "INDEX_FILE", "FetchIndex", "write_failures"]

INDEX_FILE = "index.jsonl"
FAILURES_FILE = "failures.csv"
FAILURE_COLUMNS = ["url", "reason", "status", "retried_next_run"]


class FetchIndex:
    def __init__(self, dest: Path):
        self.path = Path(dest) / FETCH_DIR / INDEX_FILE

    def outcomes(self) -> dict[str, dict]:
        """The last outcome of every URL asked for before; a line a crash cut short is passed over."""
        last: dict[str, dict] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return last
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                last[entry["url"]] = entry
        return last

    def add(self, entries: Iterable[dict]) -> None:
        lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
        if not lines:
            return
        with atomic.as_machine_fault(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                # A line a crash left without its newline must not swallow the first line appended now.
                if handle.tell() and not _ends_with_newline(self.path):
                    lines = "\n" + lines
                handle.write(lines.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def write_failures(dest: Path, rows: Iterable[dict]) -> Path:
    """`<dest>/.fetch/failures.csv`: this run's failed URLs, replaced whole each run (a header only when none)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FAILURE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = Path(dest) / FETCH_DIR / FAILURES_FILE
    atomic.write_bytes(path, buffer.getvalue().encode("utf-8"))
    return path
