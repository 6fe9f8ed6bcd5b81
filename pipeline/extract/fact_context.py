"""What the fact classifier reads and what it makes: an article's recognised spans, and a fact draft.

What belongs here: `ArticleContext` (an article's text, sentences, candidate bodies and periods, with the
lookups by position every step of classification uses) and `FactDraft` (one classified figure, before the
extractor merges restatements of the same fact). No decision about a figure belongs here.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from pipeline.extract.amounts import Money
from pipeline.extract.bodies import Body, Candidate, CandidateIndex
from pipeline.extract.periods import Period
from pipeline.extract.sentences import Sentence


# Not frozen: a frozen dataclass's __init__ costs three times as much, and an article makes dozens of these.
# Nothing assigns to one after it is made; unsafe_hash keeps them hashable by value, as frozen ones were.
@dataclass(slots=True, unsafe_hash=True)
class FactDraft:
    table: str
    measure: str
    money: Money
    body: Body
    fy_start: str | None
    fy_end: str | None
    horizon_years: int | None
    period_text: str | None
    evidence_start: int
    evidence_end: int
    rule_id: str
    sentence_no: int
    is_component: bool = False
    parent: int | None = None  # index of the plan total in the article's draft list
    measure_defaulted: bool = False  # no cue named the measure: a restatement may carry a better one


@dataclass
class ArticleContext:
    """An article's recognised spans, with lookups by position that stay fast on pathological inputs."""

    text: str
    sentences: list[Sentence]
    candidates: CandidateIndex
    periods: list[Period]

    def __post_init__(self) -> None:
        self._period_starts = [p.start for p in self.periods]

    def candidates_in(self, start: int, end: int, *, pronouns: bool = True) -> list[Candidate]:
        return self.candidates.in_span(start, end, pronouns=pronouns)

    def periods_in(self, start: int, end: int, *, dated_only: bool = True) -> list[Period]:
        """Periods inside a span; calendar years ("by 2020") are never financial years."""
        first = bisect.bisect_left(self._period_starts, start)
        last = bisect.bisect_left(self._period_starts, end, lo=first)
        return [p for p in self.periods[first:last] if p.end <= end and not (dated_only and p.kind == "calendar")]

    def periods_before(self, position: int) -> list[Period]:
        return self.periods[:bisect.bisect_left(self._period_starts, position)]
