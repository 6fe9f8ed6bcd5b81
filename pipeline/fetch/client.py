"""One HTTP request of `nhs-ledger fetch`: httpx, no redirect followed, the body read whole up to a limit.

Why one request at a time, and not httpx's own redirect following: each hop of a redirect is a request of its
own, spaced like any other on its host (`pipeline.fetch.run`) and written to the WARC file as its own
`response` record, with the URL that was asked for in that hop.
"""

from __future__ import annotations

import email.utils
import importlib.metadata
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import httpx

from pipeline import __version__

__all__ = ["ROBOTS_AGENT", "USER_AGENT", "MAX_BODY_BYTES", "Exchange", "RequestFailed", "new_client", "get"]


def _version() -> str:
    try:
        return importlib.metadata.version("nhs-ledger")
    except importlib.metadata.PackageNotFoundError:  # a checkout run without being installed
        return __version__


# The product token robots.txt groups are matched against; the full agent says who we are and where to complain.
ROBOTS_AGENT = "NHS-Ledger"
USER_AGENT = f"{ROBOTS_AGENT}/{_version()} (+https://github.com/nhs-ledger/nhs-ledger; open data on NHS finances)"
# A news page is well under a megabyte; anything this large is not an article, and must not fill the memory.
MAX_BODY_BYTES = 32 * 2**20
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


class RequestFailed(Exception):
    """No usable response. `transient`: trying again later may succeed (a timeout, a refused connection)."""

    def __init__(self, reason: str, transient: bool):
        super().__init__(reason)
        self.reason, self.transient = reason, transient


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as the WARC file keeps them. `body` is decoded (no Content-Encoding)."""

    url: str
    fetched_at: datetime  # UTC, when the request was sent: the WARC-Date
    http_version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    request_line: str
    request_headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def retry_after(self) -> float | None:
        """Retry-After in seconds from the fetch time (RFC 9110 allows seconds or an HTTP date), or None."""
        value = (self.header("retry-after") or "").strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - self.fetched_at).total_seconds()) if when.tzinfo else None


def new_client(timeout: float, user_agent: str = USER_AGENT) -> httpx.Client:
    return httpx.Client(headers={"User-Agent": user_agent, "Accept": _ACCEPT}, timeout=timeout,
                        follow_redirects=False)


def get(client: httpx.Client, url: str, now: Callable[[], datetime], *, max_bytes: int = MAX_BODY_BYTES,
        truncate: bool = False) -> Exchange:
    """GET `url` once. A body over `max_bytes` fails the request, or with `truncate` is cut there (robots.txt:
    RFC 9309 asks a crawler to read at least 500 KiB of it, and no more is needed)."""
    fetched_at = now()
    timeout = client.timeout.read
    try:
        with client.stream("GET", url) as response:
            body = _read(response, max_bytes, truncate, timeout)
    except httpx.TimeoutException:
        raise RequestFailed(f"timed out (no answer within {timeout:g} s)", transient=True) from None
    except httpx.DecodingError as exc:
        raise RequestFailed(f"the body could not be decoded ({exc})", transient=False) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise RequestFailed(f"invalid URL ({exc})", transient=False) from None
    except httpx.HTTPError as exc:  # refused, reset, DNS, a broken HTTP stream: the network's, maybe not tomorrow
        raise RequestFailed(f"connection error ({exc or type(exc).__name__})", transient=True) from None
    request = response.request
    return Exchange(
        url=url, fetched_at=fetched_at, http_version=response.http_version, status=response.status_code,
        reason=response.reason_phrase, headers=_text(response.headers.raw),
        request_line=f"GET {request.url.raw_path.decode('ascii')} {response.http_version}",
        request_headers=_text(request.headers.raw), body=body)


def _read(response: httpx.Response, max_bytes: int, truncate: bool, timeout: float | None) -> bytes:
    # httpx's timeout bounds each read; a server dribbling a byte at a time is bounded here, by the whole.
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                return b"".join(chunks)[:max_bytes]
            raise RequestFailed(f"larger than {max_bytes // 2**20} MiB", transient=False)
        if deadline is not None and time.monotonic() > deadline:
            raise httpx.ReadTimeout("the body took longer than the timeout")
    return b"".join(chunks)


def _text(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    # Latin-1 maps every byte to one character, so headers go into the WARC file as they came.
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
