"""The `nhs-ledger` command: build a warehouse, score it against gold files.

`build` materialises the very Dagster definitions the UI serves, in-process.
Errors are one clear line on stderr and a non-zero exit, never a traceback
(set NHS_LEDGER_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A problem the user can fix, reported as one line."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("nhs-ledger: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's contract is one line per error
        if os.environ.get("NHS_LEDGER_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, (CliError, FileNotFoundError)) and type(exc).__name__ not in message:
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
    build.set_defaults(handler=_build)

    evaluate = commands.add_parser("evaluate", help="score a warehouse against gold files (GUIDELINES.md format)")
    evaluate.add_argument("--gold", action="append", required=True, type=Path,
                          help="gold JSON Lines file; repeat for several")
    evaluate.add_argument("--warehouse", default="warehouse", type=Path, help="warehouse folder (default: warehouse)")
    evaluate.add_argument("--details", action="store_true", help="list every missed and spurious fact per article")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_evaluate)

    rules = commands.add_parser("rules", help="print the catalogue of extraction rules")
    rules.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    rules.set_defaults(handler=_rules)
    return parser


def _build(args: argparse.Namespace) -> int:
    from pipeline.summary import build_summary, render_summary

    raw, warehouse = Path(args.raw), Path(args.warehouse)
    if not raw.is_dir():
        raise CliError(f"raw folder not found: {raw}")
    from pipeline.progress import terminal_progress

    with terminal_progress():
        success, failures, checks = materialise(raw, warehouse, full=args.full)
    summary = build_summary(warehouse, checks, failures)
    print(render_summary(summary))
    return 0 if success else EXIT_FAILED


def materialise(raw: Path, warehouse: Path, *, full: bool = False) -> tuple[bool, list[str], list[tuple[str, bool]]]:
    """Run the `build` job of the UI's definitions in this process.

    Returns whether the run succeeded, one line per failed step, and (check name, passed) per asset check.
    Runs are recorded in the project's Dagster instance when DAGSTER_HOME is set (as `make` sets it),
    so they show in the UI; otherwise in a throwaway instance.
    """
    import dagster as dg

    from pipeline.definitions import make_definitions

    defs = make_definitions(str(raw.resolve()), str(warehouse.resolve()), full_rebuild=full)
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
    instance = dg.DagsterInstance.get() if home else dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = defs.resolve_job_def("build").execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
    failures = [f"{event.step_key}: {_root_cause(event.step_failure_data.error)}"
                for event in result.all_events if event.is_step_failure]
    checks = [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()]
    return result.success, failures, checks


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from pipeline.evaluate import evaluate_warehouse, render_report

    report = evaluate_warehouse(args.warehouse, args.gold)
    print(json.dumps(report.to_dict(), indent=2) if args.json else render_report(report, details=args.details))
    return 0


def _rules(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from pipeline.rules import catalogue, render

    rules = catalogue()
    print(json.dumps([dataclasses.asdict(r) for r in rules], indent=2, ensure_ascii=False) if args.json
          else render(rules))
    return 0


def _root_cause(error) -> str:
    """Dagster wraps a step's exception; the user needs the innermost message."""
    while error.cause is not None:
        error = error.cause
    message = (error.message or "").strip().splitlines()
    return message[-1] if message else error.cls_name or "unknown error"


if __name__ == "__main__":
    sys.exit(main())
