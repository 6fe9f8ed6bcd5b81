"""`nhs-ledger fetch`: the pages of a list of links, downloaded politely into a WARC file of a raw batch folder.

The modules, each with one job:
- `urls`: reading URLS.txt (one link a line; an invalid line is a failure, not a crash);
- `client`: one HTTP request with httpx, the project's user agent and the timeout;
- `politeness`: robots.txt (RFC 9309) and each host's delay, and the `Clock` the tests replace;
- `run`: the queue per host, retries with backoff, redirects hop by hop (`fetch_urls`);
- `archive`: the run's WARC file, written hidden and renamed into place;
- `cache`: the index of what was fetched (`.fetch/index.jsonl`) and the failures (`.fetch/failures.csv`);
- `report`: the results and their summary (`render`).

Nothing here runs during a build; the pipeline reads the WARC files like any other raw file.
"""

from pipeline.fetch.client import USER_AGENT
from pipeline.fetch.politeness import Clock
from pipeline.fetch.report import FetchReport, FetchResult, render
from pipeline.fetch.run import FetchInterrupted, fetch_urls

__all__ = ["USER_AGENT", "Clock", "FetchInterrupted", "FetchReport", "FetchResult", "fetch_urls", "render"]
