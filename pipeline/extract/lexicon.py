"""The extractor's word lists, loaded once from `pipeline/data/*.csv` and compiled.

Signal words change with the world and with the press's habits, so they live in
data files reviewed like code; this module only turns them into regexes.
Each list becomes one alternation with a named group per row, so a sentence is
scanned once however many cues there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pipeline.data import read_rows
from pipeline.extract.literals import start_prefixes, trie_pattern, word_start_gate

# How many leading characters of a cue the gate compares: longer tells more words apart ("the figure"
# from "the"), at the cost of a larger gate pattern.
GATE_PREFIX_LENGTH = 5


@dataclass(frozen=True, slots=True)
class CueRule:
    rule_id: str
    kind: str  # fact cues: saving | deficit | negative; measure cues: the table the measure applies to
    measure: str | None
    pattern: str
    description: str
    example: str
    # Measure cues: a "weak" one ("was", "will") decides only where no "strong" one is in the clause.
    strength: str = "strong"
    # Fact cues: "clause" for a negative that rules out every figure of its clause ("£6.6m of savings are
    # assessed as high risk"), however near another cue stands; "nearest" for the others.
    reach: str = "nearest"


# Not frozen: a frozen dataclass's __init__ costs three times as much, and an article makes dozens of these.
# Nothing assigns to one after it is made; unsafe_hash keeps them hashable by value, as frozen ones were.
@dataclass(slots=True, unsafe_hash=True)
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
        patterns = []
        for rule in rules:
            if not rule.pattern.startswith(r"\b"):
                raise ValueError(f"cue {rule.rule_id}: a pattern must start at a word boundary (\\b)")
            patterns.append(_lower_pattern(rule.pattern[2:]))
        self._regex = re.compile(r"(?<!\w)(?:" + "|".join(f"(?P<c{i}>{p})" for i, p in enumerate(patterns)) + ")")
        # Scanning with the regex above costs ~100 ns a character, most of it trying every cue at every word.
        # Instead a gate finds, at C speed, the words that start like some cue, and only the cues that can
        # start that way are tried there, each alone, in the list's order: the first that matches is the
        # one the alternation would have chosen.
        self._cue_regexes = [re.compile(r"(?<!\w)(?:" + p + ")") for p in patterns]
        prefixes = [start_prefixes(p, GATE_PREFIX_LENGTH) for p in patterns]
        self._gated = all(prefixes)
        if self._gated:
            every = set().union(*prefixes)
            self._cue_starts = word_start_gate(every).search
            self._prefix_at = re.compile(trie_pattern(every)).match
            # The gate reports the longest prefix it sees; the cues starting with any shorter one qualify too.
            self._cues_starting = {seen: tuple(i for i, own in enumerate(prefixes) if any(seen.startswith(p) for p in own))
                                   for seen in every}
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
        if len(lowered) != len(window):
            found = [(m.start(), m.end(), int(m.lastgroup[1:])) for m in self._fallback.finditer(window)]
        elif self._gated:
            found = self._scan(lowered)
        else:
            found = [(m.start(), m.end(), int(m.lastgroup[1:])) for m in self._regex.finditer(lowered)]
        rules = self.rules
        return tuple(CueHit(start + s, start + e, rules[i]) for s, e, i in found)

    def _scan(self, lowered: str) -> list[tuple[int, int, int]]:
        """(start, end, cue index) of each match `self._regex.finditer(lowered)` would give."""
        found = []
        cue_regexes, cues_starting, cue_starts = self._cue_regexes, self._cues_starting, self._cue_starts
        first = self._prefix_at(lowered)  # a word at the very start has no non-word character before it
        start, prefix = (0, first.group()) if first is not None else (None, "")
        search_from = 0
        while True:
            if start is not None:
                for index in cues_starting[prefix]:
                    match = cue_regexes[index].match(lowered, start)
                    if match is not None:
                        found.append((start, match.end(), index))
                        # As finditer, go on after the match (never empty: no cue prefix is); the gate's
                        # non-word character may be the match's last one.
                        search_from = match.end() - 1
                        break
                else:
                    search_from = start
            gate = cue_starts(lowered, search_from)
            if gate is None:
                return found
            start, prefix = gate.start() + 1, gate.group()[1:]


_ESCAPE_OR_UPPER = re.compile(r"\\.|[A-Z]")


def _lower_pattern(pattern: str) -> str:
    """Lower-case a pattern's literal letters, leaving escapes such as \\S or \\B alone."""
    return _ESCAPE_OR_UPPER.sub(lambda m: m.group(0) if m.group(0).startswith("\\") else m.group(0).lower(), pattern)


@cache
def fact_cues() -> CueSet:
    return CueSet([
        CueRule(r["rule_id"], r["kind"], r["measure"] or None, r["pattern"], r["description"], r["example"],
                reach=r.get("reach") or "nearest")
        for r in read_rows("fact_cues.csv")
    ])


@cache
def measure_cues(applies_to: str) -> CueSet:
    """Measure cues of one table ("saving" or "deficit"): kept apart so that a saving's "planned" never
    hides a deficit's "planned deficit" in the same scan."""
    return CueSet([
        CueRule(r["rule_id"], r["applies_to"], r["measure"], r["pattern"], r["description"], r["example"],
                r.get("strength") or "strong")
        for r in read_rows("measure_cues.csv") if r["applies_to"] == applies_to
    ])
