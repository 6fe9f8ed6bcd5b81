"""What a fetch run did, URL by URL, and its summary: a line per failure, then the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FetchResult", "FetchReport", "render"]


@dataclass
class FetchResult:
    url: str
    line: int
    saved: bool = False
    reason: str = ""  # why it failed; empty when saved
    status: int | None = None
    final_url: str | None = None
    redirects: int = 0
    cached: bool = False  # an earlier run's outcome, not asked again
    transient: bool = False  # a failure the next run tries again

    @property
    def failed(self) -> bool:
        return not self.saved

    def failure_row(self) -> dict:
        return {"url": self.url, "reason": self.reason, "status": "" if self.status is None else self.status,
                "retried_next_run": "yes" if self.transient else "no"}


@dataclass
class FetchReport:
    dest: Path
    results: list[FetchResult] = field(default_factory=list)
    warc: Path | None = None  # the file this run wrote; None when it saved nothing new
    failures_file: Path | None = None

    @property
    def saved(self) -> list[FetchResult]:
        return [r for r in self.results if r.saved and not r.cached]

    @property
    def already(self) -> list[FetchResult]:
        return [r for r in self.results if r.saved and r.cached]

    @property
    def failed(self) -> list[FetchResult]:
        return [r for r in self.results if r.failed]


def render(report: FetchReport) -> str:
    lines = [f"FAILED  {r.url}  {r.reason}" for r in report.failed]
    where = f" into {report.warc}" if report.warc else ""
    count = f"fetch: {len(report.saved)} saved{where}, {len(report.already)} already fetched, " \
            f"{len(report.failed)} failed"
    if report.failed and report.failures_file:
        count += f" (listed in {report.failures_file})"
    return "\n".join([*lines, count])
