"""Measure the fuzzy-match threshold of `matching` on real reference data.

What belongs here: the measurement behind `matching.FUZZY_THRESHOLD`, kept
runnable so the number can be checked again when the word rules or the
reference data change:

    .venv/bin/python -m pipeline.register.calibrate ../shared/reference [gold.jsonl ...]

Three sets, all of one type at a time (the matcher never crosses types):

- *different bodies*: every ordered pair of ODS codes whose names differ.
  A pair that passes the word rules of `matching.compatible` and scores at
  or above the threshold is a false merge. Counted two ways: leave-one-out
  (the words of the first body's names are unknown, as if it were missing
  from the reference data, every other body's words known: what a build
  meets when an article names a body the user's extracts lack), and with
  no word known at all (the word rules' last line of defence gone).
- *variants*: each reference name with one slip a writer makes: the last
  word shortened ("Gloucester" for "Gloucestershire", three or five letters
  cut), a letter dropped, two letters swapped, a letter replaced. A variant
  is recovered when its own body is the unique best match at the threshold,
  and wrong when another body is (bodies of the very same name are left to
  the dates, as the matcher leaves them).
- *gold aliases*: the name/alias pairs of the devset gold files that differ
  once type words are set aside (e.g. "NHS South Gloucester" for "NHS South
  Gloucestershire").

The chosen threshold is the one of least cost, counting a missed variant
as 1 and a false merge or a wrong variant as `FALSE_MERGE_COST`, the
highest among equal costs; `main` prints how the choice moves with that
cost. The result on the reference folder of 2026-11 is in
`matching.FUZZY_THRESHOLD`'s comment.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.register.matching import TIE_MARGIN, compatible
from pipeline.register.names import core, tokens
from pipeline.register.reference import load_reference

THRESHOLDS = tuple(range(70, 101))
# A false merge silently gives one body's figures to another; a missed slip leaves a body visibly
# unmatched. The choice is the same for any cost from about 5 to 70 (see main's sensitivity line).
FALSE_MERGE_COST = 10.0
_NHS_TYPES = ("CCG", "PCT", "SHA", "ICB", "trust")


@dataclass(frozen=True)
class Variant:
    org_type: str
    code: str
    text: str            # the variant's match tokens, space-joined
    kind: str
    own_score: float     # best score against its own body (0 when the word rules reject it)
    other_score: float   # best score against any other body passing the word rules


@dataclass
class Calibration:
    different_body_scores: list[tuple[float, str, str]]  # (score, name, name) of passing pairs
    words_unknown_scores: list[tuple[float, str, str]]   # the same had no word of theirs been known
    variants: list[Variant]
    gold_pairs: list[tuple[float, bool, str, str]]       # (score, passes word rules, alias, name)
    ratio_only_false_merges: dict[int, int]              # the same without the word rules

    def at(self, threshold: float) -> dict[str, float]:
        false_merges = sum(1 for s, _, _ in self.different_body_scores if s >= threshold)
        unknown_merges = sum(1 for s, _, _ in self.words_unknown_scores if s >= threshold)
        recovered = sum(1 for v in self.variants if v.own_score >= threshold
                        and (v.other_score < threshold or v.own_score > v.other_score + TIE_MARGIN))
        wrong = sum(1 for v in self.variants if v.other_score >= threshold and v.other_score >= v.own_score)
        gold = [p for p in self.gold_pairs]
        gold_ok = sum(1 for s, ok, _, _ in gold if ok and s >= threshold)
        return {"threshold": threshold, "false_merges": false_merges, "variants": len(self.variants),
                "variants_recovered": recovered, "variants_wrong": wrong,
                "gold_pairs": len(gold), "gold_pairs_recovered": gold_ok,
                "false_merges_if_no_word_known": unknown_merges,
                "false_merges_without_word_rules": self.ratio_only_false_merges.get(int(threshold), 0)}

    def cost(self, threshold: float, false_merge_cost: float = FALSE_MERGE_COST) -> float:
        row = self.at(threshold)
        merges = row["false_merges"] + row["variants_wrong"] + row["false_merges_if_no_word_known"]
        return row["variants"] - row["variants_recovered"] + false_merge_cost * merges

    def chosen(self, false_merge_cost: float = FALSE_MERGE_COST) -> float:
        """The threshold of least cost; among equal costs the highest (the most cautious)."""
        return float(min(THRESHOLDS, key=lambda t: (self.cost(t, false_merge_cost), -t)))


def calibrate(reference_dir: Path, gold_files: Iterable[Path] = ()) -> Calibration:
    data = load_reference(reference_dir)
    by_type: dict[str, list[tuple[str, str, str]]] = {}  # type -> [(token text, code, name)]
    words_of: dict[str, set[str]] = {}
    for body in data.bodies.values():
        for n in body.names:
            if not n.inferred:
                text = " ".join(tokens(core(body.org_type, n.name), body.org_type))
                words_of.setdefault(body.code, set()).update(text.split())
                if body.org_type in _NHS_TYPES:
                    by_type.setdefault(body.org_type, []).append((text, body.code, n.name))
    word_bodies = Counter(w for words in words_of.values() for w in words)

    def known_without(code: str):
        # Leave-one-out: were this body missing from the reference, which of its words would still be real?
        return lambda word: word_bodies[word] - (word in words_of.get(code, ())) > 0

    pairs: list[tuple[float, str, str]] = []
    unknown: list[tuple[float, str, str]] = []
    ratio_only: dict[int, int] = {}
    for org_type, items in by_type.items():
        texts = [t for t, _, _ in items]
        pairs_seen: list[tuple[int, int, float]] = []
        # process.extract rather than cdist: cdist needs numpy, which the project does not depend on.
        for i, text in enumerate(texts):
            for _, score, j in process.extract(text, texts, scorer=fuzz.ratio, limit=None,
                                               score_cutoff=float(THRESHOLDS[0])):
                if i >= j or items[i][1] == items[j][1] or texts[i] == texts[j]:
                    continue
                pairs_seen.append((i, j, float(score)))
        for i, j, score in pairs_seen:
            for t in THRESHOLDS:
                if score >= t:
                    ratio_only[t] = ratio_only.get(t, 0) + 1
            for a, b in ((i, j), (j, i)):
                if compatible(texts[a].split(), texts[b].split(), known_without(items[a][1])):
                    pairs.append((score, items[a][2], items[b][2]))
                if compatible(texts[a].split(), texts[b].split()):
                    unknown.append((score, items[a][2], items[b][2]))
    variants = [v for org_type, items in by_type.items() for v in _variants(org_type, items, word_bodies)]
    return Calibration(sorted(pairs, reverse=True), sorted(unknown, reverse=True), variants,
                       _gold_pairs(gold_files), ratio_only)


def _slips(text: str) -> list[tuple[str, str]]:
    words = text.split()
    out = []
    last = words[-1]
    if len(words) >= 2:
        for cut in (3, 5):
            if len(last) - cut >= 4:
                out.append((" ".join(words[:-1] + [last[:-cut]]), f"last word shortened by {cut}"))
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) >= 6:
        mid = len(w) // 2
        for kind, slip in (("letter dropped", w[:mid] + w[mid + 1:]),
                           ("letters swapped", w[:mid] + w[mid + 1] + w[mid] + w[mid + 2:]),
                           ("letter replaced", w[:mid] + ("a" if w[mid] != "a" else "e") + w[mid + 1:])):
            out.append((" ".join(words[:i] + [slip] + words[i + 1:]), kind))
    return out


def _variants(org_type: str, items: list[tuple[str, str, str]], word_bodies: Counter) -> list[Variant]:
    texts = [t for t, _, _ in items]
    known = set(texts)
    out = []
    for text, code, _name in items:
        for slip, kind in _slips(text):
            if slip in known:
                continue  # the slip is another body's real name: not a slip to recover
            own = other = 0.0
            for _, score, i in process.extract(slip, texts, scorer=fuzz.ratio, limit=40):
                if not compatible(slip.split(), texts[i].split(), lambda w: word_bodies[w] > 0):
                    continue
                if items[i][1] == code:
                    own = max(own, score)
                elif texts[i] != text:  # another body of the very same name is for the dates to decide

                    other = max(other, score)
            out.append(Variant(org_type, code, slip, kind, own, other))
    return out


def _gold_pairs(gold_files: Iterable[Path]) -> list[tuple[float, bool, str, str]]:
    pairs = []
    for path in gold_files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            for org in json.loads(line).get("orgs", []):
                if org.get("org_type") not in _NHS_TYPES:
                    continue
                a = tokens(core(org["org_type"], org["name"]), org["org_type"])
                for alias in org.get("aliases", []):
                    b = tokens(core(org["org_type"], alias), org["org_type"])
                    if a != b:
                        pairs.append((fuzz.ratio(" ".join(a), " ".join(b)), compatible(b, a), alias, org["name"]))
    return pairs


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    result = calibrate(Path(argv[0]), [Path(p) for p in argv[1:]])
    print("threshold  false merges (leave-one-out / no word known / ratio alone)  slips recovered  "
          "slips to a wrong body  gold aliases  cost")
    for t in (70, 74, 76, 78, 80, 82, 84, 85, 86, 88, 90, 92, 95, 97):
        r = result.at(t)
        print(f"{t:>9}  {r['false_merges']:>12} / {r['false_merges_if_no_word_known']:>3} / "
              f"{r['false_merges_without_word_rules']:>5}{'':>25}{r['variants_recovered']:>5}/{r['variants']:<5}"
              f"{r['variants_wrong']:>15}{r['gold_pairs_recovered']:>12}/{r['gold_pairs']}{result.cost(t):>9.0f}")
    print(f"chosen (false merge cost {FALSE_MERGE_COST:g}): {result.chosen():.0f}; "
          + ", ".join(f"cost {c:g}: {result.chosen(c):.0f}" for c in (3, 5, 30, 70, 80, 100)))
    print("different bodies the word rules pass if none of their words were known:")
    for score, a, b in result.words_unknown_scores[::2][:8]:
        print(f"  {score:5.1f}  {a!r} / {b!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
