"""`nhs-ledger fetch URLS.txt --dest raw/<batch>/`: a journalist's list of links, downloaded politely into a
WARC file the next build reads (the engine is `pipeline.fetch`).

The run's failures are its results, listed and counted, and the exit code is 0 once it has gone through the
list; 2 is for a command that could not start (no such URLS file). Its own module, so that `cli/main.py` only
registers it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.exits import EXIT_INTERRUPTED, EXIT_USAGE


def add_fetch_command(commands) -> None:
    fetch = commands.add_parser(
        "fetch", help="download the pages of a list of links, politely (robots.txt, a delay per host), into a "
                      "WARC file of a raw batch folder")
    fetch.add_argument("urls", type=Path, metavar="URLS.txt",
                       help="one http(s) link a line; blank lines and lines starting with # are skipped")
    fetch.add_argument("--dest", type=Path, required=True,
                       help="the batch folder to write into, e.g. raw/2025-07 (created if missing)")
    fetch.add_argument("--delay", type=_number(float, 0, "seconds"), default=1.0, metavar="SECONDS",
                       help="seconds between two requests to one host (default: 1; robots.txt's Crawl-delay "
                            "when it asks for more)")
    fetch.add_argument("--retries", type=_number(int, 0, "retries"), default=3, metavar="N",
                       help="tries again after a timeout, no connection, 429 or 5xx, with a growing wait "
                            "(default: 3)")
    fetch.add_argument("--timeout", type=_number(float, 0.001, "seconds"), default=30.0, metavar="SECONDS",
                       help="seconds one request may take (default: 30)")
    fetch.add_argument("--refetch", action="store_true",
                       help="fetch every link again, even those an earlier run into DEST fetched")
    fetch.set_defaults(handler=run_fetch)


def _number(kind, minimum, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of {what}: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum:g}: {text!r}")
        return value
    return parse


def _usage_error(message: str) -> int:
    print(f"nhs-ledger: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_fetch(args: argparse.Namespace) -> int:
    from pipeline.fetch import FetchInterrupted, fetch_urls, render
    from pipeline.warehouse import lock

    try:
        lines = args.urls.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        return _usage_error(f"URLS file not found: {args.urls}")
    except (OSError, UnicodeDecodeError) as exc:
        return _usage_error(f"cannot read the URLS file {args.urls}: {getattr(exc, 'strerror', None) or exc}")
    if args.dest.exists() and not args.dest.is_dir():
        return _usage_error(f"--dest is not a folder: {args.dest}")
    args.dest.mkdir(parents=True, exist_ok=True)
    # Two runs into one folder would write one index at once: the folder has a lock of its own.
    try:
        with lock.hold(args.dest):
            report = fetch_urls(lines, args.dest, delay=args.delay, retries=args.retries, timeout=args.timeout,
                                refetch=args.refetch, progress=_progress)
    except FetchInterrupted as stopped:
        print(render(stopped.report))
        print("nhs-ledger: fetch interrupted; the pages saved so far are in place, a rerun fetches the rest",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(render(report))
    return 0


def _progress(message: str) -> None:
    print(f"nhs-ledger: {message}", file=sys.stderr, flush=True)
