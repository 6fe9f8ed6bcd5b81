"""Who a figure can belong to: named bodies, references back to them, and collectives.

Gives the fact classifier one sorted list of candidate bodies per article:
named mentions (from `orgs`), generic references ("the CCG", "it", "we")
resolved to the body they point at, and collectives ("95 CCGs", "PCTs across
the East Midlands SHA area", "the NHS") turned into aggregate bodies.
"""

from __future__ import annotations

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


def find_candidates(text: str, mentions: list[OrgMention]) -> list[Candidate]:
    named = [Candidate(m.start, m.end, body_of(m), "named", m.rule_id) for m in mentions]
    collectives = _collectives(text, mentions)
    covered = [(c.start, c.end) for c in named + collectives]
    references = _references(text, named, covered)
    found = _drop_named_inside_collectives(named, collectives) + collectives + references
    return sorted(found, key=lambda c: (c.start, c.end))


def _drop_named_inside_collectives(named: list[Candidate], collectives: list[Candidate]) -> list[Candidate]:
    # "PCTs across the East Midlands SHA area": the SHA names the area; the figure is the PCTs' collective one.
    return [n for n in named if not any(c.start <= n.start and n.end <= c.end for c in collectives)]


def _collectives(text: str, mentions: list[OrgMention]) -> list[Candidate]:
    found: list[Candidate] = []
    taken: list[tuple[int, int]] = []
    for regex, org_type, name_from, rule_id in _patterns().collectives:
        for match in regex.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            body = _collective_body(match, org_type, name_from, mentions)
            if body is None:
                continue
            taken.append((match.start(), match.end()))
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


def _references(text: str, named: list[Candidate], covered: list[tuple[int, int]]) -> list[Candidate]:
    found: list[Candidate] = []
    for regex, refers_to, rule_id in _patterns().references:
        for match in regex.finditer(text):
            if any(s <= match.start() < e for s, e in covered):
                continue
            body = _antecedent(match.start(), refers_to, named, indefinite=rule_id.startswith("ref.a_"))
            if body is not None:
                kind = "pronoun" if rule_id == "ref.pronoun" else "reference"
                found.append(Candidate(match.start(), match.end(), body, kind, rule_id))
    return found


def _antecedent(position: int, refers_to: list[str], named: list[Candidate], *, indefinite: bool) -> Body | None:
    """The body last named before `position` of a fitting type; failing that, the first named after it
    (a headline's "A CCG plans to save..." names the CCG only in the next sentence)."""
    fits = [c for c in named if "any" in refers_to or c.body.org_type in refers_to]
    before = [c for c in fits if c.end <= position]
    if before and not indefinite:
        return before[-1].body
    after = [c for c in fits if c.start >= position]
    if after and (indefinite or not before) and "any" not in refers_to:
        return after[0].body
    return before[-1].body if before else None
