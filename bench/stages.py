"""Run one `nhs-ledger` command with stage timers, and write the timings as JSON.

    python -m bench.stages --timings OUT.json -- build --raw R --warehouse W

It calls `cli.main.main(argv)`, the very function `python -m cli` and the `nhs-ledger` script run,
after wrapping a few engine functions and the CLI's `_execute_build` with timers:

* per Dagster step, from the run's own event log (STEP_START to STEP_SUCCESS/FAILURE, summed over the runs
  of one build): `ingested_articles`, `extracted_candidates`, `organisations`, `published_facts`, `runs`,
  `nhs_ledger_duckdb`, the `*_contract` checks;
* per engine function, inclusive seconds and calls (reading and cleaning inputs, HTML parsing, extracting
  articles, Parquet reads and writes, the register, publishing, DuckDB, checks, Dagster metadata, planning);
* per progress stage (`pipeline.progress.report`): first and last report, which also times a `release`;
* the peak resident memory of the process while each context ran (sampled every 0.05 s in a thread).

The wrappers cost a function call and two clock reads per call (about a microsecond per article), so the
build's wall time is the CLI's. A function that has moved or been renamed is simply not timed (listed under
`missing_hooks`), never an error: the engine is being changed while this benchmark measures it.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # before the engine and Dagster are imported

import argparse  # noqa: E402
import functools  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

# (module, attribute, label, kind). Patched where the callers look the name up at call time. A "context" is
# a top-level engine call of one asset (the leaf timers inside it are also recorded per context); a "leaf" is
# a unit of work inside them.
HOOKS = [
    ("pipeline.batches", "plan_batches", "plan batches", "context"),
    ("assets.ingest", "ingest_batches", "ingest: ingest_batches", "context"),
    ("assets.ingest", "stored_rows", "ingest: stored_rows (metadata from footers)", "context"),
    ("assets.ingest", "table_metadata", "ingest: table_metadata", "context"),
    ("assets.extract", "extract_partitions", "extract: extract_partitions", "context"),
    ("assets.extract", "stored_rows", "extract: stored_rows (metadata from footers)", "context"),
    ("assets.extract", "table_metadata", "extract: table_metadata", "context"),
    ("assets.resolve", "resolve_register", "resolve: resolve_register", "context"),
    ("assets.resolve", "table_metadata", "resolve: table_metadata", "context"),
    ("assets.publish", "publish_tables", "publish: publish_tables", "context"),
    ("assets.publish", "table_metadata", "publish: table_metadata", "context"),
    ("assets.publish", "write_figures_table", "figures: write_figures_table", "context"),
    ("assets.publish", "write_runs_table", "runs: write_runs_table", "context"),
    ("assets.publish", "build_duckdb", "duckdb: build_duckdb", "context"),
    ("assets.checks", "stored_table_checks", "checks: stored_table_checks", "context"),
    ("pipeline.publish.summary", "build_summary", "summary: build_summary", "context"),
    ("pipeline.release", "build_release", "release: build_release", "context"),
    ("pipeline.ingest.stage", "_read_files", "read and clean inputs (_read_files)", "leaf"),
    ("pipeline.ingest.html", "extract_html", "HTML main text (trafilatura)", "leaf"),
    ("pipeline.ingest.readers", "clean_page_text", "page cleaning (clean_page_text)", "leaf"),
    ("pipeline.extract.stage", "extract_article", "extract_article", "leaf"),
    ("pipeline.extract.stage", "extract_batch", "extract_batch (articles to frames)", "leaf"),
    ("pipeline.warehouse.store", "write_partition", "parquet write_partition", "leaf"),
    ("pipeline.warehouse.store", "write_table", "parquet write_table", "leaf"),
    ("pipeline.warehouse.store", "read_partition", "parquet read_partition", "leaf"),
    ("pipeline.warehouse.store", "read_table", "parquet read_table", "leaf"),
]

timers: dict[str, list[float]] = {}  # label -> [seconds, calls]
steps: dict[str, list[float]] = {}  # Dagster step key -> [seconds, count]
runs: list[dict] = []
progress_stages: dict[str, dict] = {}
missing: list[str] = []


by_context: dict[str, dict[str, list[float]]] = {}  # context -> leaf label -> [seconds, calls]
_stack: list[str] = []


def _timed(label: str, kind: str, fn):
    slot = timers.setdefault(label, [0.0, 0])

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kind == "context":
            _stack.append(label)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds = time.perf_counter() - start
            slot[0] += seconds
            slot[1] += 1
            if kind == "context":
                _stack.pop()
            else:
                inner = by_context.setdefault(_stack[-1] if _stack else "(no context)", {}).setdefault(label, [0.0, 0])
                inner[0] += seconds
                inner[1] += 1

    return wrapper


rss_peaks: dict[str, int] = {}  # context (or "(no context)") -> the largest RSS sampled while it ran, bytes
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _sample_rss(every: float = 0.05) -> None:
    """Attribute this process's resident memory, sampled in a thread, to the context running at the time."""
    while True:
        try:
            with open("/proc/self/statm") as handle:
                rss = int(handle.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return
        context = _stack[-1] if _stack else "(no context)"
        if rss > rss_peaks.get(context, 0):
            rss_peaks[context] = rss
        time.sleep(every)


def install() -> None:
    threading.Thread(target=_sample_rss, name="bench-rss", daemon=True).start()
    for module_name, attribute, label, kind in HOOKS:
        try:
            module = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - a moved module is reported, not fatal
            missing.append(f"{module_name}.{attribute}")
            continue
        fn = getattr(module, attribute, None)
        if fn is None or not callable(fn):
            missing.append(f"{module_name}.{attribute}")
            continue
        setattr(module, attribute, _timed(label, kind, fn))
    _hook_progress()
    _hook_execute_build()


def _hook_progress() -> None:
    try:
        from pipeline import progress
    except Exception:  # noqa: BLE001
        missing.append("pipeline.progress.report")
        return
    original = progress.report

    def report(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - _T0
        entry = progress_stages.setdefault(stage, {"first_s": now, "last_s": now, "reports": 0, "total": total})
        entry["last_s"], entry["total"] = now, total
        entry["reports"] += 1
        if total <= 50:  # a stage of a few named steps (a release's): keep when each step began
            entry.setdefault("events", []).append([now, done])
        original(stage, done, total)

    progress.report = report


def _hook_execute_build() -> None:
    try:
        materialise = importlib.import_module("assets.materialise")
        original = materialise._execute_build
    except Exception:  # noqa: BLE001
        missing.append("assets.materialise._execute_build")
        return

    @functools.wraps(original)
    def execute(defs, instance, *args, **kwargs):
        start = time.perf_counter()
        result = original(defs, instance, *args, **kwargs)
        seconds = time.perf_counter() - start
        run = {"run_id": getattr(result, "run_id", None), "seconds": seconds, "success": getattr(result, "success", None),
               "steps": {}}
        try:
            run["steps"] = _step_durations(instance, result.run_id)
        except Exception as exc:  # noqa: BLE001 - timings are a bonus, never a failure
            run["step_error"] = f"{type(exc).__name__}: {exc}"
        for key, value in run["steps"].items():
            slot = steps.setdefault(key, [0.0, 0])
            slot[0] += value
            slot[1] += 1
        runs.append(run)
        return result

    materialise._execute_build = execute


def _step_durations(instance, run_id: str) -> dict[str, float]:
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
            durations[entry.step_key] = durations.get(entry.step_key, 0.0) + entry.timestamp - started.pop(entry.step_key)
    return durations


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.stages")
    parser.add_argument("--timings", type=Path, required=True, help="JSON file to write the timings to")
    if "--" not in argv:
        parser.error("give the nhs-ledger arguments after --")
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    cli_argv = argv[split + 1:]
    install()
    imported = time.perf_counter() - _T0
    code = 1
    started = time.perf_counter()
    try:
        from cli.main import main as cli_main
        code = cli_main(cli_argv)
        return code
    finally:
        total = time.perf_counter() - _T0
        args.timings.parent.mkdir(parents=True, exist_ok=True)
        args.timings.write_text(json.dumps({
            "argv": cli_argv,
            "exit_code": code,
            "seconds_in_process": total,
            "seconds_imports_and_hooks": imported,
            "seconds_cli_main": time.perf_counter() - started,
            "dagster_runs": runs,
            "dagster_steps": {k: {"seconds": v[0], "runs": v[1]} for k, v in sorted(steps.items())},
            "timers": {k: {"seconds": v[0], "calls": v[1]} for k, v in timers.items() if v[1]},
            "timers_by_context": {c: {k: {"seconds": v[0], "calls": v[1]} for k, v in leaves.items()}
                                  for c, leaves in by_context.items()},
            "progress_stages": progress_stages,
            "rss_peak_by_context": dict(sorted(rss_peaks.items(), key=lambda kv: -kv[1])),
            "missing_hooks": missing,
        }, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
