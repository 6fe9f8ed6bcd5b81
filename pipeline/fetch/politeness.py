"""Politeness: what robots.txt allows, and how long a host waits between two requests.

robots.txt is read with the standard library's `RobotFileParser`, fed the text fetched with the run's own
client (so the fetch has the project's user agent, the timeout and the spacing of every other request). What
an answer other than 200 means follows RFC 9309 (§2.3.1.3, as Google's and Bing's crawlers read it):

- 2xx: the rules of the file;
- any 4xx (404, 410, and 401 or 403 too: the file is unavailable, not a refusal), or more than five
  redirects: no rules, everything allowed;
- 429, 5xx, a timeout or no connection: everything disallowed for this run (RFC 9309 §2.3.1.4), and said as a
  transient failure, so that the next run asks again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from pipeline.fetch.client import ROBOTS_AGENT, Exchange, RequestFailed

__all__ = ["Clock", "Robots", "DISALLOWED", "MAX_ROBOTS_BYTES", "fetch_robots", "host_delay"]

DISALLOWED = "disallowed by robots.txt"
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 §2.5: a crawler must read at least 500 KiB
_MAX_ROBOTS_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five


class Clock:
    """Time as the fetch sees it. The tests pass one whose `sleep` only moves its hands, and read the spacing
    of the requests from it, so they neither wait nor depend on how busy the machine is."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Robots:
    """One host's robots.txt as this run understood it."""

    parser: RobotFileParser | None = None  # None: no rules to apply, `allow` says everything or nothing
    allow: bool = True
    refusal: str = DISALLOWED  # the failure reason of a URL it refuses
    transient: bool = False  # a refusal because robots.txt could not be read: asked again next run

    def allows(self, url: str) -> bool:
        return self.allow if self.parser is None else self.parser.can_fetch(ROBOTS_AGENT, url)

    def crawl_delay(self) -> float:
        """The seconds robots.txt asks between requests (Crawl-delay, or Request-rate as requests per
        seconds), 0 when it asks nothing."""
        if self.parser is None:
            return 0.0
        delay = float(self.parser.crawl_delay(ROBOTS_AGENT) or 0)
        rate = self.parser.request_rate(ROBOTS_AGENT)
        if rate is not None and rate.requests > 0:
            delay = max(delay, rate.seconds / rate.requests)
        return delay


def host_delay(default: float, robots: Robots) -> float:
    """The spacing of one host: the run's, or robots.txt's when it asks for more (never less)."""
    return max(default, robots.crawl_delay())


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def fetch_robots(get: Callable[[str], Exchange], url: str) -> Robots:
    """The robots.txt of `url`'s host, fetched with `get` (one request per hop, up to five redirects)."""
    target = robots_url(url)
    for _hop in range(_MAX_ROBOTS_REDIRECTS + 1):
        try:
            exchange = get(target)
        except RequestFailed as exc:
            return Robots(allow=False, refusal=f"robots.txt unreachable: {exc.reason}", transient=True)
        location = exchange.header("location")
        if not (300 <= exchange.status < 400 and location):
            return _from_answer(exchange)
        target = urljoin(target, location)
    return Robots()  # RFC 9309 §2.3.1.2: more than five redirects is as if there were no robots.txt


def _from_answer(exchange: Exchange) -> Robots:
    status = exchange.status
    if 200 <= status < 300:
        return Robots(parser=_parse(exchange.body.decode("utf-8", errors="replace")))
    if status == 429 or status >= 500:
        return Robots(allow=False, refusal=f"robots.txt unavailable (HTTP {status}): not fetched in this run",
                      transient=True)
    return Robots()


def _parse(text: str) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    # The standard library applies a group's first matching rule; RFC 9309 §2.2.2 the longest, and Allow when
    # an Allow and a Disallow are as long. Sorting each group's rules so gives the RFC's answer
    # (`Allow: /` before `Disallow: /private` no longer lets /private through).
    for entry in [*parser.entries, *([parser.default_entry] if parser.default_entry else [])]:
        entry.rulelines.sort(key=lambda rule: (-len(rule.path), not rule.allowance))
    return parser
