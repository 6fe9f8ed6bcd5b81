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

from pipeline.data import read_rows
from pipeline.extract.lines import Lines
from pipeline.extract.literals import LiteralGate, confined_to_line
from pipeline.extract.orgs import LISTED_MEMBER_RULE, NAMES_STAY_ON_ONE_LINE, OrgMention, org_key


# Not frozen: a frozen dataclass's __init__ costs three times as much, and an article makes dozens of these.
# Nothing assigns to one after it is made; unsafe_hash keeps them hashable by value, as frozen ones were.
@dataclass(slots=True, unsafe_hash=True)
class Body:
    key: str
    name: str
    org_type: str
    scope: str = "org"  # "aggregate" for collectives
    members: tuple["Body", ...] = ()


@dataclass(slots=True, unsafe_hash=True)
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
        rows = read_rows("collectives.csv")
        self.collectives = [(re.compile(r["pattern"]), r["org_type"], r["name_from"], r["rule_id"]) for r in rows]
        # A pattern that opens with optional words ("a quarter of", "acute") is tried at every position of a
        # line; its anchor (the plural noun it must contain) is found first, at C speed, and the pattern is
        # then tried only in a short window before each anchor.
        self.anchors = [re.compile(r["anchor"]) if r.get("anchor") else None for r in rows]
        # The kind of body a collective's plural noun names ("acute trusts" are trusts); mixed ones are groups.
        self.kind_of_noun = {r["noun"].lower(): r["org_type"] for r in read_rows("collective_kinds.csv")}
        regexes = [r[0] for r in self.references] + [c[0] for c in self.collectives]
        # Gate indexes: references first, then collectives.
        self.gate = LiteralGate(regexes)
        self.collective_offset = len(self.references)
        # Lines are scanned one at a time only when no pattern, nor a named body, can run across a line break.
        self.by_line = NAMES_STAY_ON_ONE_LINE and all(confined_to_line(r) for r in regexes)
        self._to_run: dict[tuple[frozenset[int], bool], list] = {}

    def references_to_run(self, possible: frozenset[int], pronouns: bool) -> list:
        """The references the gate lets through, pronouns only or all but pronouns, in the file's order.
        Lines let through the same few sets of patterns: each list is made once."""
        key = (possible, pronouns)
        found = self._to_run.get(key)
        if found is None:
            if len(self._to_run) > 4096:  # a bound for a pathological run of texts; real ones share a few sets
                self._to_run.clear()
            found = self._to_run[key] = [entry for index, entry in enumerate(self.references)
                                         if index in possible and (entry[2] == PRONOUN_RULE) == pronouns]
        return found


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


PRONOUN_RULE = "ref.pronoun"
# "It was not clear whether ...", "It is understood that ...": an "it" that stands for no body.
_EXPLETIVE_IT = re.compile(r"[Ii]t(?:\s+(?:is|was|has been|had been|will be|would be|seems|seemed|appears|appeared|"
                           r"remains|remained)\s+(?:not\s+|now\s+|also\s+|still\s+)?(?:\w+\s+)?(?:that|whether|if|how|"
                           r"what|why|when|unclear|clear|understood|thought|believed|expected|likely|unlikely|"
                           r"estimated|reported|possible|impossible|hoped|feared|claimed|said)\b)")


def _position(candidate: Candidate) -> tuple[int, int]:
    return candidate.start, candidate.end


@dataclass(slots=True)
class _Line:
    """One line's candidates, and what finding its pronouns later needs."""

    start: int
    end: int
    candidates: list[Candidate]  # every kind but pronouns, sorted by (start, end)
    starts: list[int]  # of `candidates`
    covered: _Spans  # named bodies and collectives: a reference never starts inside one
    possible: frozenset[int]  # the patterns the literal gate lets through
    with_pronouns: tuple[list[Candidate], list[int]] | None = None  # all candidates, and their starts


def find_candidates(text: str, mentions: list[OrgMention]) -> list[Candidate]:
    """Every candidate body of the article, sorted by (start, end)."""
    return CandidateIndex(text, mentions).in_span(0, len(text))


class CandidateIndex:
    """An article's candidate bodies, found line by line when a line is first asked about.

    A figure's owner is looked for in its own sentence and the two before it, so most of an article's
    lines are never scanned. No candidate runs across a line break (`_Patterns.by_line`), and a line's
    candidates depend only on the line and on the article's named bodies, so the lines asked about get
    exactly the candidates a scan of the whole text would give them. Pronouns ("it", "we"), the costliest
    scan, are only looked for when asked for: only a figure's own sentence needs them.
    """

    def __init__(self, text: str, mentions: list[OrgMention]):
        self.text = text
        self._text_lines = Lines(text)
        self._mentions = mentions
        self._mention_starts = [m.start for m in mentions]
        self._named: list[Candidate] | None = None
        self._fits: dict[tuple[str, ...], tuple[list[Candidate], list[int]]] = {}
        self._lines: dict[int, _Line] = {}

    def in_span(self, start: int, end: int, *, pronouns: bool = True) -> list[Candidate]:
        """The candidates inside text[start:end], sorted by (start, end); without pronouns if so asked."""
        found: list[Candidate] = []
        position = start
        while position < end:
            line = self._line_at(position)
            candidates, starts = self._with_pronouns(line) if pronouns else (line.candidates, line.starts)
            # Binary search: a pathological line holds thousands of candidates and is asked about as often.
            first = bisect.bisect_left(starts, start)
            last = bisect.bisect_left(starts, end, lo=first)
            found += [c for c in candidates[first:last] if c.end <= end]
            position = line.end + 1
        return found

    def _line_at(self, position: int) -> _Line:
        text = self.text
        if _patterns().by_line:
            line_start, line_end = self._text_lines.around(position)
        else:
            line_start, line_end = 0, len(text)
        line = self._lines.get(line_start)
        if line is None:
            line = self._lines[line_start] = self._scan_line(line_start, line_end)
        return line

    def named(self) -> list[Candidate]:
        if self._named is None:
            self._named = [Candidate(m.start, m.end, body_of(m), "named", m.rule_id) for m in self._mentions]
        return self._named

    def _scan_line(self, start: int, end: int) -> _Line:
        first = bisect.bisect_left(self._mention_starts, start)
        last = bisect.bisect_left(self._mention_starts, end, lo=first)
        named = self.named()[first:last]
        possible = _patterns().gate.possible(self.text, start, end)
        collectives = self._collectives(start, end, possible)
        covered = _Spans([(c.start, c.end) for c in named + collectives])
        references = self._references(start, end, possible, covered, pronouns=False)
        found = sorted(_drop_named_inside_collectives(named, collectives) + collectives + references, key=_position)
        return _Line(start, end, found, [c.start for c in found], covered, possible)

    def _with_pronouns(self, line: _Line) -> tuple[list[Candidate], list[int]]:
        if line.with_pronouns is None:
            # No pronoun shares its span with another candidate (only pronouns are single words that no
            # named body or collective covers), so merging by position is the order one sort of all gives.
            pronouns = self._references(line.start, line.end, line.possible, line.covered, pronouns=True)
            if pronouns:
                merged = sorted(line.candidates + pronouns, key=_position)
                line.with_pronouns = (merged, [c.start for c in merged])
            else:
                line.with_pronouns = (line.candidates, line.starts)
        return line.with_pronouns

    def _collectives(self, start: int, end: int, possible: frozenset[int]) -> list[Candidate]:
        found: list[Candidate] = []
        patterns = _patterns()
        mention_starts = self._mention_starts
        for index, (regex, org_type, name_from, rule_id) in enumerate(patterns.collectives):
            if patterns.collective_offset + index not in possible:
                continue
            taken = _Spans([(c.start, c.end) for c in found])
            anchor = patterns.anchors[index]
            matches = regex.finditer(self.text, start, end) if anchor is None else \
                _anchored_matches(regex, anchor, self.text, start, end)
            for match in matches:
                if taken.overlaps(match.start(), match.end()):
                    continue
                first = bisect.bisect_left(mention_starts, match.start())
                last = bisect.bisect_left(mention_starts, match.end(), lo=first)
                body = _collective_body(match, org_type, name_from, self._mentions[first:last])
                if body is not None:
                    found.append(Candidate(match.start(), match.end(), body, "collective", rule_id))
        return found

    def _references(self, start: int, end: int, possible: frozenset[int], covered: _Spans, *,
                    pronouns: bool) -> list[Candidate]:
        """The references of the line (pronouns only, or all but pronouns)."""
        found: list[Candidate] = []
        for regex, refers_to, rule_id in _patterns().references_to_run(possible, pronouns):
            fits, fit_starts = self._fitting(refers_to)
            for match in regex.finditer(self.text, start, end):
                if covered.covering(match.start()):
                    continue
                if rule_id == PRONOUN_RULE and _EXPLETIVE_IT.match(self.text, match.start()):
                    continue
                body = _antecedent(match.start(), refers_to, fits, fit_starts, indefinite=rule_id.startswith("ref.a_"))
                if body is not None:
                    kind = "pronoun" if rule_id == PRONOUN_RULE else "reference"
                    found.append(Candidate(match.start(), match.end(), body, kind, rule_id))
        return found

    def _fitting(self, refers_to: list[str]) -> tuple[list[Candidate], list[int]]:
        """The named bodies a reference can point back to (anywhere in the article), and their starts."""
        key = tuple(refers_to)
        if key not in self._fits:
            # A body met only as one name of a printed list ("other trusts ... including Leeds, Mid Yorkshire
            # and Humber") is not the one "the trust" or "it" goes on to speak of.
            named = [c for c in self.named() if c.rule_id != LISTED_MEMBER_RULE]
            fits = named if "any" in refers_to else sorted(
                (c for c in named if c.body.org_type in refers_to), key=lambda c: c.start)
            self._fits[key] = (fits, [c.start for c in fits])
        return self._fits[key]


ANCHOR_REACH = 90  # characters before an anchor where its pattern may start (three counts and modifiers)


def _anchored_matches(regex: re.Pattern, anchor: re.Pattern, text: str, start: int, end: int):
    """The matches `regex.finditer(text, start, end)` gives, found from the anchors every match contains."""
    position = start
    for hit in anchor.finditer(text, start, end):
        if hit.end() <= position:
            continue
        window_start = max(position, hit.start() - ANCHOR_REACH)
        for match in regex.finditer(text, window_start, min(end, hit.end() + ANCHOR_REACH)):
            if match.end() <= position:
                continue
            if match.start() <= hit.start() and match.end() >= hit.end():
                yield match
                position = match.end()
                break


def _drop_named_inside_collectives(named: list[Candidate], collectives: list[Candidate]) -> list[Candidate]:
    # "PCTs across the East Midlands SHA area": the SHA names the area; the figure is the PCTs' collective one.
    if not collectives:
        return named
    spans = _Spans([(c.start, c.end) for c in collectives])
    return [n for n in named if not ((span := spans.covering(n.start)) and n.end <= span[1])]


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
    if org_type == "group" and "noun" in match.re.groupindex and match.group("noun"):
        org_type = _patterns().kind_of_noun.get(match.group("noun").lower(), org_type)
    return Body(org_key(org_type, name), name, org_type, "aggregate")


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
