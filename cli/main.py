"""The `nhs-ledger` command: build a warehouse, score it against gold files, cut releases, list rules.

`build` materialises the very Dagster definitions the UI serves, in-process (`assets.materialise`); every
other command calls the engine directly.
Errors are one clear line on stderr and a non-zero exit, never a traceback
(set NHS_LEDGER_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from cli.fetch import add_fetch_command
from pipeline.warehouse.lock import EXIT_LOCKED, WarehouseLocked, WarehouseUnwritable


# `--sets` without a folder: not a string, so argparse leaves it alone; resolved when --sets is used.
_DEFAULT_SHARED = object()


class CliError(Exception):
    """A problem the user can fix, reported as one line."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a command; the message says what state it left."""


class MachineFault(Exception):
    """The machine failed a command (a full disk, a folder that cannot be written); the message says what state
    it left."""


def _say(message: str) -> None:
    print(f"nhs-ledger: {message}", file=sys.stderr, flush=True)


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (`kill`, systemd, a container stopping) stops a command as Ctrl-C does, through the same
    clean-up: temp files removed, workers ended, the one line said. Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    """SIGTERM as SIGINT: to SIGINT's handler (Dagster's, during a run, which stops the step), or, where SIGINT
    is ignored (a command started in the background by a script), as the KeyboardInterrupt Ctrl-C raises."""
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
        raise KeyboardInterrupt
    signal.raise_signal(signal.SIGINT)


def _unchanged_since(warehouse: Path) -> str:
    from pipeline.publish.database import last_build

    built = last_build(warehouse)
    return (f"the warehouse is unchanged since {built}" if built
            else "no warehouse had been built here before, so there is none to read yet")


@contextmanager
def _stopped_cleanly(command: str, warehouse: Path):
    """An interrupt or a fault of the machine inside: the workers ended at once, and one line saying what is left
    (every write is atomic, so what is left is the warehouse as it was before)."""
    from pipeline.warehouse.atomic import WarehouseWriteError

    try:
        yield
    except KeyboardInterrupt:
        from pipeline import parallel

        parallel.terminate()
        raise Interrupted(f"{command} interrupted; {_unchanged_since(warehouse)}") from None
    except WarehouseWriteError as exc:
        raise MachineFault(f"{command} failed: {exc}; {_unchanged_since(warehouse)}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with _sigterm_as_interrupt():
            return args.handler(args)
    except (KeyboardInterrupt, Interrupted) as exc:
        if os.environ.get("NHS_LEDGER_DEBUG"):
            raise
        print(f"nhs-ledger: {exc if isinstance(exc, Interrupted) else 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MachineFault as exc:
        if os.environ.get("NHS_LEDGER_DEBUG"):
            raise
        print(f"nhs-ledger: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except WarehouseLocked as exc:
        if os.environ.get("NHS_LEDGER_DEBUG"):
            raise
        print(f"nhs-ledger: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except Exception as exc:  # noqa: BLE001 - the CLI's contract is one line per error
        if os.environ.get("NHS_LEDGER_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, (CliError, FileNotFoundError, WarehouseUnwritable)) \
                and type(exc).__name__ not in message:
            message = f"{type(exc).__name__}: {message}"
        print(f"nhs-ledger: error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, CliError) else EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nhs-ledger", description="NHS Ledger: NHS savings and deficits from news.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="materialise every asset: raw articles to Parquet and DuckDB")
    build.add_argument("--raw", default="raw", help="raw folder of article files in batch folders (default: raw)")
    build.add_argument("--warehouse", default="warehouse", help="output folder (default: warehouse)")
    build.add_argument("--full", action="store_true", help="reprocess every batch, not only new or changed ones")
    build.add_argument("--reference", type=Path, default=None,
                       help="folder of ODS extracts for the organisation register (default: RAW/reference if present)")
    build.add_argument("--domains", default=None, metavar="FILE|all",
                       help="hosts whose pages web archive (WARC) files are read for: a file of domains, one a line, "
                            "or 'all' (default: UK news and NHS sites, pipeline/data/news_domains.csv)")
    _add_wait(build)
    build.set_defaults(handler=_build)

    evaluate = commands.add_parser(
        "evaluate", help="score a warehouse against gold files (GUIDELINES.md format), or build and score the "
                         "project's evaluation sets (--sets)")
    evaluate.add_argument("--gold", action="append", type=Path, help="gold JSON Lines file; repeat for several")
    evaluate.add_argument("--warehouse", type=Path, help="warehouse folder (default: warehouse)")
    evaluate.add_argument("--sets", nargs="?", type=Path, const=_DEFAULT_SHARED, metavar="SHARED",
                          help="build real/dev, real/check and the fictional devset of the shared folder "
                               "(default: ../shared beside the project), each into its own scratch warehouse, "
                               "and print their scores side by side, with the date and code version")
    evaluate.add_argument("--scratch", type=Path,
                          help="with --sets: keep the sets' warehouses in SCRATCH/<set>/warehouse "
                               "(default: a temporary folder, removed afterwards)")
    evaluate.add_argument("--details", action="store_true", help="list every missed and spurious fact per article")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_evaluate)

    release = commands.add_parser("release", help="cut a versioned release of the warehouse under releases/")
    release.add_argument("--version", required=True, help="semantic (1.2.0) or a date (2026.11.22)")
    release.add_argument("--warehouse", default="warehouse", type=Path, help="warehouse folder (default: warehouse)")
    release.add_argument("--previous", type=Path, help="release folder to compare with (default: the latest older one)")
    release.add_argument("--shared", type=Path, help="folder holding devset/ for the scores (default: ../shared)")
    release.add_argument("--include-body-text", action="store_true",
                         help="include articles.body_text (the publishers' text; left out by default)")
    release.add_argument("--overwrite", action="store_true", help="replace an existing release of this version")
    _add_wait(release)
    release.set_defaults(handler=_release)

    rules = commands.add_parser("rules", help="print the catalogue of extraction rules")
    rules.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    rules.set_defaults(handler=_rules)

    browse = commands.add_parser("browse", help="serve the warehouse with Datasette, on 127.0.0.1:8001 unless "
                                                "told otherwise (writes its SQLite edition first)")
    browse.add_argument("--warehouse", default="warehouse", type=Path, help="warehouse folder (default: warehouse)")
    browse.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                                                            "machine only)")
    browse.add_argument("--port", default=8001, type=int, help="port to listen on (default: 8001)")
    browse.add_argument("--no-serve", action="store_true",
                        help="write the edition (WAREHOUSE/datasette/) and stop, without serving it")
    browse.set_defaults(handler=_browse)

    report = commands.add_parser("report", help="write the warehouse's static HTML report: charts and a page "
                                                "per body (WAREHOUSE/report/index.html)")
    report.add_argument("--warehouse", default="warehouse", type=Path, help="warehouse folder (default: warehouse)")
    report.add_argument("--out", type=Path, help="folder to write it to (default: WAREHOUSE/report)")
    report.set_defaults(handler=_report)

    reference = commands.add_parser("reference", help="reference data for the organisation register")
    reference_commands = reference.add_subparsers(dest="reference_command", required=True)
    fetch = reference_commands.add_parser("fetch", help="download the current ODS extracts from NHS Digital")
    fetch.add_argument("--dest", type=Path, default=Path("raw") / "reference",
                       help="folder to unpack them into (default: raw/reference, which builds read)")
    fetch.add_argument("--base-url", default=None,
                       help="where the <name>.zip files are (default: NHS Digital's current ODS folder, "
                            "or $NHS_LEDGER_ODS_BASE_URL)")
    fetch.add_argument("--only", default=None, help="comma-separated extract names, e.g. etr,eccg,succ")
    _add_wait(fetch)
    fetch.set_defaults(handler=_reference_fetch)

    add_fetch_command(commands)
    return parser


def _add_wait(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", nargs="?", type=_seconds, default=0, const=None, metavar="SECONDS",
                         help="when another command is writing the warehouse, wait for it (for at most SECONDS; "
                              "alone: as long as it takes) instead of stopping at once with exit code 75")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a wait cannot be negative: {text!r}")
    return value


def _build(args: argparse.Namespace) -> int:
    from pipeline.warehouse import build_stamp, lock

    raw, warehouse = Path(args.raw), Path(args.warehouse)
    if not raw.is_dir():
        raise CliError(f"raw folder not found: {raw}")
    if args.reference is not None and not args.reference.is_dir():
        raise CliError(f"reference folder not found: {args.reference}")
    if args.domains is not None:
        _use_domains(args.domains)

    with lock.hold(warehouse, wait=args.wait, progress=_say), _stopped_cleanly("build", warehouse):
        # Taken before anything is read, so a file changed while this build runs is news to the next one.
        inputs = build_stamp.inputs_digest(raw, args.reference)
        stamp = None if args.full else build_stamp.unchanged_since_stamp(warehouse, inputs)
        if stamp is not None:
            print(stamp.summary)
            print(f"  batches processed: 0 of {stamp.batches}: nothing has changed since the build that finished "
                  f"{stamp.finished_at}, so no run was started (build --full runs every step again)")
            return 0
        build_stamp.forget_stamp(warehouse)
        return _run_build(args, raw, warehouse, inputs)


def _run_build(args: argparse.Namespace, raw: Path, warehouse: Path, inputs) -> int:
    """The build as Dagster runs, its summary, and the stamp that lets the next build with nothing new stop early
    (`inputs`: the `build_stamp.Inputs` taken before the build)."""
    import datetime as dt

    from assets.materialise import materialise
    from pipeline.progress import terminal_progress
    from pipeline.publish.summary import build_summary, render_summary
    from pipeline.warehouse import build_stamp
    from pipeline.warehouse.atomic import WarehouseWriteError

    with terminal_progress():
        result = materialise(raw, warehouse, full=args.full, reference=args.reference)
    if result.fault:  # the machine's, not the data's (a full disk): one line, like any error a user can fix
        raise MachineFault(f"build failed: {result.fault}; {_unchanged_since(warehouse)}")
    success, failures, checks = result
    summary = render_summary(build_summary(warehouse, checks, failures))
    print(summary)
    print(render_batches(result))
    if not success:
        return EXIT_FAILED
    finished = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        build_stamp.write_stamp(warehouse, inputs, summary=summary, batches=len(result.batches), finished_at=finished)
    except WarehouseWriteError as exc:  # the build is whole; only the next one's short cut is lost
        print(f"nhs-ledger: note: the build stamp was not written ({exc}); the next build runs every step",
              file=sys.stderr)
    return 0


def _use_domains(setting: str) -> None:
    """Name the allow-list in the environment, where every step of the build, in whatever process, reads it."""
    from pipeline.ingest.warc_domains import DOMAINS_ENV, EVERY_HOST, DomainListError, check

    value = EVERY_HOST if setting.strip().lower() == EVERY_HOST else str(Path(setting).resolve())
    try:
        check(value)
    except DomainListError as exc:
        raise CliError(str(exc)) from None
    os.environ[DOMAINS_ENV] = value


def render_batches(result) -> str:
    line = f"  batches processed: {len(result.processed)} of {len(result.batches)}"
    if result.processed:
        line += f" ({', '.join(result.processed)})"
    if result.removed:
        line += f"; removed: {', '.join(result.removed)}"
    return line


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from pipeline.evaluate import evaluate_warehouse, render_report

    if args.sets is not None:
        return _evaluate_sets(args)
    if not args.gold:
        raise CliError("give --gold FILE (and --warehouse DIR) to score a warehouse, or --sets [SHARED] to build "
                       "and score the evaluation sets")
    if args.scratch is not None:
        raise CliError("--scratch goes with --sets")
    report = evaluate_warehouse(args.warehouse or Path("warehouse"), args.gold)
    print(json.dumps(report.to_dict(), indent=2) if args.json else render_report(report, details=args.details))
    return 0


def _evaluate_sets(args: argparse.Namespace) -> int:
    """`evaluate --sets`: each set is built from its own articles, so it scores against its own gold only."""
    import json

    from pipeline.evaluate import render_report, render_sets_table, score_sets
    from pipeline.release.scores import build_warehouse, default_shared_dir

    if args.gold or args.warehouse is not None:
        raise CliError("--sets builds its own warehouses from the sets' articles and gold; drop --gold and --warehouse")
    shared = default_shared_dir() if args.sets is _DEFAULT_SHARED else args.sets
    report = score_sets(shared, build_warehouse, scratch=args.scratch,
                        progress=lambda message: print(f"nhs-ledger: {message}", file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(render_sets_table(report), end="")
    if args.details:
        for scored in report.scored:
            print(f"\n### {scored.set.label}\n")
            print(render_report(scored.report, details=True), end="")
    return 0


def _release(args: argparse.Namespace) -> int:
    from pipeline.progress import terminal_progress
    from pipeline.release import ReleaseError, build_release
    from pipeline.release.report import render_result

    from pipeline.warehouse import lock

    # A release reads the whole warehouse and writes under it: no build may replace files meanwhile. (No folder:
    # nothing to lock, and the release says what is missing.)
    holding = lock.hold(args.warehouse, wait=args.wait, progress=_say) if args.warehouse.is_dir() else nullcontext()
    try:
        with holding, terminal_progress():
            result = build_release(args.warehouse, args.version, shared_dir=args.shared, previous=args.previous,
                                   include_body_text=args.include_body_text, overwrite=args.overwrite)
    except ReleaseError as exc:
        raise CliError(str(exc)) from exc
    print(render_result(result))
    return 0


def _browse(args: argparse.Namespace) -> int:
    from pipeline.browse.edition import write_edition

    edition = write_edition(args.warehouse)
    print(f"nhs-ledger: Datasette edition {'written' if edition.written else 'up to date'}: {edition.sqlite}",
          file=sys.stderr, flush=True)
    if args.no_serve:
        return 0
    command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(edition.sqlite),
               "--metadata", str(edition.metadata), "--host", args.host, "--port", str(args.port)]
    print(f"nhs-ledger: serving http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr, flush=True)
    # Datasette takes over the process: its server handles Ctrl-C and SIGTERM itself.
    os.execv(sys.executable, command)
    return 0  # not reached


def _report(args: argparse.Namespace) -> int:
    from pipeline.report import build_report

    # No lock: the report reads the DuckDB file, which a build replaces by a rename.
    index = build_report(args.warehouse, args.out or args.warehouse / "report")
    print(f"report: {index}")
    return 0


def _rules(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from pipeline.rules import catalogue, render

    rules = catalogue()
    print(json.dumps([dataclasses.asdict(r) for r in rules], indent=2, ensure_ascii=False) if args.json
          else render(rules))
    return 0


def _reference_fetch(args: argparse.Namespace) -> int:
    from pipeline.register.fetch import fetch_reference, render

    from pipeline.warehouse import lock

    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    # Two fetches into one folder would unpack over each other: the folder has a lock of its own.
    with lock.hold(args.dest, wait=args.wait, progress=_say):
        results = fetch_reference(args.dest, args.base_url, names)
    print(render(results, args.dest))
    if not any(r.ok for r in results):
        raise CliError("no extract could be fetched (is the network reachable? see --base-url)")
    return 0 if all(r.ok for r in results) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
