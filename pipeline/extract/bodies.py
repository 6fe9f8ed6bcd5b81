"""Who a figure can belong to: named bodies, references back to them, and collectives.

Gives the fact classifier one sorted list of candidate bodies per article:
named mentions (from `orgs`), generic references ("the CCG", "it", "we")
resolved to the body they point at, and collectives ("95 CCGs", "PCTs across
the East Midlands SHA area", "the NHS") turned into aggregate bodies.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.extract.lexicon import read_rows
from pipeline.extract.orgs import OrgMention, org_key


@dataclass(frozen=True, slots=True)
class Body:
    key: str
    name: str
    org_type: str
    scope: str = "org"  # "aggregate" for collectives
    members: tuple["Body", ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int
    body: Body
    kind: str  # "named", "reference", "pronoun" or "collective"
    rule_id: str


def body_of(mention: OrgMention) -> Body:
    return Body(mention.key, mention.name, mention.org_type)


def group_of(members: list[Body]) -> Body:
    """A figure shared by named bodies belongs to one group whose members are those bodies."""
    unique = sorted({m.key: m for m in members}.values(), key=lambda b: b.key)
    name = " and ".join(m.name for m in members)
    return Body("group:" + "+".join(m.key for m in unique), name, "group", "org", tuple(unique))


class _Patterns:
    def __init__(self) -> None:
        self.references = [(re.compile(r["pattern"]), r["refers_to"].split(";"), r["rule_id"])
                           for r in read_rows("references.csv")]
        self.collectives = [(re.compile(r["pattern"]), r["org_type"], r["name_from"], r["rule_id"])
                            for r in read_rows("collectives.csv")]


_PATTERNS: _Patterns | None = None


def _patterns() -> _Patterns:
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _Patterns()
    return _PATTERNS


class _Spans:
    """Non-overlapping spans sorted by start, asked which one covers a position (binary search)."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covering(self, position: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.starts, position) - 1
        return self.spans[i] if i >= 0 and self.spans[i][0] <= position < self.spans[i][1] else None

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end) - 1
        return i >= 0 and self.spans[i][1] > start


def find_candidates(text: str, mentions: list[OrgMention]) -> list[Candidate]:
    named = [Candidate(m.start, m.end, body_of(m), "named", m.rule_id) for m in mentions]
    collectives = _collectives(text, mentions)
    references = _references(text, named, _Spans([(c.start, c.end) for c in named + collectives]))
    found = _drop_named_inside_collectives(named, collectives) + collectives + references
    return sorted(found, key=lambda c: (c.start, c.end))


def _drop_named_inside_collectives(named: list[Candidate], collectives: list[Candidate]) -> list[Candidate]:
    # "PCTs across the East Midlands SHA area": the SHA names the area; the figure is the PCTs' collective one.
    spans = _Spans([(c.start, c.end) for c in collectives])
    return [n for n in named if not ((span := spans.covering(n.start)) and n.end <= span[1])]


def _collectives(text: str, mentions: list[OrgMention]) -> list[Candidate]:
    found: list[Candidate] = []
    mention_starts = [m.start for m in mentions]
    for regex, org_type, name_from, rule_id in _patterns().collectives:
        taken = _Spans([(c.start, c.end) for c in found])
        for match in regex.finditer(text):
            if taken.overlaps(match.start(), match.end()):
                continue
            first = bisect.bisect_left(mention_starts, match.start())
            last = bisect.bisect_left(mention_starts, match.end(), lo=first)
            body = _collective_body(match, org_type, name_from, mentions[first:last])
            if body is not None:
                found.append(Candidate(match.start(), match.end(), body, "collective", rule_id))
    return found


def _collective_body(match: re.Match, org_type: str, name_from: str, mentions: list[OrgMention]) -> Body | None:
    """The body a collective phrase stands for, named as the collectives file says: a fixed name (the NHS),
    the place alone ("north-east London"), or the text's own phrase ("CCGs in the North West")."""
    inside = [m for m in mentions if match.start() <= m.start and m.end <= match.end()]
    if org_type == "region" and inside:
        # When an overseeing body names the area ("PCTs across the East Midlands SHA area"), it names the region.
        name = inside[0].name
    elif name_from.startswith("fixed:"):
        name = name_from.removeprefix("fixed:")
    elif name_from == "place":
        name = match.group("place").strip()
    else:
        name = re.sub(r"^(?:[Aa]ll |[Ee]very |[Tt]he )", "", match.group(0).strip())
    if not name or name.lower() in {"the", "england"}:
        return None
    return Body(org_key(org_type, name), name, org_type, "aggregate")


def _references(text: str, named: list[Candidate], covered: _Spans) -> list[Candidate]:
    found: list[Candidate] = []
    by_type: dict[str, list[Candidate]] = {}
    for candidate in named:
        by_type.setdefault(candidate.body.org_type, []).append(candidate)
    for regex, refers_to, rule_id in _patterns().references:
        fits = named if "any" in refers_to else sorted(
            (c for t in refers_to for c in by_type.get(t, [])), key=lambda c: c.start)
        fit_starts = [c.start for c in fits]
        for match in regex.finditer(text):
            if covered.covering(match.start()):
                continue
            body = _antecedent(match.start(), refers_to, fits, fit_starts, indefinite=rule_id.startswith("ref.a_"))
            if body is not None:
                kind = "pronoun" if rule_id == "ref.pronoun" else "reference"
                found.append(Candidate(match.start(), match.end(), body, kind, rule_id))
    return found


def _antecedent(position: int, refers_to: list[str], fits: list[Candidate], fit_starts: list[int], *,
                indefinite: bool) -> Body | None:
    """The body of a fitting type last named before `position`; failing that, the first named after it
    (a headline's "A CCG plans to save..." names the CCG only in the next sentence)."""
    i = bisect.bisect_left(fit_starts, position)
    before = fits[i - 1] if i > 0 and fits[i - 1].end <= position else None
    after = fits[i] if i < len(fits) else None
    if before is not None and not indefinite:
        return before.body
    if after is not None and (indefinite or before is None) and "any" not in refers_to:
        return after.body
    return before.body if before is not None else None
