"""`nhs-ledger fetch`: links to a WARC file of a raw batch folder, politely and once (pipeline/fetch/).

Every request goes to real HTTP servers on 127.0.0.1 (pytest-httpserver, threaded, so a slow page does not hold
the next test up). The politeness is checked from the times the servers saw each request on a fake clock, which
the fetch sleeps on: the tests neither wait out the delays nor depend on how busy the machine is. Only the
timeouts are real time, and short.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Response

from cli.main import main
from pipeline.fetch import USER_AGENT, Clock, FetchInterrupted, fetch_urls, render
from pipeline.fetch.archive import stored_headers
from pipeline.fetch.client import Exchange
from pipeline.fetch.urls import NOT_HTTP, read_url_lines

EPOCH = datetime(2025, 7, 1, 9, 0, tzinfo=timezone.utc)
PAGE = b"<html><head><title>Trust deficit</title></head><body><p>A \xc2\xa35m deficit is expected.</p></body></html>"


class FakeClock(Clock):
    """Starts at EPOCH; `sleep` moves it on at once. `stop_after` sleeps, it raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, stop_after: int | None = None):
        self.t, self.sleeps, self.stop_after = 0.0, [], stop_after

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if self.stop_after is not None and len(self.sleeps) >= self.stop_after:
            raise KeyboardInterrupt
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.t)


class Site:
    """One server's pages: each path answers its responses in turn (the last one again and again), and every
    request is logged with the fake clock's time, its path and its headers."""

    def __init__(self, server: HTTPServer, clock: FakeClock, log: list):
        self.server, self.clock, self.log = server, clock, log

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def serve(self, path: str, *responses) -> None:
        answers = list(responses)

        def handler(request):
            self.log.append((self.url(path), self.clock.monotonic(), dict(request.headers)))
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            return answer if isinstance(answer, Response) else answer()

        self.server.expect_request(path).respond_with_handler(handler)

    def robots(self, text: str | None = None, status: int = 200) -> None:
        self.serve("/robots.txt", Response(text or "", status=status if text is not None else 404))

    def times(self, path: str | None = None) -> list[float]:
        """The fake times of the requests to this server (to one path of it when given)."""
        prefix = self.url("/")
        return [t for url, t, _ in self.log if url.startswith(prefix) and (path is None or url == self.url(path))]


def html(body: bytes = PAGE, status: int = 200, **headers) -> Response:
    return Response(body, status=status, headers={"Content-Type": "text/html; charset=utf-8", **headers})


def redirect(location: str, status: int = 301) -> Response:
    return Response(b"moved", status=status, headers={"Location": location})


def slow(seconds: float, response: Response):
    def answer():
        time.sleep(seconds)
        return response
    return answer


@pytest.fixture(scope="module")
def servers():
    started = [HTTPServer(host="127.0.0.1", port=0, threaded=True) for _ in range(2)]
    for server in started:
        server.start()
    yield started
    for server in started:
        server.clear()
        server.stop()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sites(servers, clock):
    log: list = []
    for server in servers:
        server.clear()
    yield [Site(server, clock, log) for server in servers]
    for server in servers:
        server.clear()


@pytest.fixture
def site(sites):
    return sites[0]


def warc_files(dest: Path) -> list[Path]:
    return sorted(dest.glob("*.warc.gz"))


def records(path: Path) -> list[dict]:
    with open(path, "rb") as handle:
        return [{"type": r.rec_type, "uri": r.rec_headers.get_header("WARC-Target-URI"),
                 "date": r.rec_headers.get_header("WARC-Date"),
                 "status": r.http_headers.get_statuscode() if r.http_headers and r.rec_type == "response" else None,
                 "headers": r.http_headers, "warc_headers": r.rec_headers, "payload": r.content_stream().read()}
                for r in ArchiveIterator(handle)]


def index(dest: Path) -> list[dict]:
    return [json.loads(line) for line in (dest / ".fetch" / "index.jsonl").read_text().splitlines()]


def fetch(urls: list[str], dest: Path, clock: FakeClock, **options):
    options = {"delay": 1.0, "retries": 0, "timeout": 2.0, **options}
    return fetch_urls(urls, dest, clock=clock, **options)


def test_pages_are_saved_to_a_warc_file_warcio_reads(site, clock, tmp_path):
    site.robots()  # 404: everything allowed
    site.serve("/a", html())
    gzipped = b"<html><body>Second page, sent gzipped</body></html>"
    site.serve("/b", Response(gzip.compress(gzipped),
                              headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    report = fetch([site.url("/a"), site.url("/b")], tmp_path, clock)

    assert [r.saved for r in report.results] == [True, True] and not report.failed
    [warc] = warc_files(tmp_path)
    assert report.warc == warc and re.fullmatch(r"fetch-\d{8}T\d{6}Z\.warc\.gz", warc.name)
    assert warc.name == f"fetch-{EPOCH:%Y%m%dT%H%M%SZ}.warc.gz"
    # Nothing else visible beside it: the partial file was in the hidden folder and is gone.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fetch", warc.name]
    assert list((tmp_path / ".fetch" / "partial").iterdir()) == []

    got = records(warc)
    assert got[0]["type"] == "warcinfo" and b"NHS-Ledger/" in got[0]["payload"]
    responses = [r for r in got if r["type"] == "response"]
    assert [(r["uri"], r["status"]) for r in responses] == [(site.url("/a"), "200"), (site.url("/b"), "200")]
    assert [r["payload"] for r in responses] == [PAGE, gzipped]  # decoded, as a reader wants it
    assert responses[1]["headers"].get_header("X-Crawler-Content-Encoding") == "gzip"
    assert responses[1]["headers"].get_header("Content-Encoding") is None
    assert responses[1]["headers"].get_header("Content-Length") == str(len(gzipped))
    # WARC-Date is the fetch time (the fake clock's), one second apart as the delay asks.
    fetched = [t for url, t, _ in site.log if not url.endswith("robots.txt")]
    assert [r["date"] for r in responses] == [(EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
                                             for t in fetched]
    requests = [r for r in got if r["type"] == "request"]
    assert [r["uri"] for r in requests] == [site.url("/a"), site.url("/b")]
    assert requests[0]["headers"].get_header("User-Agent") == USER_AGENT
    assert requests[0]["warc_headers"].get_header("WARC-Concurrent-To") == \
        responses[0]["warc_headers"].get_header("WARC-Record-ID")

    # The index: one line a URL, whose offset is the response record's.
    entries = index(tmp_path)
    assert [(e["url"], e["status"], e["outcome"], e["final"], e["warc"]) for e in entries] == \
        [(site.url("/a"), 200, "saved", True, warc.name), (site.url("/b"), 200, "saved", True, warc.name)]
    with open(warc, "rb") as handle:
        handle.seek(entries[1]["offset"])
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_type == "response" and record.content_stream().read() == gzipped


def test_every_request_names_the_project_in_its_user_agent(site, clock, tmp_path):
    site.robots()
    site.serve("/a", html())
    fetch([site.url("/a")], tmp_path, clock)
    agents = [headers.get("User-Agent") for _, _, headers in site.log]
    assert len(agents) == 2 and set(agents) == {USER_AGENT}
    assert re.fullmatch(r"NHS-Ledger/\d[^ ]* \(\+https://github\.com/nhs-ledger/nhs-ledger; "
                        r"open data on NHS finances\)", USER_AGENT)


@pytest.mark.parametrize("robots", [
    "User-agent: *\nDisallow: /private\n",
    "User-agent: NHS-Ledger\nDisallow: /private\n\nUser-agent: *\nAllow: /\n",
    # Longest match wins (RFC 9309), though the standard library would take the first rule.
    "User-agent: *\nAllow: /\nDisallow: /private\n",
])
def test_robots_txt_disallowing_a_path_keeps_it_unfetched(site, clock, tmp_path, robots):
    site.robots(robots)
    site.serve("/private/report", html())
    site.serve("/public", html())
    report = fetch([site.url("/private/report"), site.url("/public")], tmp_path, clock)

    assert site.times("/private/report") == [] and len(site.times("/public")) == 1
    [failure] = report.failed
    assert (failure.url, failure.reason) == (site.url("/private/report"), "disallowed by robots.txt")
    assert f"FAILED  {site.url('/private/report')}  disallowed by robots.txt" in render(report)
    assert "url,reason" in (tmp_path / ".fetch" / "failures.csv").read_text()
    assert site.url("/private/report") in (tmp_path / ".fetch" / "failures.csv").read_text()


# RFC 9309 §2.3.1.3: any 4xx, 401 and 403 included, is a robots.txt that is unavailable: no rules.
@pytest.mark.parametrize("status, allowed, retried", [(404, True, None), (410, True, None), (403, True, None),
                                                      (401, True, None), (500, False, "yes"), (503, False, "yes")])
def test_what_a_robots_txt_answer_other_than_200_means(site, clock, tmp_path, status, allowed, retried):
    site.serve("/robots.txt", Response("User-agent: *\nDisallow: /\n", status=status))
    site.serve("/page", html())
    report = fetch([site.url("/page")], tmp_path, clock)
    assert report.results[0].saved is allowed
    assert len(site.times("/page")) == (1 if allowed else 0)
    if retried:
        [failure] = report.failed
        assert ("disallowed by robots.txt" if retried == "no" else "robots.txt unavailable") in failure.reason
        assert failure.failure_row()["retried_next_run"] == retried
        assert index(tmp_path)[0]["final"] is (retried == "no")


def test_robots_txt_that_cannot_be_reached_disallows_the_host_for_this_run(clock, tmp_path):
    closed = "http://127.0.0.1:9/page"  # the discard port: nothing listens on it here
    report = fetch([closed], tmp_path, clock)
    [failure] = report.failed
    assert failure.reason.startswith("robots.txt unreachable: connection error") and failure.transient


def test_a_slow_page_beyond_the_timeout_fails_after_its_retries(site, clock, tmp_path):
    site.robots()
    site.serve("/slow", slow(0.6, html()))
    report = fetch([site.url("/slow")], tmp_path, clock, timeout=0.2, retries=1)
    [failure] = report.failed
    assert failure.reason == "timed out (no answer within 0.2 s) (after 2 attempts)" and failure.transient
    assert len(site.times("/slow")) == 2
    assert "timed out" in (tmp_path / ".fetch" / "failures.csv").read_text()
    assert warc_files(tmp_path) == []


def test_a_slow_page_within_the_timeout_is_saved(site, clock, tmp_path):
    site.robots()
    site.serve("/slowish", slow(0.2, html()))
    report = fetch([site.url("/slowish")], tmp_path, clock, timeout=2.0)
    assert report.results[0].saved
    assert [r["payload"] for r in records(warc_files(tmp_path)[0]) if r["type"] == "response"] == [PAGE]


def test_redirects_are_followed_and_every_hop_is_recorded(sites, clock, tmp_path):
    here, there = sites
    here.robots()
    there.robots()
    here.serve("/old", redirect("/new", 301))
    here.serve("/new", redirect(there.url("/final"), 302))
    there.serve("/final", html())
    report = fetch([here.url("/old")], tmp_path, clock)

    [result] = report.results
    assert result.saved and result.final_url == there.url("/final") and result.redirects == 2
    responses = [r for r in records(report.warc) if r["type"] == "response"]
    assert [(r["uri"], r["status"]) for r in responses] == [
        (here.url("/old"), "301"), (here.url("/new"), "302"), (there.url("/final"), "200")]
    assert responses[-1]["payload"] == PAGE
    [entry] = index(tmp_path)
    assert (entry["url"], entry["final_url"]) == (here.url("/old"), there.url("/final"))
    with open(report.warc, "rb") as handle:  # the offset is the final page's record
        handle.seek(entry["offset"])
        assert next(iter(ArchiveIterator(handle))).rec_headers.get_header("WARC-Target-URI") == there.url("/final")
    # Each hop is a request like any other: spaced on its host.
    times = here.times()
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:]))


def test_more_than_five_redirects_is_a_final_failure(site, clock, tmp_path):
    site.robots()
    site.serve("/loop", redirect("/loop", 302))
    report = fetch([site.url("/loop")], tmp_path, clock)
    [failure] = report.failed
    assert failure.reason == "more than 5 redirects" and not failure.transient
    assert len(site.times("/loop")) == 6  # the first request and five redirects followed
    assert warc_files(tmp_path) == []


def test_a_404_is_listed_at_once_and_a_500_after_retries_with_backoff(site, clock, tmp_path):
    site.robots()
    site.serve("/gone", html(b"not here", status=404))
    site.serve("/broken", html(b"oops", status=500))
    report = fetch([site.url("/gone"), site.url("/broken")], tmp_path, clock, retries=3, backoff=2.0)

    assert [(r.url, r.reason, r.transient) for r in report.failed] == [
        (site.url("/gone"), "HTTP 404 NOT FOUND", False),
        (site.url("/broken"), "HTTP 500 INTERNAL SERVER ERROR (after 4 attempts)", True)]
    assert len(site.times("/gone")) == 1
    broken = site.times("/broken")
    assert len(broken) == 4
    gaps = [b - a for a, b in zip(broken, broken[1:])]
    assert gaps[0] >= 2.0 and gaps[1] >= 4.0 and gaps[2] >= 8.0  # exponential
    rows = (tmp_path / ".fetch" / "failures.csv").read_text().splitlines()
    assert rows[0] == "url,reason,status,retried_next_run" and len(rows) == 3
    assert rows[2].endswith(",500,yes") and rows[1].endswith(",404,no")
    assert render(report).splitlines()[-1].startswith("fetch: 0 saved, 0 already fetched, 2 failed")


def test_a_503_then_200_page_is_saved_on_retry_after_the_servers_retry_after(site, clock, tmp_path):
    site.robots()
    site.serve("/busy", html(b"busy", status=503, **{"Retry-After": "7"}), html())
    report = fetch([site.url("/busy")], tmp_path, clock, retries=2, backoff=1.0)
    assert report.results[0].saved and report.results[0].status == 200
    first, second = site.times("/busy")
    assert second - first >= 7.0
    assert [(r["status"], r["payload"]) for r in records(report.warc) if r["type"] == "response"] == [("200", PAGE)]


def test_a_retry_after_beyond_the_cap_is_not_retried_early(site, clock, tmp_path):
    site.robots()
    site.serve("/later", html(b"later", status=429, **{"Retry-After": "3600"}), html())
    report = fetch([site.url("/later")], tmp_path, clock, retries=3)
    [failure] = report.failed
    assert "Retry-After 3600 s" in failure.reason and failure.transient
    assert len(site.times("/later")) == 1


def test_requests_to_one_host_are_spaced_by_the_delay_and_hosts_interleave(sites, clock, tmp_path):
    a, b = sites
    for site in sites:
        site.robots()
        for n in range(3):
            site.serve(f"/{n}", html())
    urls = [a.url(f"/{n}") for n in range(3)] + [b.url(f"/{n}") for n in range(3)]
    report = fetch(urls, tmp_path, clock, delay=1.5)
    assert len(report.saved) == 6

    for site in sites:
        times = site.times()  # robots.txt first: it counts as a request
        assert len(times) == 4
        assert min(y - x for x, y in zip(times, times[1:])) >= 1.5
    # While one host waits its delay, the other is fetched: 4 requests a host take 3 delays, not 7.
    assert clock.t == pytest.approx(3 * 1.5)


def test_a_crawl_delay_longer_than_the_delay_is_honoured(site, clock, tmp_path):
    site.robots("User-agent: *\nCrawl-delay: 4\n")
    site.serve("/0", html())
    site.serve("/1", html())
    fetch([site.url("/0"), site.url("/1")], tmp_path, clock, delay=1.0)
    times = site.times()
    assert len(times) == 3 and min(y - x for x, y in zip(times, times[1:])) >= 4.0


def test_a_rerun_fetches_nothing_twice_and_retries_only_transient_failures(site, clock, tmp_path):
    site.serve("/a", html())
    site.serve("/gone", html(b"", status=404))
    site.serve("/private", html())
    site.serve("/flaky", html(b"", status=500), html(b"", status=500), html())
    site.serve("/robots.txt", Response("User-agent: *\nDisallow: /private\n"))
    urls = [site.url(p) for p in ("/a", "/gone", "/private", "/flaky")]

    first = fetch(urls, tmp_path, clock)
    assert [r.saved for r in first.results] == [True, False, False, False]
    [warc] = warc_files(tmp_path)

    site.log.clear()
    second = fetch(urls, tmp_path, clock)  # /flaky answers 500 again: still no page, so no new file
    assert [url for url, _, _ in site.log] == [site.url("/robots.txt"), site.url("/flaky")]
    assert warc_files(tmp_path) == [warc] and second.warc is None
    assert [r.cached for r in second.results] == [True, True, True, False]
    assert "HTTP 404 NOT FOUND (on 2025-07-01T09:00" in second.results[1].reason

    site.log.clear()
    clock.t += 1.0  # a later second, so the new file has a name of its own
    third = fetch(urls, tmp_path, clock)
    assert [url for url, _, _ in site.log] == [site.url("/robots.txt"), site.url("/flaky")]
    assert third.results[3].saved and len(warc_files(tmp_path)) == 2
    assert [r["uri"] for r in records(third.warc) if r["type"] == "response"] == [site.url("/flaky")]
    assert render(third).splitlines()[-1].startswith(f"fetch: 1 saved into {third.warc}, 1 already fetched, 2 failed")

    site.log.clear()
    fourth = fetch(urls, tmp_path, clock)  # nothing new: no request at all, not even for robots.txt
    assert site.log == [] and fourth.warc is None and len(warc_files(tmp_path)) == 2

    refetched = fetch(urls, tmp_path, clock, refetch=True)
    assert len(site.times("/a")) == 1 and refetched.results[0].saved and len(warc_files(tmp_path)) == 3


def test_the_same_second_twice_does_not_replace_a_file(site, clock, tmp_path):
    site.robots()
    site.serve("/a", html())
    site.serve("/b", html())
    fetch([site.url("/a")], tmp_path, clock)
    fetch([site.url("/b")], tmp_path, FakeClock())  # the same fake second again
    assert [p.name for p in warc_files(tmp_path)] == [f"fetch-{EPOCH:%Y%m%dT%H%M%SZ}-2.warc.gz",
                                                     f"fetch-{EPOCH:%Y%m%dT%H%M%SZ}.warc.gz"]
    assert {e["warc"] for e in index(tmp_path)} == {p.name for p in warc_files(tmp_path)}


def test_invalid_lines_are_failures_and_comments_are_skipped(site, clock, tmp_path):
    site.robots()
    site.serve("/a", html())
    lines = ["# my research", "", "   ", "ftp://example.org/file", "not a url", "http://", "mailto:a@b.c",
             site.url("/a"), site.url("/a") + "#section"]
    report = fetch(lines, tmp_path, clock)
    assert [(r.url, r.reason) for r in report.failed] == [
        ("ftp://example.org/file", NOT_HTTP), ("not a url", NOT_HTTP), ("http://", NOT_HTTP),
        ("mailto:a@b.c", NOT_HTTP)]
    assert len(report.saved) == 1 and len(site.times("/a")) == 1  # the #fragment is the same page
    assert [x.line for x in read_url_lines(lines)] == [4, 5, 6, 7, 8]


def test_an_interrupted_run_keeps_the_pages_it_saved(site, tmp_path):
    site.robots()
    for n in range(3):
        site.serve(f"/{n}", html())
    urls = [site.url(f"/{n}") for n in range(3)]
    stopping = FakeClock(stop_after=1)  # the wait before /0 passes; Ctrl-C in the wait before /1
    site.clock = stopping
    with pytest.raises(FetchInterrupted) as stopped:
        fetch(urls, tmp_path, stopping)

    report = stopped.value.report
    assert [r.saved for r in report.results] == [True, False, False]
    assert report.results[1].reason == "not fetched: the run was interrupted"
    [warc] = warc_files(tmp_path)
    assert [r["uri"] for r in records(warc) if r["type"] == "response"] == [site.url("/0")]
    assert list((tmp_path / ".fetch" / "partial").iterdir()) == []
    site.log.clear()
    fetch(urls, tmp_path, FakeClock())
    assert [url for url, _, _ in site.log] == [site.url("/robots.txt"), site.url("/1"), site.url("/2")]


def test_stored_headers_describe_the_decoded_body():
    exchange = Exchange(url="http://x/", fetched_at=EPOCH, http_version="HTTP/1.1", status=200, reason="OK",
                        headers=[("Content-Type", "text/html"), ("Content-Encoding", "br"),
                                 ("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
                        request_line="GET / HTTP/1.1", request_headers=[], body=b"hello")
    assert stored_headers(exchange) == [("Content-Type", "text/html"), ("X-Crawler-Content-Encoding", "br"),
                                        ("X-Crawler-Transfer-Encoding", "chunked"),
                                        ("X-Crawler-Content-Length", "3"), ("Content-Length", "5")]
    dated = Exchange(**{**exchange.__dict__, "headers": [("Retry-After", "Tue, 01 Jul 2025 09:00:30 GMT")]})
    assert dated.retry_after() == 30.0


# The command line, in-process.

def test_cli_fetches_and_lists_failures_with_exit_code_0(site, tmp_path, capsys):
    site.robots()
    site.serve("/a", html())
    site.serve("/gone", html(b"", status=404))
    urls = tmp_path / "URLS.txt"
    urls.write_text(f"# links\n{site.url('/a')}\n{site.url('/gone')}\nnot-a-link\n")
    dest = tmp_path / "raw" / "2025-07"
    assert main(["fetch", str(urls), "--dest", str(dest), "--delay", "0", "--retries", "0"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [f"FAILED  {site.url('/gone')}  HTTP 404 NOT FOUND", "FAILED  not-a-link  not an http(s) URL",
                   f"fetch: 1 saved into {warc_files(dest)[0]}, 0 already fetched, 2 failed "
                   f"(listed in {dest / '.fetch' / 'failures.csv'})"]
    assert len(warc_files(dest)) == 1
    # What the pipeline's inventory lists (it skips hidden names) is the WARC file alone.
    assert [p.name for p in dest.iterdir() if not p.name.startswith(".")] == [warc_files(dest)[0].name]


def test_cli_missing_urls_file_is_one_line_and_exit_code_2(tmp_path, capsys):
    code = main(["fetch", str(tmp_path / "nope.txt"), "--dest", str(tmp_path / "raw" / "b")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [f"nhs-ledger: error: URLS file not found: {tmp_path / 'nope.txt'}"]
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize("option", [["--delay", "-1"], ["--retries", "two"], ["--timeout", "0"]])
def test_cli_bad_options_are_usage_errors(tmp_path, capsys, option):
    with pytest.raises(SystemExit) as exited:
        main(["fetch", str(tmp_path / "URLS.txt"), "--dest", str(tmp_path), *option])
    assert exited.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_the_real_clock_is_utc_and_moves():
    real = Clock()
    assert real.now().tzinfo is not None and real.now().utcoffset() == timedelta(0)
    before = real.monotonic()
    real.sleep(0.01)
    assert real.monotonic() > before


def test_a_crash_keeps_the_whole_records_and_no_partial_file(site, clock, tmp_path, monkeypatch):
    site.robots()
    site.serve("/a", html())
    site.serve("/b", html())
    from pipeline.fetch import archive

    real_add, calls = archive.WarcArchive.add, []

    def add_then_crash(self, exchanges):
        calls.append(exchanges)
        if len(calls) == 2:
            self._file.write(b"half a record")  # as if the crash came in the middle of the write
            raise RuntimeError("a bug")
        return real_add(self, exchanges)

    monkeypatch.setattr(archive.WarcArchive, "add", add_then_crash)
    with pytest.raises(RuntimeError):
        fetch([site.url("/a"), site.url("/b")], tmp_path, clock)
    [warc] = warc_files(tmp_path)
    assert [r["uri"] for r in records(warc) if r["type"] == "response"] == [site.url("/a")]  # no half record
    assert list((tmp_path / ".fetch" / "partial").iterdir()) == []
    assert [e["url"] for e in index(tmp_path)] == [site.url("/a")]


def test_a_disk_that_fills_up_leaves_no_file_in_the_batch(site, clock, tmp_path, monkeypatch):
    import errno

    from pipeline.fetch import archive
    from pipeline.warehouse.atomic import WarehouseWriteError

    site.robots()
    site.serve("/a", html())

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive.os, "replace", full)
    with pytest.raises(WarehouseWriteError, match="no space left"):
        fetch([site.url("/a")], tmp_path, clock)
    assert warc_files(tmp_path) == [] and list((tmp_path / ".fetch" / "partial").iterdir()) == []
    assert not (tmp_path / ".fetch" / "index.jsonl").exists()  # nothing claims a page that is not there
