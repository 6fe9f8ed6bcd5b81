"""What the measurements mean: where a build's time goes, how cost grows with N, and each target met or missed.

Here: which Dagster steps and engine timers make each pipeline stage (`stage_profile`), the log-log fit and
marginal costs across sizes (`scaling`), and the rows of the targets table (`targets`).
"""

from __future__ import annotations

import math

from bench.figures import _cpu, _gib, _s
from bench.settings import MIDDLE_SIZE, TARGET_SIZE, TARGETS

# Which Dagster steps make which pipeline stage; the `*_contract` steps are the checks.
STEP_STAGES = {
    "ingested_articles": "ingest (read + clean inputs)",
    "extracted_candidates": "extract (recognisers + classification)",
    "organisations": "resolve (organisation register)",
    "published_facts": "publish (fact tables)",
    "figures": "publish (figures)",
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
    "publish (figures)": ["figures: write_figures_table"],
    "publish (runs table)": ["runs: write_runs_table"],
    "DuckDB build": ["duckdb: build_duckdb"],
    CHECKS_STAGE: ["checks: stored_table_checks"],
    ORCHESTRATION_STAGE: ["plan batches"],
    SUMMARY_STAGE: ["summary: build_summary"],
}


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



def _timed_row(name: str, result: dict | None, limit: float, absent: str) -> dict:
    """A target on a command's wall time: met, missed (by how much), or not measured (and why)."""
    if result is None or result.get("status") == "skipped":
        reason = (result or {}).get("reason") or absent
        return {"target": name, "figure": "—", "status": "not measured", "gap": reason}
    if result["status"] == "timeout":
        return {"target": name, "figure": f"> {result['timeout_s']:.0f} s", "status": "missed",
                "gap": f"missed: did not finish in {result['timeout_s']:.0f} s"}
    if result["status"] != "ok":
        return {"target": name, "figure": "failed", "status": "missed",
                "gap": f"it failed (exit {result.get('exit_code')}; see {result.get('log')})"}
    wall = result["wall_s"]
    return {"target": name, "figure": f"{_s(wall)} (CPU {_s(_cpu(result))})",
            "status": "met" if wall <= limit else "missed",
            "gap": "—" if wall <= limit else f"{_s(wall - limit)} over: needs {wall / limit:.1f}x"}


def _peak_row(name: str, result: dict | None, limit: float, absent: str) -> dict:
    if result is None or result.get("status") in ("skipped", None):
        return {"target": name, "figure": "—", "status": "not measured",
                "gap": (result or {}).get("reason") or absent}
    peak = result["peak_rss_bytes"]
    if result["status"] != "ok":
        return {"target": name, "figure": f">= {_gib(peak)} (until it stopped)",
                "status": "missed" if peak > limit else "not measured", "gap": "the command did not finish"}
    return {"target": name, "figure": _gib(peak), "status": "met" if peak <= limit else "missed",
            "gap": "—" if peak <= limit else f"{_gib(peak - limit)} over"}


def _build_of(results: dict, articles: int) -> dict | None:
    return next((b for b in results["builds"] if b["articles"] == articles), None)


def targets(results: dict) -> list[dict]:
    """Issue 16's targets, each met, missed (by how much) or not measured in this run."""
    rows = []
    ex = results.get("extraction")
    if ex:
        rate, target = ex["articles_per_cpu_s"], TARGETS["extraction_articles_per_s"]
        bare = ex.get("bare_scan_articles_per_cpu_s")
        rows.append({"target": "extraction >= 2,000 articles/s per core",
                     "figure": f"{rate:,.0f} articles/s" + (f" ({rate / bare:.2f} of a bare 3-regex scan's "
                                                             f"{bare:,.0f})" if bare else ""),
                     "status": "met" if rate >= target else "missed",
                     "gap": "—" if rate >= target else f"{target - rate:,.0f} articles/s short: needs {target / rate:.1f}x"})
    middle, big = _build_of(results, MIDDLE_SIZE), _build_of(results, TARGET_SIZE)
    no_middle, no_big = (f"no {MIDDLE_SIZE:,}-article build in this run", f"no {TARGET_SIZE:,}-article build in this run")
    rows.append(_timed_row(f"{MIDDLE_SIZE:,} articles end to end <= 13 s", middle, TARGETS["build_20k_seconds"],
                           no_middle))
    row = _timed_row(f"{TARGET_SIZE:,} articles end to end <= 90 s", big, TARGETS["build_100k_seconds"], no_big)
    projected = results.get("scaling", {}).get("projected_100k_wall_s")
    if big is None and projected:
        row["gap"] += f"; rough projection ~{projected:,.0f} s from the marginal cost"
    rows.append(row)
    rows.append(_peak_row(f"peak memory <= 1.5 GiB at {TARGET_SIZE:,} articles", big,
                          TARGETS["build_100k_peak_bytes"], no_big))
    memory = results.get("scaling", {}).get("memory")
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
    middle_runs = results.get("middle") or {}
    added = results.get("config", {}).get("incremental_articles", 1000)
    for base, runs, absent in ((MIDDLE_SIZE, middle_runs, no_middle), (TARGET_SIZE, results, no_big)):
        inc = runs.get("incremental")
        if inc is not None and inc.get("base_articles") not in (None, base):
            inc = {"status": "skipped", "reason": f"measured on a {inc['base_articles']:,}-article warehouse"}
        rows.append(_timed_row(f"+{added:,} articles to a {base:,}-article warehouse <= 5 s", inc,
                               TARGETS["incremental_seconds"], absent))
    noop = middle_runs.get("noop")
    rows.append(_timed_row(f"rebuild with nothing new at {MIDDLE_SIZE:,} articles <= 2 s", noop,
                           TARGETS["noop_20k_seconds"], no_middle))
    release = results.get("release")
    if release is not None and release.get("articles") not in (None, TARGET_SIZE):
        release = {"status": "skipped", "reason": f"released a {release['articles']:,}-article warehouse"}
    rows.append(_timed_row(f"release of {TARGET_SIZE:,} articles <= 30 s", release, TARGETS["release_100k_seconds"],
                           no_big))
    rows.append(_peak_row(f"release peak memory <= 1.5 GiB at {TARGET_SIZE:,} articles", release,
                          TARGETS["release_100k_peak_bytes"], no_big))
    return rows
