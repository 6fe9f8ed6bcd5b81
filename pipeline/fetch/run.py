"""`fetch_urls`: a list of links into a WARC file of a raw batch folder, politely, once.

The run keeps a queue per host and always serves the host that may be asked soonest, so that while one host's
delay runs another host is fetched: one process, one request at a time, and no host asked twice within its
delay (the run's, or robots.txt's Crawl-delay when longer), its robots.txt fetch counted as a request. A
request is one hop: a redirect puts the URL back at the front of the queue of the host it points to, where it
waits its turn like any request. A transient failure (a timeout, no connection, 408, 429, 5xx) is retried
after an exponential backoff, or the server's Retry-After when longer; the wait holds the whole host back, as
a host that is struggling should not be asked for its other pages meanwhile.

Failures are results, never exceptions: each is listed with its reason. Only the machine's faults (a full disk),
an interrupt and a bug stop a run, and the pages saved until then are put in place first (`FetchInterrupted`
says what an interrupt left).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urldefrag, urljoin

from pipeline.fetch import client as http
from pipeline.fetch.archive import WarcArchive
from pipeline.fetch.cache import FetchIndex, write_failures
from pipeline.fetch.politeness import MAX_ROBOTS_BYTES, Clock, Robots, fetch_robots, host_delay
from pipeline.fetch.report import FetchReport, FetchResult
from pipeline.fetch.urls import host_key, is_http_url, read_url_lines

__all__ = ["FetchInterrupted", "fetch_urls", "MAX_REDIRECTS", "MAX_RETRY_AFTER"]

MAX_REDIRECTS = 5
# The longest wait a retry makes. A server asking for more (Retry-After: 3600) is not asked sooner than it
# said: the URL fails for this run, as transient, and the next run tries it.
MAX_RETRY_AFTER = 120.0


class FetchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; `report` says what it saved (the WARC file of those pages is in place)."""

    def __init__(self, report: FetchReport):
        super().__init__("fetch interrupted")
        self.report = report


@dataclass
class _Job:
    result: FetchResult
    target: str  # the URL of the next hop
    hops: list[http.Exchange] = field(default_factory=list)
    attempt: int = 0


@dataclass
class _Host:
    delay: float
    robots: Robots | None = None  # None until fetched
    free_at: float = float("-inf")  # monotonic time of its next allowed request
    queue: deque[_Job] = field(default_factory=deque)


def fetch_urls(lines: Iterable[str], dest: Path, *, delay: float = 1.0, retries: int = 3, timeout: float = 30.0,
               refetch: bool = False, clock: Clock | None = None, backoff: float = 2.0,
               progress: Callable[[str], None] | None = None, user_agent: str = http.USER_AGENT) -> FetchReport:
    """Fetch every URL of `lines` (a URLS.txt) not already fetched into `dest` (all of them with `refetch`)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    run = _Run(dest, clock or Clock(), delay=delay, retries=retries, backoff=backoff, progress=progress)
    known = {} if refetch else run.index.outcomes()
    for listed in read_url_lines(lines):
        result = FetchResult(listed.url, listed.line, reason=listed.problem or "")
        run.report.results.append(result)
        if listed.problem:
            continue
        previous = known.get(listed.url)
        if previous and previous.get("final"):
            _from_cache(result, previous)
        else:
            run.enqueue(_Job(result, listed.url))
    try:
        with http.new_client(timeout, user_agent) as client:
            run.drain(client)
    except BaseException as exc:
        # Ctrl-C, or a bug: the pages saved so far are kept (whole records only), so a rerun fetches the rest.
        # When that fails too (the disk is full) nothing is put in place, and the first error is the one said.
        try:
            run.finish(unfinished="the run was interrupted" if isinstance(exc, KeyboardInterrupt) else
                       f"the run stopped ({type(exc).__name__})")
        except Exception:  # noqa: BLE001, S110 - the archive has removed its partial file
            pass
        if isinstance(exc, KeyboardInterrupt):
            raise FetchInterrupted(run.report) from None
        raise
    return run.finish()


def _from_cache(result: FetchResult, previous: dict) -> None:
    result.cached, result.saved = True, previous.get("outcome") == "saved"
    result.status, result.final_url = previous.get("status"), previous.get("final_url")
    if not result.saved:
        result.reason = f"{previous.get('reason')} (on {previous.get('fetched_at')}; --refetch asks again)"


class _Run:
    def __init__(self, dest: Path, clock: Clock, *, delay: float, retries: int, backoff: float,
                 progress: Callable[[str], None] | None):
        self.clock, self.delay, self.retries, self.backoff = clock, delay, retries, backoff
        self.progress = progress or (lambda message: None)
        self.report = FetchReport(dest)
        self.index = FetchIndex(dest)
        self.archive = WarcArchive(dest, clock.now())
        self.hosts: dict[str, _Host] = {}
        self.saved_entries: list[dict] = []  # indexed once their WARC file is in place
        self.todo = self.done = 0

    def enqueue(self, job: _Job, front: bool = False) -> None:
        host = self.hosts.setdefault(host_key(job.target), _Host(self.delay))
        if front:  # a redirect's next hop: the URL was counted when it was first queued
            host.queue.appendleft(job)
        else:
            host.queue.append(job)
            self.todo += 1

    def drain(self, client) -> None:
        def get(url: str) -> http.Exchange:
            return http.get(client, url, self.clock.now)

        def get_robots(url: str) -> http.Exchange:
            return http.get(client, url, self.clock.now, max_bytes=MAX_ROBOTS_BYTES, truncate=True)

        while True:
            waiting = [host for host in self.hosts.values() if host.queue]
            if not waiting:
                return
            host = min(waiting, key=lambda h: h.free_at)  # the first listed among equals: min is stable
            pause = host.free_at - self.clock.monotonic()
            if pause > 0:
                self.clock.sleep(pause)
            job = host.queue.popleft()
            if host.robots is None:  # the host's first request is for its robots.txt
                host.robots = fetch_robots(get_robots, job.target)
                host.delay = host_delay(self.delay, host.robots)
                host.free_at = self.clock.monotonic() + host.delay
                host.queue.appendleft(job)
            elif not host.robots.allows(job.target):
                self._fail(job, host.robots.refusal, transient=host.robots.transient)
            else:
                self._request(get, host, job)

    def _request(self, get, host: _Host, job: _Job) -> None:
        try:
            exchange = get(job.target)
        except http.RequestFailed as exc:
            exchange, failure = None, exc
        # Spacing counts from the end of a request, so a slow answer never brings the next one closer.
        host.free_at = self.clock.monotonic() + host.delay
        if exchange is None:
            return self._retry_or_fail(host, job, failure.reason, failure.transient, None)
        status, location = exchange.status, exchange.header("location")
        reason = f"HTTP {status} {exchange.reason}".strip()
        if status in (408, 429) or status >= 500:
            return self._retry_or_fail(host, job, reason, True, exchange.retry_after(), status)
        if 300 <= status < 400 and location:
            return self._redirect(job, exchange, location)
        if 200 <= status < 300:
            return self._save(job, exchange)
        self._fail(job, reason, transient=False, status=status)  # 404, 410, another 4xx, a 3xx going nowhere

    def _redirect(self, job: _Job, exchange: http.Exchange, location: str) -> None:
        target = urldefrag(urljoin(job.target, location)).url
        if len(job.hops) >= MAX_REDIRECTS:
            return self._fail(job, f"more than {MAX_REDIRECTS} redirects", transient=False, status=exchange.status)
        if not is_http_url(target):
            return self._fail(job, f"redirected to {location!r}, not an http(s) URL", False, exchange.status)
        job.hops.append(exchange)
        job.target, job.attempt = target, 0
        self.enqueue(job, front=True)

    def _retry_or_fail(self, host: _Host, job: _Job, reason: str, transient: bool, retry_after: float | None,
                       status: int | None = None) -> None:
        if not transient or job.attempt >= self.retries:
            tries = f" (after {job.attempt + 1} attempts)" if transient and job.attempt else ""
            return self._fail(job, reason + tries, transient=transient, status=status)
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            return self._fail(job, f"{reason} (Retry-After {retry_after:.0f} s, over {MAX_RETRY_AFTER:.0f} s)",
                              transient=True, status=status)
        wait = min(MAX_RETRY_AFTER, max(self.backoff * 2 ** job.attempt, retry_after or 0.0))
        job.attempt += 1
        host.free_at = max(host.free_at, self.clock.monotonic() + wait)
        host.queue.appendleft(job)

    def _save(self, job: _Job, exchange: http.Exchange) -> None:
        offset = self.archive.add([*job.hops, exchange])
        result = job.result
        result.saved, result.status = True, exchange.status
        result.final_url, result.redirects = job.target, len(job.hops)
        self.saved_entries.append(self._entry(job, exchange.status, exchange.fetched_at, offset))
        self._said(f"saved {result.url}")

    def _fail(self, job: _Job, reason: str, transient: bool, status: int | None = None) -> None:
        result = job.result
        result.reason, result.transient, result.status, result.final_url = reason, transient, status, job.target
        self.index.add([self._entry(job, status, self.clock.now(), None)])
        self._said(f"failed {result.url}: {reason}")

    def _entry(self, job: _Job, status: int | None, when, offset: int | None) -> dict:
        result = job.result
        return {"url": result.url, "final_url": job.target, "status": status,
                "outcome": "saved" if result.saved else "failed", "reason": result.reason,
                "final": not result.transient, "fetched_at": when.isoformat(timespec="seconds"),
                "warc": self.archive.name if offset is not None else None, "offset": offset}

    def _said(self, message: str) -> None:
        self.done += 1
        self.progress(f"[{self.done}/{self.todo}] {message}")

    def finish(self, unfinished: str | None = None) -> FetchReport:
        """Put the WARC file in place, then index its pages and write the failures. `unfinished`: why the
        URLs not reached were not (the run stopped early)."""
        if unfinished:
            for result in self.report.results:
                if not (result.saved or result.reason):
                    result.reason, result.transient = f"not fetched: {unfinished}", True
        self.report.warc = self.archive.commit()
        self.index.add(self.saved_entries)
        self.saved_entries = []
        self.report.failures_file = write_failures(self.report.dest, [r.failure_row() for r in self.report.failed])
        return self.report
