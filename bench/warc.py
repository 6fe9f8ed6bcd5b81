"""Web archive throughput (issue 15): megabytes of WARC and articles a second, reading alone and end to end.

The data (`bench.warc_files`) is a crawl in miniature, made from the benchmark's own fictional articles: WARC
files of gzip members as CC-NEWS publishes them, each page about NHS money among what a news crawl mostly
holds, pages about other things, images, redirects and pages of hosts outside the allow-list (`FILLER` per
page). What it measures:

1. Reading alone: `pipeline.ingest.readers.read_file` over every file in this process (FastWARC, the domain
   and topic tests, main-text extraction of the pages that pass): MB of WARC per second, records and
   articles per second, CPU seconds per GB.
2. End to end: `nhs-ledger build` of the folder into an empty warehouse, as the builds of `bench.run` are.

The cost per GB of WARC on this machine, and what a month or a year of CC-NEWS costs on N workers, follow
from these figures in the README ("Beyond one machine").
"""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import time
from pathlib import Path

from bench.measurement import cli_run
from bench.settings import log
from bench.warc_files import FILLER, warc_folder

def warc_benchmark(workdir: Path, pages: int, *, timeout: float, plain: bool, run_cli=cli_run) -> dict:
    """`run_cli`: how the build is run and measured (`bench.run` passes its own, which tests replace)."""
    raw = warc_folder(workdir, pages)
    files = sorted((raw / "crawl").glob("*.warc.gz"))
    compressed = sum(f.stat().st_size for f in files)
    uncompressed = sum(len(gzip.decompress(f.read_bytes())) for f in files)
    log(f"web archives: {len(files)} files, {compressed / 1e6:.1f} MB ({uncompressed / 1e6:.1f} MB inflated), "
        f"{pages:,} pages about NHS money")
    reading = _read_alone(raw, raw.parent / "domains.txt")
    # The floor: every record inflated, parsed and passed over (an allow-list none of the hosts is on), which is
    # what most of a national crawl costs.
    nothing = raw.parent / "no-domains.txt"
    nothing.write_text("nhs.uk\n", encoding="utf-8")
    passing_over = _read_alone(raw, nothing)
    warehouse = workdir / f"warehouse-warc-{pages}"
    if warehouse.exists():
        shutil.rmtree(warehouse)
    built = run_cli(["build", "--raw", str(raw), "--warehouse", str(warehouse), "--domains",
                     str(raw.parent / "domains.txt")], label=f"build-warc-{pages}", workdir=workdir,
                    timeout=timeout, plain=plain)
    result = {"files": len(files), "pages": pages, "compressed_bytes": compressed, "uncompressed_bytes": uncompressed,
              "filler_per_page": dict(FILLER), "reading": reading, "passing_over": passing_over, "build": built}
    if built.get("status") == "ok" and built.get("wall_s"):
        result["build_mb_per_s"] = compressed / 1e6 / built["wall_s"]
        result["build_articles_per_s"] = reading["articles"] / built["wall_s"]
        result["build_s_per_gb"] = built["wall_s"] / (compressed / 1e9)
    log(f"web archives: read {reading['mb_per_s']:.1f} MB/s, {reading['articles_per_s']:.0f} articles/s; build "
        f"{built.get('status')} in {built.get('wall_s') or 0:.1f} s")
    return result


def _read_alone(raw: Path, domains: Path) -> dict:
    from pipeline.ingest import warc_domains
    from pipeline.ingest.inventory import list_raw_files
    from pipeline.ingest.readers import read_file
    from pipeline.ingest.warc import RecordCount

    os.environ[warc_domains.DOMAINS_ENV] = str(domains)
    files = list_raw_files(raw)
    size = sum(f.size_bytes for f in files)
    cpu, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    items = [item for raw_file in files for item in read_file(raw_file)]
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    del os.environ[warc_domains.DOMAINS_ENV]
    records = sum(i.n_records for i in items if isinstance(i, RecordCount))
    articles = sum(1 for i in items if not isinstance(i, RecordCount) and not hasattr(i, "reason"))
    return {"bytes": size, "wall_s": wall, "cpu_s": cpu_s, "records": records, "articles": articles,
            "mb_per_s": size / 1e6 / wall, "records_per_s": records / wall, "articles_per_s": articles / wall,
            "cpu_s_per_gb": cpu_s / (size / 1e9)}


def render_warc(result: dict | None) -> list[str]:
    if not result:
        return []
    r, b, floor = result["reading"], result["build"], result.get("passing_over")
    lines = ["", "## Web archives (issue 15)", "",
             f"{result['files']} WARC files (gzip members), {result['compressed_bytes'] / 1e6:,.1f} MB "
             f"({result['uncompressed_bytes'] / 1e6:,.1f} MB inflated), {result['pages']:,} pages about NHS money "
             f"and, per page, " + ", ".join(f"{n} {k}" for k, n in result["filler_per_page"].items()) + ".", "",
             "| measure | MB of WARC/s | records/s | articles/s | seconds per GB |", "| --- | --- | --- | --- | --- |",
             f"| reading alone (one process) | {r['mb_per_s']:,.1f} | {r['records_per_s']:,.0f} | "
             f"{r['articles_per_s']:,.0f} | {r['wall_s'] / (r['bytes'] / 1e9):,.0f} wall, {r['cpu_s_per_gb']:,.0f} CPU |"]
    if floor:
        lines.append(f"| passing over every record (no host allowed) | {floor['mb_per_s']:,.1f} | "
                     f"{floor['records_per_s']:,.0f} | - | {floor['wall_s'] / (floor['bytes'] / 1e9):,.1f} wall |")
    if "build_mb_per_s" in result:
        lines.append(f"| `nhs-ledger build`, end to end | {result['build_mb_per_s']:,.1f} | "
                     f"{r['records'] / b['wall_s']:,.0f} | {result['build_articles_per_s']:,.0f} | "
                     f"{result['build_s_per_gb']:,.0f} wall |")
    else:
        lines.append(f"| `nhs-ledger build`, end to end | {b.get('status')} | | | |")
    return lines
