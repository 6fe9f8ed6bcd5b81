"""The extractor's shortcuts (issue 7) change its speed, never its output.

Extraction skips work it can prove useless: lines no figure's owner is looked for in, regex scans a line
cannot match (`pipeline.extract.literals`), cue regexes tried only where a cue can start. Each shortcut is
checked here against the plain computation it replaces, on generated articles of every era, the sample
articles, every rule's example and seeded random mutations of them: the candidate bodies against a
whole-text scan (the implementation before the shortcuts, kept below as the oracle), the cue hits against
`finditer` of the cue regex, sentence splitting against the line-by-line splitter it replaced, and the
derived literals and prefixes against every match they must cover.
"""

from __future__ import annotations

import bisect
import random
import re
from functools import cache
from pathlib import Path

import pytest

from bench.generate import make_article
from pipeline.extract import bodies, sentences
from pipeline.extract.bodies import Candidate, CandidateIndex, body_of, find_candidates
from pipeline.extract.lexicon import _lower_pattern, fact_cues, measure_cues
from pipeline.extract.literals import (LiteralGate, confined_to_line, required_literals, start_prefixes,
                                       word_start_gate)
from pipeline.extract.lines import Lines
from pipeline.extract.orgs import find_org_mentions
from pipeline.extract.sentences import Sentence, split_sentences
from pipeline.ingest.inventory import list_raw_files
from pipeline.ingest.readers import read_batch
from pipeline.rules import catalogue

ROOT = Path(__file__).resolve().parent.parent
_JUNK = ["£", "£4m", "3", "\n", "\n\n", " | ", "\u00a0", "\u200b", ". ", "The CCG", "the trust", "it", " 95 CCGs ",
         "across the region", "- ", "• ", "(", ")", " – ", "2014/15", " by 2020", "deficit", "savings", ",", ";",
         ":", "NHS ", "the NHS", "PCTs across the North West", "’", "’s", "save £2m", "A CCG", "We ", "ICB",
         "in the red", "x" * 1200, "İ"]


@cache
def _texts() -> tuple[str, ...]:
    articles, _ = read_batch(list_raw_files(ROOT / "raw"))
    base = [a.body_text for a in articles]
    # Commissioners are PCTs, CCGs and ICBs by era: spread the generated articles over 2011-2024.
    base += [make_article(7, index, 1000, "2011-01").body for index in range(0, 160_000, 4_000)]
    base += [rule.example for rule in catalogue()]
    rng = random.Random(11)
    mutated = []
    for _ in range(150):
        chars = list(rng.choice(base))
        for _ in range(rng.randint(1, 30)):
            at = rng.randrange(len(chars) + 1)
            roll = rng.random()
            if roll < 0.6:
                chars[at:at] = list(rng.choice(_JUNK))
            elif roll < 0.8:
                del chars[at:at + rng.randint(1, 30)]
            else:
                source = rng.randrange(len(chars) + 1)
                chars[at:at] = chars[source:source + rng.randint(1, 200)]
        mutated.append("".join(chars))
    return tuple(base + mutated + [t.lower() for t in base[:20]] + [t.upper() for t in base[:20]])


# ---- the oracle: candidate bodies found by scanning the whole text, as before the shortcuts ----

def _oracle_candidates(text: str, mentions) -> list[Candidate]:
    named = [Candidate(m.start, m.end, body_of(m), "named", m.rule_id) for m in mentions]
    collectives = _oracle_collectives(text, mentions)
    covered = bodies._Spans([(c.start, c.end) for c in named + collectives])
    references = _oracle_references(text, named, covered)
    found = bodies._drop_named_inside_collectives(named, collectives) + collectives + references
    return sorted(found, key=lambda c: (c.start, c.end))


def _oracle_collectives(text: str, mentions) -> list[Candidate]:
    found: list[Candidate] = []
    mention_starts = [m.start for m in mentions]
    for regex, org_type, name_from, rule_id in bodies._patterns().collectives:
        taken = bodies._Spans([(c.start, c.end) for c in found])
        for match in regex.finditer(text):
            if taken.overlaps(match.start(), match.end()):
                continue
            first = bisect.bisect_left(mention_starts, match.start())
            last = bisect.bisect_left(mention_starts, match.end(), lo=first)
            body = bodies._collective_body(match, org_type, name_from, mentions[first:last])
            if body is not None:
                found.append(Candidate(match.start(), match.end(), body, "collective", rule_id))
    return found


def _oracle_references(text: str, named: list[Candidate], covered) -> list[Candidate]:
    found: list[Candidate] = []
    by_type: dict[str, list[Candidate]] = {}
    for candidate in named:
        by_type.setdefault(candidate.body.org_type, []).append(candidate)
    for regex, refers_to, rule_id in bodies._patterns().references:
        fits = named if "any" in refers_to else sorted(
            (c for t in refers_to for c in by_type.get(t, [])), key=lambda c: c.start)
        fit_starts = [c.start for c in fits]
        for match in regex.finditer(text):
            if covered.covering(match.start()):
                continue
            body = bodies._antecedent(match.start(), refers_to, fits, fit_starts,
                                      indefinite=rule_id.startswith("ref.a_"))
            if body is not None:
                kind = "pronoun" if rule_id == "ref.pronoun" else "reference"
                found.append(Candidate(match.start(), match.end(), body, kind, rule_id))
    return found


def test_candidates_are_those_of_a_whole_text_scan():
    for text in _texts():
        mentions = find_org_mentions(text)
        assert find_candidates(text, mentions) == _oracle_candidates(text, mentions)


def test_candidates_of_a_span_asked_lazily_are_those_of_a_whole_text_scan():
    rng = random.Random(3)
    for text in _texts():
        mentions = find_org_mentions(text)
        everything = _oracle_candidates(text, mentions)
        index = CandidateIndex(text, mentions)  # one index, asked in a random order, as classify does
        spans = [(s.start, s.end) for s in split_sentences(text)]
        spans += [tuple(sorted((rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)))) for _ in range(5)]
        rng.shuffle(spans)
        for start, end in spans:
            expected = [c for c in everything if start <= c.start < end and c.end <= end]
            pronouns = rng.random() < 0.5
            got = index.in_span(start, end, pronouns=pronouns)
            assert got == (expected if pronouns else [c for c in expected if c.kind != "pronoun"]), (start, end)


def test_the_patterns_of_references_and_collectives_stay_on_one_line():
    # Otherwise CandidateIndex scans the whole text at once: still right, but slower.
    assert bodies._patterns().by_line


# ---- lines ----

def test_lines():
    text = "ab\n\ncd\n"
    lines = Lines(text)
    assert [lines.around(i) for i in range(len(text) + 1)] == [(0, 2), (0, 2), (0, 2), (3, 3), (4, 6), (4, 6),
                                                                (4, 6), (7, 7)]
    assert Lines("").around(0) == (0, 0)


# ---- cue lexicon ----

def _windows() -> list[str]:
    windows = []
    rng = random.Random(5)
    for text in _texts():
        windows += [text[s.start:s.end] for s in split_sentences(text)]
        for _ in range(3):
            a, b = sorted((rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)))
            windows.append(text[a:b])
    return windows


@pytest.mark.parametrize("cues", [fact_cues(), measure_cues("saving"), measure_cues("deficit")],
                         ids=["fact", "saving measure", "deficit measure"])
def test_cue_hits_are_those_of_the_cue_regex(cues):
    assert cues._gated, "every cue should have start prefixes, or the gate is off"
    for window in _windows():
        lowered = window.lower()
        if len(lowered) != len(window):
            continue
        expected = [(m.start(), m.end(), int(m.lastgroup[1:])) for m in cues._regex.finditer(lowered)]
        assert cues._scan(lowered) == expected, window


# ---- sentences ----

def _oracle_split(text: str) -> list[Sentence]:
    found: list[Sentence] = []
    position = 0
    for line in text.split("\n"):
        line_start, line_end = position, position + len(line)
        position = line_end + 1
        if not line.strip():
            continue
        if "|" in line and not sentences._looks_like_prose(line):
            lead = len(line) - len(line.lstrip())
            for a, b in sentences._cap_length(line, lead, len(line.rstrip())):
                found.append(Sentence(line_start + a, line_start + b, "row", line_start, line_end))
            continue
        kind = "item" if sentences._BULLET.match(line) else "sentence"
        spans, start = [], len(line) - len(line.lstrip())
        for match in sentences._BOUNDARY.finditer(line):
            end = match.end()
            word = sentences._WORD_BEFORE.search(line[max(start, match.start() - 12):match.start() + 1])
            if word and word.group(1).lower() in sentences._ABBREVIATIONS:
                continue
            if line[start:end].strip():
                spans.append((start, end))
            start = end
            while start < len(line) and line[start].isspace():
                start += 1
        if start < len(line.rstrip()):
            spans.append((start, len(line.rstrip())))
        for start, end in spans:
            for a, b in sentences._cap_length(line, start, end):
                found.append(Sentence(line_start + a, line_start + b, kind, line_start, line_end))
    return found


def test_sentences_are_those_of_the_plain_splitter():
    for text in _texts() + ("Dr. Smith met Mr. Jones. It was 5 p.m. Then!  Next? Yes.\u2003 Done", "a\u00a0.\u2029B"):
        assert split_sentences(text) == _oracle_split(text)


# ---- what the shortcuts rest on ----

def _all_patterns() -> list[re.Pattern]:
    patterns = bodies._patterns()
    return [r[0] for r in patterns.references] + [c[0] for c in patterns.collectives]


def test_every_match_holds_one_of_its_required_literals_and_no_line_break():
    for pattern in _all_patterns():
        literals = required_literals(pattern)
        confined = confined_to_line(pattern)
        for text in _texts():
            for match in pattern.finditer(text):
                if literals is not None:
                    assert any(literal in match.group() for literal in literals), (pattern.pattern, match)
                if confined:
                    assert "\n" not in match.group()


def test_every_cue_match_starts_with_one_of_its_prefixes():
    for cues in (fact_cues(), measure_cues("saving"), measure_cues("deficit")):
        for rule in cues.rules:
            pattern = _lower_pattern(rule.pattern[2:])
            prefixes = start_prefixes(pattern, 5)
            regex = re.compile(r"(?<!\w)(?:" + pattern + ")")
            for text in _texts():
                for match in regex.finditer(text.lower()):
                    assert match.group().startswith(tuple(prefixes)), (rule.rule_id, match)


def test_required_literals():
    assert required_literals(re.compile(r"\b[Tt]he (?:CCG|clinical commissioning group)\b(?!s)")) == {
        "The CCG", "the CCG", "The clinical commissioning group", "the clinical commissioning group"}
    # Spaces at the ends go, and a literal holding a shorter one is redundant.
    assert required_literals(re.compile(r"\b\d{1,3} (?:CCGs|NHS trusts|trusts)\b")) == {"CCGs", "trusts"}
    assert required_literals(re.compile(r"\bfoo", re.IGNORECASE)) is None
    assert required_literals(re.compile(r"\w+")) is None
    assert required_literals(re.compile(r"abc|\d")) is None  # one alternative requires nothing


def test_start_prefixes():
    assert start_prefixes(r"sav(?:e|es|ed|ing)\b") == {"sav"}
    assert start_prefixes(r"(?:financial )?shortfall\b") == {"fin", "sho"}
    assert start_prefixes(r"(?:it|trust) cut", 5) == {"it cu", "trust"}
    assert start_prefixes(r"a\w+", 3) == {"a"}
    assert start_prefixes(r"\d+m") is None  # a digit class is not followed: it could start anywhere
    assert start_prefixes(r"x*y") == {"x", "y"}
    assert start_prefixes(r"x*") is None  # an empty match has no prefix
    assert start_prefixes(r"(?i)abc") is None


def test_confined_to_line():
    assert confined_to_line(re.compile(r"\b[Tt]he (?:CCG|trust)\b(?!s)"))
    assert confined_to_line(re.compile(r"(?<=\s)a[^\S\n]+b"))  # a lookbehind reads before the scan's start
    assert not confined_to_line(re.compile(r"a\s+b"))
    assert not confined_to_line(re.compile(r"a(?=\s)"))  # reads the line break after the line's end
    assert not confined_to_line(re.compile(r"a$"))
    assert not confined_to_line(re.compile(r"a.b", re.DOTALL))


def test_literal_gate_reports_every_pattern_with_a_literal_in_the_span():
    patterns = [re.compile(r"\bthe trust\b"), re.compile(r"\bit\b"), re.compile(r"trusts? in England")]
    gate = LiteralGate(patterns)
    text = "the trust said it would.\nTrusts in England; trust in England"
    assert gate.possible(text, 0, 24) == {0, 1}  # "it" is too short to gate on: always reported
    assert gate.possible(text, 25, len(text)) == {1, 2}
    # The longest literal at a position stands for the shorter ones it starts with.
    assert LiteralGate([re.compile("abc"), re.compile("abcdef")]).possible("xabcdefx", 0, 8) == {0, 1}


def test_word_start_gate():
    gate = word_start_gate({"sav", "cut"})
    assert [m.start() + 1 for m in gate.finditer("we save, recut, (cut) and saved")] == [3, 17, 26]
