"""The benchmark of issue 7: how fast and how big NHS Ledger is today, against the issue's targets.

    python -m bench.run                      # full: 1,000, 10,000 and 100,000 articles (tens of minutes today)
    python -m bench.run --quick              # 200 and 1,000 articles, for development (a few minutes)
    python -m bench.run --sizes 1000,10000   # any sizes

Writes `bench/results/<YYYY-MM-DD>.json` and `.md` (a `--quick` or `--sizes` run writes `<date>-quick` or
`<date>-custom`, so it never replaces the day's full run) and prints the markdown report. What it measures:

1. **Extraction alone**, on one core: `extract_article` over the cleaned texts of `--extract-articles`
   generated articles read beforehand, best of 3 (articles per CPU second, and per wall second), its ratio to
   the 2,000 articles/s/core target; then one pass with a timer on each recogniser and one under cProfile.
2. **End-to-end builds** at each size: `nhs-ledger build` as a subprocess with DAGSTER_HOME unset, into an
   empty warehouse, from a raw folder made by `bench.generate` (cached between runs under `--workdir`). Wall
   time, and peak memory of the build's process tree: the largest of the tree's summed RSS sampled every
   0.1 s and the peak RSS (`ru_maxrss`) the kernel reports for the process when it exits. The build runs through
   `bench.stages`, which calls the same `pipeline.cli.main` with timers on the Dagster steps and the engine
   functions; `--plain` runs `python -m pipeline.cli build` itself instead (no stage profile).
3. On the largest warehouse: a `release` (`--shared` pointing nowhere, so no devset scores), a rebuild with
   nothing new, and an **incremental build** adding `--incremental` articles as a new batch folder (the folder is
   removed afterwards, so the cached raw folder stays as generated).
4. How cost grows with N: seconds per 1,000 articles at each size and the exponent of a log-log fit of wall
   time and of peak memory against N; whether memory grows with N beyond the output.
5. The targets of the issue's point 2, each met / missed with the figure and the gap (a build that does not
   finish within `--timeout` is "missed: did not finish in X s").
6. The profile: the three most expensive stages of the largest build and their share of its wall time,
   every stage at every size, and extraction recogniser by recogniser.

No number here is asserted anywhere: the machine is shared and noisy (the load average is recorded).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import math
import os
import platform
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import generate as gen

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
FULL_SIZES = (1000, 10000, 100000)
QUICK_SIZES = (200, 1000)
TARGET_SIZE = 100_000
TARGETS = {
    "extraction_articles_per_s": 2000.0,
    "build_100k_seconds": 300.0,
    "build_100k_peak_bytes": 2 * 1024 ** 3,
    "incremental_seconds": 20.0,
}
SAMPLE_EVERY = 0.1
PAGE = os.sysconf("SC_PAGE_SIZE")

# Which Dagster steps make which pipeline stage; the `*_contract` steps are the checks.
STEP_STAGES = {
    "ingested_articles": "ingest (read + clean inputs)",
    "extracted_candidates": "extract (recognisers + classification)",
    "organisations": "resolve (organisation register)",
    "published_facts": "publish (fact tables)",
    "runs": "publish (runs table)",
    "nhs_ledger_duckdb": "DuckDB build",
}
CHECKS_STAGE = "checks (contract asset checks)"
STARTUP_STAGE = "process start and imports"
ORCHESTRATION_STAGE = "Dagster orchestration and planning"
SUMMARY_STAGE = "build summary (CLI)"
# The timers of `bench.stages` that belong to each stage: what the report lists inside it.
STAGE_CONTEXTS = {
    "ingest (read + clean inputs)": ["ingest: ingest_batches", "ingest: stored_rows (metadata from footers)",
                                     "ingest: table_metadata"],
    "extract (recognisers + classification)": ["extract: extract_partitions",
                                               "extract: stored_rows (metadata from footers)",
                                               "extract: table_metadata"],
    "resolve (organisation register)": ["resolve: resolve_register", "resolve: table_metadata"],
    "publish (fact tables)": ["publish: publish_tables", "publish: table_metadata"],
    "publish (runs table)": ["runs: write_runs_table"],
    "DuckDB build": ["duckdb: build_duckdb"],
    CHECKS_STAGE: ["checks: stored_table_checks"],
    ORCHESTRATION_STAGE: ["plan batches"],
    SUMMARY_STAGE: ["summary: build_summary"],
}
# Extraction: the functions `extract_article` calls, timed one by one (names in pipeline.extract.extractor).
RECOGNISERS = [
    ("find_org_mentions", "organisations (orgs.find_org_mentions)"),
    ("find_money", "money (amounts.find_money)"),
    ("split_sentences", "sentences (sentences.split_sentences)"),
    ("sentence_index", "sentences (sentences.sentence_index)"),
    ("find_periods", "periods (periods.find_periods)"),
    # Candidate owners (references, collectives, pronouns) are looked up on demand from inside classify.
    ("classify", "classification (facts.classify, with its candidate look-ups)"),
    ("merge_restatements", "restatements (extractor.merge_restatements)"),
]
MODULE_LABELS = {
    "amounts.py": "money", "periods.py": "periods", "orgs.py": "organisations", "sentences.py": "sentences",
    "bodies.py": "candidates", "facts.py": "classification", "lexicon.py": "classification (cue lexicon)",
    "extractor.py": "extractor (merge, ids, rows)",
    "literals.py": "candidates", "lines.py": "candidates",
}


# What a build needs of the project, copied at the start of a run so every build of the run measures the same
# code even while the working tree is being edited (an engine change would otherwise reprocess every batch).
SNAPSHOT_ITEMS = ("pipeline", "assets", "schemas", "bench", "frictionless_nhsledger.py", "pyproject.toml",
                  "workspace.yaml")
_code_root = ROOT  # where builds run from: the project, or the run's snapshot of it


def snapshot_code(workdir: Path) -> Path:
    target = workdir / "code"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "results")
    for item in SNAPSHOT_ITEMS:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / item)
    return target


def code_digest(root: Path) -> str:
    """A hash of the engine's source (pipeline, assets, schemas): tells whether the tree changed during a run."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("pipeline", "assets", "schemas"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".csv", ".txt", ".json"}:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data sets

def dataset(workdir: Path, articles: int, seed: int, batch_size: int) -> tuple[Path, float | None]:
    """The raw folder of `articles` generated articles (generated unless cached). Returns (path, seconds it took
    to generate, None when cached)."""
    raw = workdir / f"raw-{articles}-s{seed}-b{batch_size}"
    stamp = raw / ".bench.json"
    if stamp.is_file():
        try:
            meta = json.loads(stamp.read_text())
            expected = sorted(gen.month_name(gen.DEFAULT_FIRST_MONTH, b) for b in range(math.ceil(articles / batch_size)))
            present = sorted(p.name for p in raw.iterdir() if p.is_dir())
            if meta.get("generator_version") == gen.GENERATOR_VERSION and meta.get("articles") == articles \
                    and meta.get("seed") == seed and meta.get("batch_size") == batch_size and present == expected:
                return raw, None
        except (OSError, ValueError):
            pass
    if raw.exists():
        shutil.rmtree(raw)
    started = time.perf_counter()
    gen.generate(raw, articles, seed=seed, batch_size=batch_size)
    seconds = time.perf_counter() - started
    meta = json.loads(stamp.read_text())
    stamp.write_text(json.dumps(meta | {"generation_seconds": round(seconds, 2)}, indent=2) + "\n")
    return raw, seconds


def generation_seconds(raw: Path) -> float | None:
    """How long a cached raw folder took to generate (recorded beside it)."""
    try:
        return json.loads((raw / ".bench.json").read_text()).get("generation_seconds")
    except (OSError, ValueError):
        return None


def folder_bytes(path: Path, skip: tuple[str, ...] = ()) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        if skip:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


# ---------------------------------------------------------------- one measured process

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(c) for c in handle.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return found


def _tree_rss(pid: int) -> int:
    """Summed resident memory of `pid` and all its descendants, in bytes."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(current)
    return total


def measure(cmd: list[str], *, timeout: float, log_path: Path, env: dict | None = None) -> dict:
    """Run `cmd` (cwd: the project root or the run's snapshot of it), sampling its process tree's memory. Never raises on the command's failure."""
    env = dict(os.environ if env is None else env)
    env.pop("DAGSTER_HOME", None)  # the CLI then uses a throwaway instance, as a user's first build does
    env["PYTHONPATH"] = os.pathsep.join([str(_code_root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=_code_root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        peak_tree, samples, status, usage, timed_out = 0, 0, None, None, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            samples += 1
            if time.perf_counter() - started > timeout:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the session this call started, nothing else
                except ProcessLookupError:
                    pass
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(SAMPLE_EVERY)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * 1024 if usage is not None else 0  # KiB on Linux
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return {
        "command": cmd,
        "status": "timeout" if timed_out else ("ok" if proc.returncode == 0 else "failed"),
        "exit_code": proc.returncode,
        "wall_s": wall,
        "timeout_s": timeout,
        "peak_rss_bytes": max(peak_tree, maxrss),
        "peak_tree_rss_sampled_bytes": peak_tree,
        "maxrss_bytes": maxrss,
        "cpu_user_s": usage.ru_utime if usage is not None else None,
        "cpu_system_s": usage.ru_stime if usage is not None else None,
        "rss_samples": samples,
        "log": str(log_path),
        "output_tail": _tail(text, 22),
    }


def _tail(text: str, lines: int) -> list[str]:
    kept = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]  # progress bars redraw with \r
    return [line for line in kept if line.strip()][-lines:]


def cli_run(args: list[str], *, label: str, workdir: Path, timeout: float, plain: bool) -> dict:
    """One `nhs-ledger` command, measured; with stage timings unless `plain`."""
    timings = workdir / "timings" / f"{label}.json"
    timings.unlink(missing_ok=True)
    if plain:
        cmd = [sys.executable, "-m", "pipeline.cli", *args]
    else:
        cmd = [sys.executable, "-m", "bench.stages", "--timings", str(timings), "--", *args]
    result = measure(cmd, timeout=timeout, log_path=workdir / "logs" / f"{label}.log")
    if timings.is_file():
        try:
            result["stages"] = json.loads(timings.read_text())
        except ValueError:
            pass
    return result


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


# ---------------------------------------------------------------- extraction alone

def extraction_benchmark(raw: Path, repeats: int = 3, top: int = 15) -> dict:
    """extract_article over pre-read cleaned texts on this process's one core."""
    from pipeline.extract import extractor
    from pipeline.ingest.inventory import list_raw_files
    from pipeline.ingest.readers import read_batch

    read_started = time.perf_counter()
    articles, rejections = read_batch(list_raw_files(raw))
    read_seconds = time.perf_counter() - read_started
    items = [(a.article_id, a.body_text, a.published_on) for a in articles]
    n = len(items)
    words = sum(len(text.split()) for _, text, _ in items)

    def one_pass() -> tuple[float, float, int]:
        facts = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for article_id, text, published_on in items:
            facts += len(extractor.extract_article(article_id, text, published_on).facts)
        return time.perf_counter() - wall, time.process_time() - cpu, facts

    log(f"extraction: {n} articles, best of {repeats}")
    one_pass()  # warm the caches the recognisers keep, as a long build would have them
    passes = [one_pass() for _ in range(repeats)]
    best_wall = min(p[0] for p in passes)
    best_cpu = min(p[1] for p in passes)
    facts = passes[0][2]

    # Recogniser by recogniser: the same calls extract_article makes, each behind a timer.
    spent: dict[str, float] = {}
    originals = {}
    for name, label in RECOGNISERS:
        fn = getattr(extractor, name, None)
        if fn is None:
            continue
        originals[name] = fn

        def timed(*args, _fn=fn, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - start

        setattr(extractor, name, timed)
    try:
        total_wall = one_pass()[0]
    finally:
        for name, fn in originals.items():
            setattr(extractor, name, fn)
    merged: dict[str, float] = {}
    for label, seconds in spent.items():
        key = label.split(" (")[0] if label.startswith("sentences") else label
        key = "sentences (split_sentences, sentence_index)" if key == "sentences" else key
        merged[key] = merged.get(key, 0.0) + seconds
    merged["rest of extract_article (ids, rows, bookkeeping)"] = max(total_wall - sum(spent.values()), 0.0)
    recognisers = [{"name": k, "seconds": v, "share": v / total_wall if total_wall else 0.0,
                    "ms_per_article": 1000 * v / n if n else 0.0}
                   for k, v in sorted(merged.items(), key=lambda kv: -kv[1])]

    # cProfile: the most expensive functions by own time, labelled with their recogniser.
    profiler = cProfile.Profile()
    profiler.enable()
    one_pass()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total_tt = sum(row[2] for row in stats.stats.values()) or 1.0
    rows, by_module = [], {}
    for (filename, line, function), (cc, nc, tottime, cumtime, _) in stats.stats.items():
        label = _module_label(filename)
        by_module[label] = by_module.get(label, 0.0) + tottime
        rows.append({"function": f"{Path(filename).name}:{line}({function})" if line else function,
                     "recogniser": label, "calls": nc, "tottime_s": tottime, "cumtime_s": cumtime,
                     "share_own_time": tottime / total_tt})
    rows.sort(key=lambda r: -r["tottime_s"])
    rate_cpu = n / best_cpu if best_cpu else 0.0
    rate_wall = n / best_wall if best_wall else 0.0
    return {
        "articles": n, "rejected_when_read": len(rejections), "words_per_article": words / n if n else 0,
        "facts_per_article": facts / n if n else 0, "read_seconds": read_seconds,
        "passes": [{"wall_s": w, "cpu_s": c} for w, c, _ in passes],
        "best_wall_s": best_wall, "best_cpu_s": best_cpu,
        "articles_per_cpu_s": rate_cpu, "articles_per_wall_s": rate_wall,
        "words_per_cpu_s": words / best_cpu if best_cpu else 0.0,
        "target_articles_per_s": TARGETS["extraction_articles_per_s"],
        "ratio_to_target": rate_cpu / TARGETS["extraction_articles_per_s"],
        "recognisers": recognisers,
        "cprofile_top": rows[:top],
        "cprofile_by_recogniser": [{"recogniser": k, "tottime_s": v, "share_own_time": v / total_tt}
                                   for k, v in sorted(by_module.items(), key=lambda kv: -kv[1])],
        "cprofile_total_s": total_tt,
    }


def _module_label(filename: str) -> str:
    path = Path(filename)
    if "pipeline/extract" in filename.replace(os.sep, "/"):
        return MODULE_LABELS.get(path.name, f"extract/{path.name}")
    if filename.startswith("<") or filename == "~":
        return "C functions (regex, builtins), called from the recognisers"
    return f"other Python ({path.name})"


# ---------------------------------------------------------------- analysis

def stage_profile(result: dict) -> dict | None:
    """Per pipeline stage: seconds and share of the build's wall time, and what the timers saw inside."""
    timings = result.get("stages")
    if not timings or not timings.get("dagster_steps"):
        return None
    wall = result["wall_s"]
    stages: dict[str, float] = {}
    for step, value in timings["dagster_steps"].items():
        name = STEP_STAGES.get(step) or (CHECKS_STAGE if step.endswith("_contract") else f"step {step}")
        stages[name] = stages.get(name, 0.0) + value["seconds"]
    timers = timings.get("timers", {})
    summary = timers.get("summary: build_summary", {}).get("seconds", 0.0)
    stages[SUMMARY_STAGE] = summary
    stages[ORCHESTRATION_STAGE] = max(timings["seconds_cli_main"] - sum(stages.values()), 0.0)
    stages[STARTUP_STAGE] = max(wall - timings["seconds_cli_main"], 0.0)
    by_context = timings.get("timers_by_context", {})
    peaks = timings.get("rss_peak_by_context", {})
    rows = []
    for name, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        inside = []
        for context in STAGE_CONTEXTS.get(name, []):
            if context in timers:
                inside.append({"what": context, "seconds": timers[context]["seconds"],
                               "calls": timers[context]["calls"], "peak_rss_bytes": peaks.get(context)})
                for leaf, value in sorted(by_context.get(context, {}).items(), key=lambda kv: -kv[1]["seconds"]):
                    inside.append({"what": f"  {leaf}", "seconds": value["seconds"], "calls": value["calls"]})
        stage_peaks = [peaks[c] for c in STAGE_CONTEXTS.get(name, []) if peaks.get(c)]
        rows.append({"stage": name, "seconds": seconds, "share": seconds / wall if wall else 0.0, "inside": inside,
                     "peak_rss_bytes": max(stage_peaks) if stage_peaks else None})
    return {"wall_s": wall, "stages": rows, "top3": [r["stage"] for r in rows[:3]],
            "missing_hooks": timings.get("missing_hooks", []), "rss_peak_by_context": peaks}


def loglog_exponent(points: list[tuple[float, float]]) -> float | None:
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len(points) < 2:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else None


def scaling(builds: list[dict]) -> dict:
    ok = sorted((b for b in builds if b["status"] == "ok"), key=lambda b: b["articles"])
    time_exp = loglog_exponent([(b["articles"], b["wall_s"]) for b in ok])
    mem_exp = loglog_exponent([(b["articles"], b["peak_rss_bytes"]) for b in ok])
    per_size = [{"articles": b["articles"], "wall_s": b["wall_s"], "s_per_1000": 1000 * b["wall_s"] / b["articles"],
                 "articles_per_s": b["articles"] / b["wall_s"], "peak_rss_bytes": b["peak_rss_bytes"],
                 "warehouse_bytes": b["warehouse_bytes"]} for b in ok]
    # Marginal cost between neighbouring sizes: the fixed cost (start-up, Dagster) drops out.
    for previous, current in zip(per_size, per_size[1:]):
        added = current["articles"] - previous["articles"]
        current["marginal_s_per_1000"] = 1000 * (current["wall_s"] - previous["wall_s"]) / added
        current["marginal_mib_per_1000"] = 1000 * (current["peak_rss_bytes"] - previous["peak_rss_bytes"]) / added / 2**20
    out = {"per_size": per_size, "time_exponent": time_exp, "memory_exponent": mem_exp}
    # Judged only across a tenfold range of N: closer sizes differ by less than the noise of the fixed cost.
    if len(ok) >= 2 and ok[-1]["articles"] >= 10 * ok[0]["articles"]:
        small, large = ok[0], ok[-1]
        growth = large["peak_rss_bytes"] - small["peak_rss_bytes"]
        out["memory"] = {
            "from_articles": small["articles"], "to_articles": large["articles"],
            "peak_growth_bytes": growth,
            "peak_growth_mib_per_1000": growth / 2**20 * 1000 / (large["articles"] - small["articles"]),
            "output_bytes_at_largest": large["warehouse_bytes"],
            "raw_bytes_at_largest": large["raw_bytes"],
            # The rule: memory may grow with what a build must hold (its output), not with N beyond it.
            "grows_beyond_output": growth > large["warehouse_bytes"],
        }
    # A projection to 100,000 when that size was not built: fixed cost plus the marginal cost between the two
    # largest sizes (a power law fitted to small sizes mistakes the fixed start-up cost for sublinear growth).
    if len(per_size) >= 2 and per_size[-1]["articles"] < TARGET_SIZE:
        last = per_size[-1]
        more = (TARGET_SIZE - last["articles"]) / 1000
        out["projected_100k_wall_s"] = last["wall_s"] + max(last["marginal_s_per_1000"], 0.0) * more
        out["projected_100k_peak_bytes"] = last["peak_rss_bytes"] + max(last["marginal_mib_per_1000"], 0.0) * 2**20 * more
    return out


def _gib(value: float) -> str:
    return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"


def targets(results: dict) -> list[dict]:
    rows = []
    ex = results.get("extraction")
    if ex:
        rate, target = ex["articles_per_cpu_s"], TARGETS["extraction_articles_per_s"]
        rows.append({"target": "extraction >= 2,000 articles/s per core", "figure": f"{rate:,.0f} articles/s",
                     "status": "met" if rate >= target else "missed",
                     "gap": "—" if rate >= target else f"{target - rate:,.0f} articles/s short: needs {target / rate:.1f}x"})
    big = next((b for b in results["builds"] if b["articles"] == TARGET_SIZE), None)
    projection = results.get("scaling", {})
    if big is None:
        note = "not measured (no 100,000-article build in this run)"
        wall_p, mem_p = projection.get("projected_100k_wall_s"), projection.get("projected_100k_peak_bytes")
        rows.append({"target": "100,000 articles end to end <= 5 min", "figure": "—", "status": "not measured",
                     "gap": note + (f"; rough projection ~{wall_p:,.0f} s from the marginal cost" if wall_p else "")})
        rows.append({"target": "peak memory < 2 GB at 100,000 articles", "figure": "—", "status": "not measured",
                     "gap": note + (f"; rough projection ~{_gib(mem_p)}" if mem_p else "")})
    elif big["status"] == "timeout":
        missed = f"missed: did not finish in {big['timeout_s']:.0f} s"
        rows.append({"target": "100,000 articles end to end <= 5 min", "figure": f"> {big['timeout_s']:.0f} s",
                     "status": "missed", "gap": missed})
        rows.append({"target": "peak memory < 2 GB at 100,000 articles",
                     "figure": f">= {_gib(big['peak_rss_bytes'])} (until killed)",
                     "status": "missed" if big["peak_rss_bytes"] >= TARGETS["build_100k_peak_bytes"] else "not measured",
                     "gap": missed})
    elif big["status"] != "ok":
        for name in ("100,000 articles end to end <= 5 min", "peak memory < 2 GB at 100,000 articles"):
            rows.append({"target": name, "figure": "build failed", "status": "missed",
                         "gap": f"the build failed (exit {big['exit_code']}; see {big['log']})"})
    else:
        wall, limit = big["wall_s"], TARGETS["build_100k_seconds"]
        rows.append({"target": "100,000 articles end to end <= 5 min",
                     "figure": f"{wall:,.0f} s ({wall / 60:.1f} min; CPU {_s(_cpu(big))})",
                     "status": "met" if wall <= limit else "missed",
                     "gap": "—" if wall <= limit else f"{wall - limit:,.0f} s over: needs {wall / limit:.1f}x"})
        peak, limit = big["peak_rss_bytes"], TARGETS["build_100k_peak_bytes"]
        rows.append({"target": "peak memory < 2 GB at 100,000 articles", "figure": _gib(peak),
                     "status": "met" if peak < limit else "missed",
                     "gap": "—" if peak < limit else f"{_gib(peak - limit)} over"})
    memory = projection.get("memory")
    if memory:
        grows = memory["grows_beyond_output"]
        rows.append({"target": "memory does not grow with N beyond the output",
                     "figure": f"+{_gib(memory['peak_growth_bytes'])} from {memory['from_articles']:,} to "
                               f"{memory['to_articles']:,} articles ({memory['peak_growth_mib_per_1000']:.1f} MiB per "
                               f"1,000); output {_gib(memory['output_bytes_at_largest'])}",
                     "status": "missed" if grows else "met",
                     "gap": (f"peak grew {memory['peak_growth_bytes'] / max(memory['output_bytes_at_largest'], 1):.1f}x "
                             f"the warehouse's size on disk" if grows else "—")})
    else:
        rows.append({"target": "memory does not grow with N beyond the output", "figure": "—",
                     "status": "not measured", "gap": "needs finished builds ten times apart in size"})
    inc = results.get("incremental")
    limit = TARGETS["incremental_seconds"]
    name = "+1,000 articles to a 100,000-article warehouse <= 20 s"
    if inc is None or inc.get("status") == "skipped":
        reason = inc.get("reason") if inc else "not run"
        rows.append({"target": name, "figure": "—", "status": "not measured", "gap": reason})
    elif inc["base_articles"] != TARGET_SIZE:
        rows.append({"target": name, "figure": f"{inc['wall_s']:.1f} s (+{inc['added_articles']:,} to "
                     f"{inc['base_articles']:,})", "status": "not measured",
                     "gap": f"measured on a {inc['base_articles']:,}-article warehouse, not 100,000"})
    elif inc["status"] == "timeout":
        rows.append({"target": name, "figure": f"> {inc['timeout_s']:.0f} s", "status": "missed",
                     "gap": f"missed: did not finish in {inc['timeout_s']:.0f} s"})
    elif inc["status"] != "ok":
        rows.append({"target": name, "figure": "build failed", "status": "missed", "gap": f"see {inc['log']}"})
    else:
        wall = inc["wall_s"]
        rows.append({"target": name, "figure": f"{wall:.1f} s (CPU {_s(_cpu(inc))})",
                     "status": "met" if wall <= limit else "missed",
                     "gap": "—" if wall <= limit else f"{wall - limit:.1f} s over: needs {wall / limit:.1f}x"})
    return rows


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


def run(*, sizes: list[int], workdir: Path, out_dir: Path | None, label: str, seed: int = gen.DEFAULT_SEED,
        batch_size: int = gen.DEFAULT_BATCH_SIZE, extract_articles: int = 2000, incremental: int = 1000,
        timeout: float = 1800.0, plain: bool = False, release: bool = True, noop: bool = True,
        snapshot: bool = True) -> dict:
    """Measure everything; write `<out_dir>/<date>[-label].json` and `.md` (unless out_dir is None)."""
    global _code_root
    workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    live_digest = code_digest(ROOT)
    if snapshot:
        _code_root = snapshot_code(workdir)
        if "pipeline" not in sys.modules:  # extraction in this process measures the snapshot too
            sys.path.insert(0, str(_code_root))
        log(f"measuring a snapshot of the code in {_code_root}")
    results: dict = {
        "date": started.date().isoformat(), "started_at": started.isoformat(timespec="seconds"), "label": label,
        "config": {"sizes": sizes, "seed": seed, "batch_size": batch_size, "extract_articles": extract_articles,
                   "incremental_articles": incremental, "timeout_s": timeout, "plain_cli": plain,
                   "workdir": str(workdir)},
        "environment": environment(), "targets_defined": TARGETS, "generation": [], "builds": [],
    }
    results["environment"].update({"code_root": str(_code_root), "code_digest": code_digest(_code_root),
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
        if noop:
            result = build(raws[largest], warehouse, label=f"noop-{largest}", workdir=workdir, timeout=timeout,
                           plain=plain, fresh=False)
            result["articles"] = largest
            result["profile"] = stage_profile(result)
            results["noop"] = result
        if incremental:
            start = math.ceil(largest / batch_size) * batch_size
            added_dirs_before = {p.name for p in raws[largest].iterdir() if p.is_dir()}
            try:
                gen.generate(raws[largest], incremental, seed=seed, batch_size=batch_size, start=start)
                new = sorted({p.name for p in raws[largest].iterdir() if p.is_dir()} - added_dirs_before)
                result = build(raws[largest], warehouse, label=f"incremental-{largest}", workdir=workdir,
                               timeout=timeout, plain=plain, fresh=False)
            finally:
                for name in {p.name for p in raws[largest].iterdir() if p.is_dir()} - added_dirs_before:
                    shutil.rmtree(raws[largest] / name)
            result.update({"base_articles": largest, "added_articles": incremental, "new_batches": new})
            result["profile"] = stage_profile(result)
            results["incremental"] = result

    results["scaling"] = scaling(results["builds"])
    results["targets"] = targets(results)
    largest_ok = [b for b in results["builds"] if b["status"] == "ok" and b.get("profile")]
    results["profile"] = largest_ok[-1]["profile"] | {"articles": largest_ok[-1]["articles"]} if largest_ok else None
    results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results["environment"]["load_average_at_end"] = os.getloadavg()
    results["environment"]["live_tree_digest_at_end"] = code_digest(ROOT)
    _code_root = ROOT
    results["markdown"] = render(results)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = results["date"] + (f"-{label}" if label else "")
        (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        (out_dir / f"{stem}.md").write_text(results["markdown"], encoding="utf-8")
        results["written"] = [str(out_dir / f"{stem}.json"), str(out_dir / f"{stem}.md")]
    return results


# ---------------------------------------------------------------- the report

def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.01 else f"{100 * share:.1f}%"


def _calls(n: int) -> str:
    return f"{n:,} call" + ("" if n == 1 else "s")


def release_steps(result: dict) -> list[dict]:
    """A release's steps and their seconds, from when each began (its progress reports)."""
    stages = (result.get("stages") or {}).get("progress_stages") or {}
    try:
        from pipeline.release.build import FILE_STEPS
    except Exception:  # noqa: BLE001 - the names are a nicety
        FILE_STEPS = ()
    marks: list[tuple[float, str]] = []
    tables = stages.get("release tables")
    if tables:
        marks.append((tables["first_s"], f"export {tables['total']} tables to Parquet"))
    files = stages.get("release files", {})
    for when, done in files.get("events", []):
        marks.append((when, FILE_STEPS[done] if done < len(FILE_STEPS) else "end"))
    marks.sort()
    steps = []
    for (start, name), (end, _) in zip(marks, marks[1:]):
        steps.append({"step": name, "seconds": end - start})
    if marks and stages.get("release scores"):
        steps.append({"step": "devset scores", "seconds": stages["release scores"]["last_s"] - stages["release scores"]["first_s"]})
    return steps


def _cpu(result: dict) -> float | None:
    """User + system CPU seconds of the command (its process and the children it waited for)."""
    if result.get("cpu_user_s") is None:
        return None
    return result["cpu_user_s"] + (result.get("cpu_system_s") or 0.0)


def _status(result: dict) -> str:
    if result["status"] == "timeout":
        return f"did not finish in {result['timeout_s']:.0f} s"
    return result["status"]


def render(results: dict) -> str:
    env, cfg = results["environment"], results["config"]
    lines = [f"# NHS Ledger benchmark, {results['date']}" + (f" ({results['label']})" if results["label"] else ""), ""]
    lines += [f"Machine: {env['cpus']} CPUs, {env['memory_bytes'] / 2**30:.0f} GiB, Python {env['python']}; load average "
              f"{env['load_average_at_start'][0]:.1f} at start, {env.get('load_average_at_end', (0,))[0]:.1f} at end "
              f"(shared machine: figures are noisy). Code: {env['git_commit']} with {env['git_uncommitted_paths']} "
              f"uncommitted paths, extractor {env['extractor_version']}. Data: `bench.generate`, seed {cfg['seed']}, "
              f"{cfg['batch_size']:,} articles per batch folder. Builds: "
              + ("`python -m pipeline.cli build`" if cfg["plain_cli"] else
                 "`pipeline.cli.main` through `bench.stages` (stage timers)")
              + f", DAGSTER_HOME unset, fresh warehouse, timeout {cfg['timeout_s']:.0f} s.", ""]
    if env.get("live_tree_digest_at_end") not in (None, env.get("live_tree_digest_at_start")):
        lines += [f"The engine's source in the project changed during the run; every build measured the snapshot "
                  f"taken at the start (`{env['code_digest']}`).", ""]

    lines += ["## Targets (issue 7, point 2)", "", "| target | measured | status | gap |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['figure']} | **{t['status']}** | {t['gap']} |" for t in results["targets"]]

    ex = results["extraction"]
    lines += ["", "## Extraction alone (one core)", "",
              f"`extract_article` over {ex['articles']:,} pre-read cleaned articles ({ex['words_per_article']:.0f} words, "
              f"{ex['facts_per_article']:.1f} facts each), best of {len(ex['passes'])}: **{ex['articles_per_cpu_s']:,.0f} "
              f"articles per CPU second** ({ex['articles_per_wall_s']:,.0f} per wall second; "
              f"{ex['words_per_cpu_s']:,.0f} words/s), {ex['ratio_to_target']:.2f} of the 2,000 articles/s/core target.", "",
              "| recogniser (timed inside extract_article) | seconds | ms per article | share |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['name']} | {r['seconds']:.2f} | {r['ms_per_article']:.2f} | {_pct(r['share'])} |"
              for r in ex["recognisers"]]
    lines += ["", "cProfile, own time by recogniser module (profiling inflates small functions):", "",
              "| module | own seconds | share |", "| --- | --- | --- |"]
    lines += [f"| {r['recogniser']} | {r['tottime_s']:.2f} | {_pct(r['share_own_time'])} |"
              for r in ex["cprofile_by_recogniser"][:10]]
    lines += ["", "Top functions by own time:", "", "| function | recogniser | calls | own s | cumulative s | share |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| `{r['function']}` | {r['recogniser']} | {r['calls']:,} | {r['tottime_s']:.2f} | {r['cumtime_s']:.2f} | "
              f"{_pct(r['share_own_time'])} |" for r in ex["cprofile_top"][:12]]

    lines += ["", "## End-to-end builds", "",
              "| articles | batches | status | wall | CPU | s per 1,000 | articles/s | peak memory | warehouse | raw input |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for b in results["builds"]:
        per = 1000 * b["wall_s"] / b["articles"]
        lines.append(f"| {b['articles']:,} | {b['batches']} | {_status(b)} | {_s(b['wall_s'])} | {_s(_cpu(b))} | {per:.1f} | "
                     f"{b['articles'] / b['wall_s']:.0f} | {_gib(b['peak_rss_bytes'])} | {_gib(b['warehouse_bytes'])} | "
                     f"{_gib(b['raw_bytes'])} |")
    lines += ["", "| on the largest warehouse | status | wall | CPU | peak memory |", "| --- | --- | --- | --- | --- |"]
    for key, name in (("release", "release (`nhs-ledger release`)"), ("noop", "rebuild with nothing new"),
                      ("incremental", "incremental build")):
        item = results.get(key)
        if not item:
            continue
        if item.get("status") == "skipped":
            lines.append(f"| {name} | skipped: {item['reason']} | — | — | — |")
            continue
        if key == "incremental":
            name = f"incremental: +{item['added_articles']:,} articles (batch {', '.join(item['new_batches'])}) to " \
                   f"{item['base_articles']:,}"
        else:
            name += f" at {item['articles']:,} articles"
        lines.append(f"| {name} | {_status(item)} | {_s(item['wall_s'])} | {_s(_cpu(item))} | "
                     f"{_gib(item['peak_rss_bytes'])} |")

    release = results.get("release") or {}
    steps = release_steps(release) if release.get("status") == "ok" else []
    if steps:
        lines += ["", "The release, step by step: " + "; ".join(f"{s['step']} {_s(s['seconds'])}" for s in steps) + "."]
    incremental = results.get("incremental") or {}
    if incremental.get("profile"):
        lines += ["", f"Where the incremental build's {_s(incremental['wall_s'])} go (stages over 5% of it, with the "
                  "engine functions timed inside):", ""]
        for row in incremental["profile"]["stages"]:
            if row["share"] < 0.05:
                continue
            inner = [f"{i['what'].strip()} {_s(i['seconds'])}" for i in row["inside"] if i["seconds"] >= 0.5]
            lines.append(f"- {row['stage']}: {_s(row['seconds'])} ({_pct(row['share'])})"
                         + (f": {'; '.join(inner)}" if inner else ""))

    sc = results["scaling"]
    lines += ["", "## How cost grows with N", ""]
    if sc.get("per_size"):
        lines += ["| articles | wall | s per 1,000 | marginal s per 1,000 | peak memory | marginal MiB per 1,000 |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for p in sc["per_size"]:
            marginal = p.get("marginal_s_per_1000")
            marginal_s = "—" if marginal is None else f"{marginal:.1f}"
            marginal_mib = "—" if marginal is None else f"{p['marginal_mib_per_1000']:.1f}"
            lines.append(f"| {p['articles']:,} | {_s(p['wall_s'])} | {p['s_per_1000']:.1f} | {marginal_s} | "
                         f"{_gib(p['peak_rss_bytes'])} | {marginal_mib} |")
        lines.append("")
    if sc.get("time_exponent") is not None:
        lines.append(f"Log-log fit: wall time grows as N^{sc['time_exponent']:.2f} and peak memory as "
                     f"N^{sc['memory_exponent']:.2f} (1.0 is linear; the fixed start-up cost pulls small sizes up).")
    memory = sc.get("memory")
    if memory:
        lines.append(f"Memory: the peak grew by {_gib(memory['peak_growth_bytes'])} from {memory['from_articles']:,} to "
                     f"{memory['to_articles']:,} articles ({memory['peak_growth_mib_per_1000']:.1f} MiB per 1,000 "
                     f"articles) against a warehouse of {_gib(memory['output_bytes_at_largest'])} and raw input of "
                     f"{_gib(memory['raw_bytes_at_largest'])}: "
                     + ("it grows with N beyond the output." if memory["grows_beyond_output"] else
                        "within the size of the output."))
    if sc.get("projected_100k_wall_s") and not any(b["articles"] == TARGET_SIZE for b in results["builds"]):
        lines.append(f"Projected at 100,000 articles (fixed cost plus the marginal cost between the two largest "
                     f"sizes): ~{sc['projected_100k_wall_s']:,.0f} s, "
                     f"~{_gib(sc['projected_100k_peak_bytes'])} peak.")

    profile = results.get("profile")
    lines += ["", "## Profile: where a build's time goes", ""]
    if profile:
        lines += [f"The three most expensive stages of the {profile['articles']:,}-article build "
                  f"({_s(profile['wall_s'])} wall):", ""]
        for rank, row in enumerate(profile["stages"][:3], start=1):
            lines.append(f"{rank}. **{row['stage']}**: {_s(row['seconds'])}, {_pct(row['share'])} of the wall time")
        lines += ["", "Every stage, at each size (seconds, share of that build's wall time):", ""]
        profiled = [b for b in results["builds"] if b.get("profile")]
        extra = [(key, results[key]) for key in ("noop", "incremental")
                 if isinstance(results.get(key), dict) and results[key].get("profile")]
        columns = [f"{b['articles']:,}" for b in profiled] + [
            "no-op rebuild" if k == "noop" else f"+{v['added_articles']:,} incremental" for k, v in extra]
        sources = [b["profile"] for b in profiled] + [v["profile"] for _, v in extra]
        names = [row["stage"] for row in profile["stages"]]
        for source in sources:
            names += [row["stage"] for row in source["stages"] if row["stage"] not in names]
        lines += ["| stage | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
        for name in names:
            cells = []
            for source in sources:
                row = next((r for r in source["stages"] if r["stage"] == name), None)
                cells.append("—" if row is None else f"{_s(row['seconds'])} ({_pct(row['share'])})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", f"Inside the three most expensive stages ({profile['articles']:,} articles; inclusive timers of "
                  "the engine functions each stage calls, indented: work inside the line above):", ""]
        for row in profile["stages"][:3]:
            if not row["inside"]:
                continue
            lines += [f"- **{row['stage']}** ({_s(row['seconds'])})"]
            for item in row["inside"]:
                indent = "  " if item["what"].startswith("  ") else ""
                peak = f", peak RSS {_gib(item['peak_rss_bytes'])}" if item.get("peak_rss_bytes") else ""
                lines.append(f"  {indent}- {item['what'].strip()}: {_s(item['seconds'])} "
                             f"({_calls(item['calls'])}{peak})")
        peaks = profile.get("rss_peak_by_context") or {}
        if peaks:
            lines += ["", f"Where the build process's memory peaked ({profile['articles']:,} articles; the largest RSS "
                      "sampled while each engine call ran; \"no context\": Dagster, the checks' table reads, "
                      "between calls; memory freed late still counts for the call after):", "", "| while | peak RSS |",
                      "| --- | --- |"]
            lines += [f"| {context} | {_gib(peak)} |" for context, peak in list(peaks.items())[:8]]
        if profile.get("missing_hooks"):
            lines += ["", f"Not timed (moved or renamed in the engine): {', '.join(profile['missing_hooks'])}."]
    else:
        lines.append("No stage profile: no build finished" + (" (--plain runs the CLI without timers)." if cfg["plain_cli"] else "."))

    lines += ["", "## Notes", ""]
    timed = [(g["articles"], g["seconds"] if not g["cached"] else g.get("seconds_when_generated"), g["cached"],
              g.get("raw_bytes", 0)) for g in results["generation"]]
    lines.append("Generation (`bench.generate`): " + "; ".join(
        f"{n:,} articles ({_gib(size)}) in {_s(sec)}" + (" (cached from an earlier run)" if cached else "")
        for n, sec, cached, size in timed) + ".")
    lines += ["Peak memory is the larger of the build process tree's summed RSS sampled every 0.1 s and the "
              "kernel's peak RSS of the build process. Extraction is judged on CPU time (this process is one "
              "thread); the wall-time rate is shown beside it because the machine is shared. Builds are judged on "
              "wall time, as the targets are; their CPU time shows how much of it was computing.",
              "Memory does not grow with N beyond the output when the peak grows, between the smallest and the "
              "largest size (at least ten times apart), by no more than the warehouse's size on disk.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated article counts (default 1000,10000,100000)")
    parser.add_argument("--quick", action="store_true", help="sizes 200 and 1,000; extraction on 1,000 articles")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per build before it is killed "
                        "and recorded as missed (default 1800)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "nhs-ledger-bench",
                        help="generated raw folders (cached), warehouses, logs (default: $TMPDIR/nhs-ledger-bench)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where the JSON and markdown go")
    parser.add_argument("--seed", type=int, default=gen.DEFAULT_SEED)
    parser.add_argument("--batch-size", type=int, default=gen.DEFAULT_BATCH_SIZE)
    parser.add_argument("--extract-articles", type=int, default=None, help="articles for the extraction "
                        "benchmark (default 2,000; 1,000 with --quick)")
    parser.add_argument("--incremental", type=int, default=1000, help="articles added in the incremental build")
    parser.add_argument("--plain", action="store_true", help="run `python -m pipeline.cli` itself (no stage timers)")
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
                  timeout=args.timeout, plain=args.plain, snapshot=not args.live)
    print(results["markdown"])
    for path in results.get("written", []):
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
