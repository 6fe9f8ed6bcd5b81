"""The markdown report of a run, from its results: targets, extraction, builds, scaling, profile, notes.

Here: `render` and `release_steps` (a release's steps from its progress reports). Figures are spelled by
`bench.figures`; nothing is measured or judged here.
"""

from __future__ import annotations

from bench.figures import _calls, _cpu, _gib, _pct, _s, _status
from bench.settings import TARGET_SIZE
from bench.warc import render_warc

# ---------------------------------------------------------------- the report

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


def render(results: dict) -> str:
    env, cfg = results["environment"], results["config"]
    lines = [f"# NHS Ledger benchmark, {results['date']}" + (f" ({results['label']})" if results["label"] else ""), ""]
    lines += [f"Machine: {env['cpus']} CPUs, {env['memory_bytes'] / 2**30:.0f} GiB, Python {env['python']}; load average "
              f"{env['load_average_at_start'][0]:.1f} at start, {env.get('load_average_at_end', (0,))[0]:.1f} at end "
              f"(shared machine: figures are noisy). Code: {env['git_commit']} with {env['git_uncommitted_paths']} "
              f"uncommitted paths, extractor {env['extractor_version']}. Data: `bench.generate`, seed {cfg['seed']}, "
              f"{cfg['batch_size']:,} articles per batch folder. Builds: "
              + ("`python -m cli build`" if cfg["plain_cli"] else
                 "`cli.main.main` through `bench.stages` (stage timers)")
              + f", DAGSTER_HOME unset, fresh warehouse, timeout {cfg['timeout_s']:.0f} s.", ""]
    if env.get("live_tree_digest_at_end") not in (None, env.get("live_tree_digest_at_start")):
        lines += [f"The engine's source in the project changed during the run; every build measured the snapshot "
                  f"taken at the start (`{env['code_digest']}`).", ""]

    lines += ["## Targets (issue 16)", "", "| target | measured | status | gap |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['figure']} | **{t['status']}** | {t['gap']} |" for t in results["targets"]]

    ex = results["extraction"]
    lines += ["", "## Extraction alone (one core)", "",
              f"`extract_article` over {ex['articles']:,} pre-read cleaned articles ({ex['words_per_article']:.0f} words, "
              f"{ex['facts_per_article']:.1f} facts each), best of {len(ex['passes'])}: **{ex['articles_per_cpu_s']:,.0f} "
              f"articles per CPU second** ({ex['articles_per_wall_s']:,.0f} per wall second; "
              f"{ex['words_per_cpu_s']:,.0f} words/s), {ex['ratio_to_target']:.2f} of the 2,000 articles/s/core target"
              + (f"; a bare scan of the same texts with three compiled regular expressions "
                 f"(`bench.extraction.BARE_SCAN`) runs at {ex['bare_scan_articles_per_cpu_s']:,.0f} articles per CPU "
                 f"second, so extraction costs {1 / ex['ratio_to_bare_scan']:.1f} times that floor"
                 if ex.get("ratio_to_bare_scan") else "") + ".", "",
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
    lines += ["", "| on a built warehouse | status | wall | CPU | peak memory |", "| --- | --- | --- | --- | --- |"]
    middle = results.get("middle") or {}
    for source, key, name in ((results, "release", "release (`nhs-ledger release`)"),
                              (middle, "noop", "rebuild with nothing new"), (middle, "incremental", "incremental build"),
                              (results, "noop", "rebuild with nothing new"),
                              (results, "incremental", "incremental build")):
        item = source.get(key)
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

    lines += render_warc(results.get("warc"))

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
