"""Extraction alone: `extract_article` over pre-read cleaned texts on one core, timed, recogniser by recogniser.

Here: the best-of-N rate in articles per CPU second against the target, a pass with a timer on each recogniser
`extract_article` calls, and one under cProfile with its functions labelled by recogniser.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from pathlib import Path

from bench.settings import TARGETS, log

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
    # the parts of the organisation recogniser (orgs.py is its entry point)
    **dict.fromkeys(("name_data.py", "name_scan.py", "name_parsing.py", "body_keys.py", "mention_rows.py",
                     "capitals.py", "listed_members.py", "short_forms.py", "nhs_era.py"), "organisations"),
    # the parts of the money parser and of the fact classifier
    **dict.fromkeys(("amount_grammar.py", "amount_numeric.py", "amount_ranges.py", "amount_words.py",
                     "amount_context.py"), "money"),
    **dict.fromkeys(("fact_context.py", "fact_clauses.py", "fact_table_headers.py", "fact_kind.py",
                     "fact_lists.py", "fact_owner.py", "fact_scale.py", "fact_plans.py", "fact_periods.py"),
                    "classification"),
}


# The floor extraction is measured against: three compiled regular expressions, each scanned once over the text,
# for what the extractor looks for (a sum of money, a capitalised name ending in an NHS body's word, a sentence's
# end). No recogniser can be cheaper than finding its candidates; the ratio says how far above that floor it is.
BARE_SCAN = (
    r"£\s?\d[\d,.]*\s*(?:bn|billion|m|million|k)?",
    r"(?:[A-Z][\w'&-]+ )+(?:NHS|Trust|CCG|ICB|Board|Council|Foundation|Authority)\b",
    r"[.!?][\"')\]]*\s+(?=[A-Z\"'(])",
)


def bare_scan_rate(texts: list[str], repeats: int = 3) -> float:
    """Articles per CPU second for `BARE_SCAN` over `texts` (best of `repeats`)."""
    import re

    patterns = [re.compile(p) for p in BARE_SCAN]
    best = float("inf")
    for _ in range(repeats):
        started, found = time.process_time(), 0
        for text in texts:
            for pattern in patterns:
                for _match in pattern.finditer(text):
                    found += 1
        best = min(best, time.process_time() - started)
    return len(texts) / best if best > 0 else 0.0


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
    bare = bare_scan_rate([text for _, text, _ in items], repeats)
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
        "bare_scan_articles_per_cpu_s": bare, "ratio_to_bare_scan": rate_cpu / bare if bare else None,
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
