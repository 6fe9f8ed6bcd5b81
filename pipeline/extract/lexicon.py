"""The extractor's word lists, loaded once from `pipeline/data/*.csv` and compiled.

Signal words change with the world and with the press's habits, so they live in
data files reviewed like code; this module only turns them into regexes.
Each list becomes one alternation with a named group per row, so a sentence is
scanned once however many cues there are.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class CueRule:
    rule_id: str
    kind: str  # fact cues: saving | deficit | negative; measure cues: the table the measure applies to
    measure: str | None
    pattern: str
    description: str
    example: str


@dataclass(frozen=True, slots=True)
class CueHit:
    start: int
    end: int
    rule: CueRule


class CueSet:
    """All cues of one list as one regex, scanned over lower-cased text.

    Case-insensitive matching is several times slower in Python's `re` than matching lower-cased text
    with lower-cased patterns, and every cue starts at a word boundary, which one shared lookbehind tests
    once per position instead of once per cue.
    """

    def __init__(self, rules: list[CueRule]):
        self.rules = rules
        alternatives = []
        for i, rule in enumerate(rules):
            if not rule.pattern.startswith(r"\b"):
                raise ValueError(f"cue {rule.rule_id}: a pattern must start at a word boundary (\\b)")
            alternatives.append(f"(?P<c{i}>{_lower_pattern(rule.pattern[2:])})")
        self._regex = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")
        # For the rare text whose lower-casing changes its length (and so every offset).
        self._fallback = re.compile("|".join(f"(?P<c{i}>{r.pattern})" for i, r in enumerate(rules)), re.IGNORECASE)

    def find(self, text: str, start: int = 0, end: int | None = None) -> tuple[CueHit, ...]:
        return self._find(text, start, len(text) if end is None else end)

    @lru_cache(maxsize=512)
    def _find(self, text: str, start: int, end: int) -> tuple[CueHit, ...]:
        # Every figure of a sentence asks about the same sentence (and often the same clause): scan it once.
        # A str caches its hash, so the key costs little even for a long text.
        window = text[start:end]
        lowered = window.lower()
        if len(lowered) == len(window):
            matches = self._regex.finditer(lowered)
        else:
            matches = self._fallback.finditer(window)
        return tuple(CueHit(start + m.start(), start + m.end(), self.rules[int(m.lastgroup[1:])]) for m in matches)


_ESCAPE_OR_UPPER = re.compile(r"\\.|[A-Z]")


def _lower_pattern(pattern: str) -> str:
    """Lower-case a pattern's literal letters, leaving escapes such as \\S or \\B alone."""
    return _ESCAPE_OR_UPPER.sub(lambda m: m.group(0) if m.group(0).startswith("\\") else m.group(0).lower(), pattern)


def read_rows(filename: str) -> list[dict[str, str]]:
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def fact_cues() -> CueSet:
    return CueSet([
        CueRule(r["rule_id"], r["kind"], r["measure"] or None, r["pattern"], r["description"], r["example"])
        for r in read_rows("fact_cues.csv")
    ])


@cache
def measure_cues(applies_to: str) -> CueSet:
    """Measure cues of one table ("saving" or "deficit"): kept apart so that a saving's "planned" never
    hides a deficit's "planned deficit" in the same scan."""
    return CueSet([
        CueRule(r["rule_id"], r["applies_to"], r["measure"], r["pattern"], r["description"], r["example"])
        for r in read_rows("measure_cues.csv") if r["applies_to"] == applies_to
    ])
