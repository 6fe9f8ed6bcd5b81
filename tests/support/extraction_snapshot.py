"""A fingerprint of what the extractor finds in every article of every set, so a change made for speed can be
shown to change no output.

Each article is read as a build reads it (`read_batch` over the folder) and given to `extract_article`; its
mentions, facts and statements are written as canonical JSON and hashed. The snapshot holds one hash per
article, under the set's name and the article's file name, in `tests/data/extraction_snapshot.json`. Only
hashes are stored: the texts of `../shared` stay there.

    python -m tests.support.extraction_snapshot          # rewrite the snapshot (after a deliberate rule change)

The sets: the generated bench articles (always there) and, where `../shared` is beside the project, the real
dev and check sets, the seeds and the fictional devset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SNAPSHOT = ROOT / "tests" / "data" / "extraction_snapshot.json"
SHARED_SETS = {
    "real_dev": "devset/real/dev/texts",
    "real_check": "devset/real/check/texts",
    "seeds": "seeds",
    "devset": "devset/articles",
}
BENCH_SET = "bench"
BENCH_ARTICLES = 400
BENCH_SEED = 7


def _canonical(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} into the snapshot")


def article_digests(folder: Path) -> dict[str, str]:
    """File name -> hash of the extractor's output for every article a build would read in `folder`."""
    from pipeline.extract.extractor import extract_article
    from pipeline.ingest.inventory import list_raw_files
    from pipeline.ingest.readers import read_batch

    articles, _ = read_batch(list_raw_files(folder))
    digests = {}
    for article in articles:
        extraction = extract_article(article.article_id, article.body_text, article.published_on)
        output = {"mentions": extraction.mentions, "facts": extraction.facts, "statements": extraction.statements}
        encoded = json.dumps(output, sort_keys=True, default=_canonical, ensure_ascii=False).encode("utf-8")
        name = article.source_path  # relative to the raw folder, as the build stores it
        digests[name] = hashlib.sha256(encoded).hexdigest()[:20]
    return dict(sorted(digests.items()))


def bench_digests() -> dict[str, str]:
    from bench.raw_folder import generate

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        generate(raw, BENCH_ARTICLES, seed=BENCH_SEED, batch_size=BENCH_ARTICLES)
        return article_digests(raw)


def shared_digests(name: str) -> dict[str, str] | None:
    folder = SHARED / SHARED_SETS[name]
    return article_digests(folder) if folder.is_dir() else None


def snapshot() -> dict[str, dict[str, str]]:
    sets = {BENCH_SET: bench_digests()}
    for name in SHARED_SETS:
        digests = shared_digests(name)
        if digests is not None:
            sets[name] = digests
    return sets


def main() -> int:
    sets = snapshot()
    if set(sets) != {BENCH_SET, *SHARED_SETS}:
        print(f"../shared is not beside the project ({SHARED}); the snapshot needs every set", file=sys.stderr)
        return 2
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(sets, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}: " + ", ".join(f"{name} {len(d)}" for name, d in sorted(sets.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
