"""Generate N realistic, FICTIONAL news articles about NHS finances, as an archive arrives in batch folders.

    python -m bench.generate --articles 100000 --out /tmp/bench-raw [--seed 7] [--batch-size 1000]

What comes out (every article invented; the generated README.md in the folder says so):

* about 600 words an article: headline, byline, standfirst, a body of fact paragraphs, quotes and context;
* about 6-10 pound figures in each body: savings targets and their components, deficits of providers and
  neighbours, what was achieved and missed last year, budgets, allocations, investments, salaries and per-head
  sums (figures that are not facts), ranges ("between £3m and £5m"), qualifiers ("more than", "around") and
  financial years in several spellings (2016/17, 2016-17, 2016/2017), horizons ("over the next three years");
* bodies named the way the press names real NHS bodies, by era: "NHS X" and "X PCT" with SHAs until March
  2013, "NHS X CCG" until June 2022, "NHS X ICB" after; trusts ("X Hospitals NHS Foundation Trust"), councils,
  the national bodies. Places come from a small invented word list (syllables put together), so the names
  follow real patterns without naming real bodies. Each seed has one world of about as many bodies as England
  had (150 PCTs, 210 CCGs, 42 ICBs, 230 trusts, 150 councils, 10 SHAs), so the organisation register of a
  large archive is as big as a real one;
* formats as an archive holds them: ~70% `.txt` page text with page furniture (cookie notice, masthead,
  related links, an advert) and reader comments carrying figures of their own, ~15% `.html` saved pages,
  ~15% records in one `.jsonl` feed per batch, which also ends with one deliberately truncated line (the
  only rejection a build should report: one per batch);
* batch folders as an archive arrives: article i goes to batch i // batch_size, named by month from
  `--first-month` (2011-01, 2011-02, ...); articles are published in their batch's month, so the era (PCT,
  CCG, ICB) follows the batch.

Deterministic: each article draws from its own `random.Random(f"{seed}:{index}")`, so the same seed gives
byte-identical files whatever `--jobs`, and `--start K` adds articles K.. (new batches) to an existing folder
exactly as a larger generation would have written them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.articles import Article, make_article, month_name
from bench.raw_folder import (DEFAULT_BATCH_SIZE, DEFAULT_FIRST_MONTH, DEFAULT_SEED, GENERATOR_VERSION, BatchStats,
                              generate)

# The generator's public API, importable from here (`from bench import generate as gen`); the parts live in
# bench.vocabulary, bench.world, bench.articles, bench.formats and bench.raw_folder.
__all__ = ["Article", "BatchStats", "DEFAULT_BATCH_SIZE", "DEFAULT_FIRST_MONTH", "DEFAULT_SEED", "GENERATOR_VERSION",
           "generate", "main", "make_article", "month_name"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, required=True, help="number of articles to write")
    parser.add_argument("--out", type=Path, required=True, help="raw folder to write the batch folders into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"articles per batch folder (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--start", type=int, default=0,
                        help="index of the first article: add batches to a folder generated before (a multiple "
                             "of --batch-size)")
    parser.add_argument("--first-month", default=DEFAULT_FIRST_MONTH, help="name of batch 0 (YYYY-MM)")
    parser.add_argument("--no-broken", action="store_true", help="leave out the truncated line of each feed")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: up to 4 for 4+ batches)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = generate(args.out, args.articles, seed=args.seed, batch_size=args.batch_size, start=args.start,
                     first_month=args.first_month, broken=not args.no_broken, jobs=args.jobs)
    seconds = time.perf_counter() - started
    n = sum(s.articles for s in stats)
    print(f"wrote {n:,} fictional articles in {len(stats)} batch folders ({stats[0].batch} .. {stats[-1].batch}) "
          f"under {args.out} in {seconds:.1f} s: {sum(s.txt for s in stats):,} .txt, {sum(s.html for s in stats):,} "
          f".html, {sum(s.jsonl for s in stats):,} .jsonl records; {sum(s.bytes for s in stats) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
