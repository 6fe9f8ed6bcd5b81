"""The benchmark: how fast and how big NHS Ledger is today, against issue 16's targets.

    python -m bench.run                      # full: 1,000, 20,000 and 100,000 articles (tens of minutes)
    python -m bench.run --quick              # 200 and 1,000 articles, for development (a few minutes)
    python -m bench.run --sizes 1000,10000   # any sizes

Writes `bench/results/<YYYY-MM-DD>.json` and `.md` (a `--quick` or `--sizes` run writes `<date>-quick` or
`<date>-custom`, so it never replaces the day's full run) and prints the markdown report. What it measures:

1. **Extraction alone**, on one core: `extract_article` over the cleaned texts of `--extract-articles`
   generated articles read beforehand, best of 3 (articles per CPU second, and per wall second), its ratio to
   the 2,000 articles/s/core target and to a bare scan of the same texts with three compiled regular expressions
   (`extraction.BARE_SCAN`); then one pass with a timer on each recogniser and one under cProfile.
2. **End-to-end builds** at each size: `nhs-ledger build` as a subprocess with DAGSTER_HOME unset, into an
   empty warehouse, from a raw folder made by `bench.generate` (cached between runs under `--workdir`). Wall
   time, and peak memory of the build's process tree: the largest of the tree's summed RSS sampled every
   0.1 s and the peak RSS (`ru_maxrss`) the kernel reports for the process when it exits. The build runs through
   `bench.stages`, which calls the same `cli.main.main` with timers on the Dagster steps and the engine
   functions; `--plain` runs `python -m cli build` itself instead (no stage profile).
3. On the largest warehouse: a `release` (`--shared` pointing nowhere, so no devset scores), a rebuild with
   nothing new, and an **incremental build** adding `--incremental` articles as a new batch folder (the folder is
   removed afterwards, so the cached raw folder stays as generated); on the 20,000-article warehouse, the same
   two rebuilds.
4. How cost grows with N: seconds per 1,000 articles at each size and the exponent of a log-log fit of wall
   time and of peak memory against N; whether memory grows with N beyond the output.
5. The targets of issue 16, each met / missed with the figure and the gap (a build that does not
   finish within `--timeout` is "missed: did not finish in X s").
6. The profile: the three most expensive stages of the largest build and their share of its wall time,
   every stage at every size, and extraction recogniser by recogniser.

No number here is asserted anywhere: the machine is shared and noisy (the load average is recorded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import code_snapshot
from bench.analysis import scaling, stage_profile, targets
from bench.code_snapshot import code_digest, snapshot_code
from bench.datasets import dataset, folder_bytes, generation_seconds
from bench.extraction import extraction_benchmark
from bench.measurement import cli_run, measure
from bench.raw_folder import DEFAULT_BATCH_SIZE, DEFAULT_SEED, generate
from bench.report import render
from bench.settings import MIDDLE_SIZE, ROOT, TARGET_SIZE, TARGETS, log
from bench.warc import warc_benchmark

# The benchmark's public API, importable from here (`from bench import run as bench_run`). `build` and `run`
# look `cli_run` up in this module, so replacing `bench.run.cli_run` fakes every command a run measures.
__all__ = ["build", "cli_run", "dataset", "main", "measure", "run", "stage_profile"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FULL_SIZES = (1000, MIDDLE_SIZE, TARGET_SIZE)
QUICK_SIZES = (200, 1000)


def build(raw: Path, warehouse: Path, *, label: str, workdir: Path, timeout: float, plain: bool,
          fresh: bool = True) -> dict:
    if fresh and warehouse.exists():
        shutil.rmtree(warehouse)
    log(f"{label}: nhs-ledger build --raw {raw} --warehouse {warehouse} (timeout {timeout:.0f} s)")
    result = cli_run(["build", "--raw", str(raw), "--warehouse", str(warehouse)], label=label, workdir=workdir,
                     timeout=timeout, plain=plain)
    result["warehouse_bytes"] = folder_bytes(warehouse, skip=("releases",)) if warehouse.exists() else 0
    result["raw_bytes"] = folder_bytes(raw)
    log(f"{label}: {result['status']} in {result['wall_s']:.1f} s, peak {result['peak_rss_bytes'] / 2**20:.0f} MiB")
    return result


def _rebuilds(raw: Path, warehouse: Path, articles: int, *, workdir: Path, timeout: float, plain: bool, seed: int,
              batch_size: int, noop: bool, incremental: int) -> tuple[dict | None, dict | None]:
    """On a built warehouse: a rebuild with nothing new, then one adding `incremental` articles as a new batch
    folder (removed afterwards, so the cached raw folder stays as generated)."""
    noop_result = incremental_result = None
    if noop:
        # As a user runs it (`python -m cli build`): the stage timers import Dagster to hook its steps, and a
        # build with nothing new stops before Dagster would be imported.
        noop_result = build(raw, warehouse, label=f"noop-{articles}", workdir=workdir, timeout=timeout,
                            plain=True, fresh=False)
        noop_result["articles"] = articles
        noop_result["profile"] = stage_profile(noop_result)
    if incremental:
        start = math.ceil(articles / batch_size) * batch_size
        before = {p.name for p in raw.iterdir() if p.is_dir()}
        try:
            generate(raw, incremental, seed=seed, batch_size=batch_size, start=start)
            new = sorted({p.name for p in raw.iterdir() if p.is_dir()} - before)
            incremental_result = build(raw, warehouse, label=f"incremental-{articles}", workdir=workdir,
                                       timeout=timeout, plain=plain, fresh=False)
        finally:
            for name in {p.name for p in raw.iterdir() if p.is_dir()} - before:
                shutil.rmtree(raw / name)
        incremental_result.update({"base_articles": articles, "added_articles": incremental, "new_batches": new})
        incremental_result["profile"] = stage_profile(incremental_result)
    return noop_result, incremental_result


# ---------------------------------------------------------------- the run

def environment() -> dict:
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    versions = {}
    for package in ("dagster", "polars", "duckdb", "pyarrow", "trafilatura"):
        try:
            from importlib.metadata import version
            versions[package] = version(package)
        except Exception:  # noqa: BLE001
            versions[package] = None
    try:
        from pipeline.extract.extractor import EXTRACTOR_VERSION
    except Exception:  # noqa: BLE001
        EXTRACTOR_VERSION = None
    status = git("status", "--porcelain") or ""
    return {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "load_average_at_start": os.getloadavg(),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_uncommitted_paths": len([line for line in status.splitlines() if line.strip()]),
        "extractor_version": EXTRACTOR_VERSION, "packages": versions,
    }


def run(*, sizes: list[int], workdir: Path, out_dir: Path | None, label: str, seed: int = DEFAULT_SEED,
        batch_size: int = DEFAULT_BATCH_SIZE, extract_articles: int = 2000, incremental: int = 1000,
        timeout: float = 1800.0, plain: bool = False, release: bool = True, noop: bool = True,
        snapshot: bool = True, warc_pages: int = 2000) -> dict:
    """Measure everything; write `<out_dir>/<date>[-label].json` and `.md` (unless out_dir is None)."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    live_digest = code_digest(ROOT)
    if snapshot:
        code_snapshot.code_root = snapshot_code(workdir)
        if "pipeline" not in sys.modules:  # extraction in this process measures the snapshot too
            sys.path.insert(0, str(code_snapshot.code_root))
        log(f"measuring a snapshot of the code in {code_snapshot.code_root}")
    results: dict = {
        "date": started.date().isoformat(), "started_at": started.isoformat(timespec="seconds"), "label": label,
        "config": {"sizes": sizes, "seed": seed, "batch_size": batch_size, "extract_articles": extract_articles,
                   "incremental_articles": incremental, "timeout_s": timeout, "plain_cli": plain,
                   "warc_pages": warc_pages,
                   "workdir": str(workdir)},
        "environment": environment(), "targets_defined": TARGETS, "generation": [], "builds": [],
    }
    results["environment"].update({"code_root": str(code_snapshot.code_root),
                                   "code_digest": code_digest(code_snapshot.code_root),
                                   "live_tree_digest_at_start": live_digest})

    # Generation, timed (cached raw folders are reused and marked so).
    raws = {}
    for n in sorted(set(sizes) | {extract_articles}):
        raw, seconds = dataset(workdir, n, seed, batch_size)
        raws[n] = raw
        results["generation"].append({"articles": n, "seconds": seconds, "cached": seconds is None,
                                      "seconds_when_generated": generation_seconds(raw),
                                      "raw_bytes": folder_bytes(raw), "path": str(raw)})
        log(f"data set {n:,}: " + ("cached" if seconds is None else f"generated in {seconds:.1f} s"))

    results["extraction"] = extraction_benchmark(raws[extract_articles])
    log(f"extraction: {results['extraction']['articles_per_cpu_s']:.0f} articles per CPU second")

    for n in sorted(sizes):
        result = build(raws[n], workdir / f"warehouse-{n}", label=f"build-{n}", workdir=workdir, timeout=timeout,
                       plain=plain)
        result["articles"] = n
        result["batches"] = math.ceil(n / batch_size)
        result["profile"] = stage_profile(result)
        results["builds"].append(result)

    largest = max(sizes)
    base = next(b for b in results["builds"] if b["articles"] == largest)
    warehouse = workdir / f"warehouse-{largest}"
    if base["status"] != "ok":
        reason = f"the {largest:,}-article build did not finish ({base['status']})"
        results["release"] = {"status": "skipped", "reason": reason}
        results["noop"] = {"status": "skipped", "reason": reason}
        results["incremental"] = {"status": "skipped", "reason": reason}
    else:
        if release:
            log(f"release of the {largest:,}-article warehouse")
            rel = cli_run(["release", "--version", "1.0.0", "--warehouse", str(warehouse), "--shared",
                           str(workdir / "no-shared-folder"), "--overwrite"], label=f"release-{largest}",
                          workdir=workdir, timeout=timeout, plain=plain)
            rel["articles"] = largest
            rel["release_bytes"] = folder_bytes(warehouse / "releases")
            results["release"] = rel
            log(f"release: {rel['status']} in {rel['wall_s']:.1f} s")
        results["noop"], results["incremental"] = _rebuilds(raws[largest], warehouse, largest, workdir=workdir,
                                                            timeout=timeout, plain=plain, seed=seed,
                                                            batch_size=batch_size, noop=noop, incremental=incremental)
    # The middle size's own targets: one more batch and nothing new, on a warehouse a fifth of the largest.
    middle = next((b for b in results["builds"] if b["articles"] == MIDDLE_SIZE and MIDDLE_SIZE != largest), None)
    if middle is not None and middle["status"] == "ok":
        noop_result, incremental_result = _rebuilds(raws[MIDDLE_SIZE], workdir / f"warehouse-{MIDDLE_SIZE}",
                                                    MIDDLE_SIZE, workdir=workdir, timeout=timeout, plain=plain,
                                                    seed=seed, batch_size=batch_size, noop=noop,
                                                    incremental=incremental)
        results["middle"] = {"noop": noop_result, "incremental": incremental_result}

    if warc_pages:
        results["warc"] = warc_benchmark(workdir, warc_pages, timeout=timeout, plain=plain, run_cli=cli_run)
    results["scaling"] = scaling(results["builds"])
    results["targets"] = targets(results)
    largest_ok = [b for b in results["builds"] if b["status"] == "ok" and b.get("profile")]
    results["profile"] = largest_ok[-1]["profile"] | {"articles": largest_ok[-1]["articles"]} if largest_ok else None
    results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results["environment"]["load_average_at_end"] = os.getloadavg()
    results["environment"]["live_tree_digest_at_end"] = code_digest(ROOT)
    code_snapshot.code_root = ROOT
    results["markdown"] = render(results)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = results["date"] + (f"-{label}" if label else "")
        (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        (out_dir / f"{stem}.md").write_text(results["markdown"], encoding="utf-8")
        results["written"] = [str(out_dir / f"{stem}.json"), str(out_dir / f"{stem}.md")]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated article counts (default 1000,10000,100000)")
    parser.add_argument("--quick", action="store_true", help="sizes 200 and 1,000; extraction on 1,000 articles")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per build before it is killed "
                        "and recorded as missed (default 1800)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "nhs-ledger-bench",
                        help="generated raw folders (cached), warehouses, logs (default: $TMPDIR/nhs-ledger-bench)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where the JSON and markdown go")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--extract-articles", type=int, default=None, help="articles for the extraction "
                        "benchmark (default 2,000; 1,000 with --quick)")
    parser.add_argument("--incremental", type=int, default=1000, help="articles added in the incremental build")
    parser.add_argument("--warc-pages", type=int, default=None, help="pages about NHS money in the web archive "
                        "benchmark (default 2,000; 400 with --quick; 0 skips it)")
    parser.add_argument("--plain", action="store_true", help="run `python -m cli` itself (no stage timers)")
    parser.add_argument("--live", action="store_true", help="run the builds from the working tree, not from a "
                        "snapshot of it taken at the start (edits during the run then change what is measured)")
    parser.add_argument("--render", type=Path, help="print the markdown of a results JSON again (and rewrite its .md)")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
        results["scaling"] = scaling(results["builds"])
        results["targets"] = targets(results)
        markdown = render(results)
        args.render.with_suffix(".md").write_text(markdown, encoding="utf-8")
        print(markdown)
        return 0
    if args.sizes:
        sizes, label = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()], "custom"
    elif args.quick:
        sizes, label = list(QUICK_SIZES), "quick"
    else:
        sizes, label = list(FULL_SIZES), ""
    if args.sizes and sorted(sizes) == list(FULL_SIZES):
        label = ""
    extract = args.extract_articles or (1000 if args.quick else 2000)
    results = run(sizes=sizes, workdir=args.workdir, out_dir=args.out_dir, label=label, seed=args.seed,
                  batch_size=args.batch_size, extract_articles=extract, incremental=args.incremental,
                  timeout=args.timeout, plain=args.plain, snapshot=not args.live,
                  warc_pages=args.warc_pages if args.warc_pages is not None else (400 if args.quick else 2000))
    print(results["markdown"])
    for path in results.get("written", []):
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
