"""Split an article into sentences, list items and table rows, as character spans.

Lines are hard boundaries (a paragraph, a bullet or a table row never runs on
into the next line); within a line, a sentence ends at . ! or ? followed by
space and a capital, an opening quote or a digit, unless the word before is a
known abbreviation. Spans always index the text unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "no", "nos", "vs", "v", "etc", "eg", "ie", "cllr", "rev",
    "sr", "jr", "co", "ltd", "inc", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "approx", "est", "fig", "al",
})
_BOUNDARY = re.compile(r"[.!?]['’”\"]?(?=\s+[A-Z0-9‘'“\"£(])")
_BULLET = re.compile(r"^\s*(?:[•·▪‣◦*\-–—]|\d{1,2}[.)])\s+")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?$")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SPACES = re.compile(r"\s*")  # \s is what str.isspace() calls a space
# Longer than any real sentence: a run without sentence ends is cut at spaces, so the work done per
# figure stays bounded on pathological inputs (a megabyte with no full stop).
MAX_SENTENCE_CHARS = 1_000


# Not frozen: a frozen dataclass's __init__ costs three times as much, and an article makes dozens of these.
# Nothing assigns to one after it is made; unsafe_hash keeps them hashable by value, as frozen ones were.
@dataclass(slots=True, unsafe_hash=True)
class Sentence:
    start: int
    end: int
    kind: str  # "sentence", "item" (a bullet or numbered line) or "row" (a table row with | cells)
    line_start: int
    line_end: int


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    append = sentences.append
    position = 0
    for line in text.split("\n"):
        line_start, line_end = position, position + len(line)
        position = line_end + 1
        if not line or line.isspace():  # what strip() would leave empty
            continue
        if "|" in line and not _looks_like_prose(line):
            lead = len(line) - len(line.lstrip())
            for piece_start, piece_end in _cap_length(line, lead, len(line.rstrip())):
                append(Sentence(line_start + piece_start, line_start + piece_end, "row", line_start, line_end))
            continue
        kind = "item" if _BULLET.match(line) else "sentence"
        for start, end in _split_line(line):
            if end - start <= MAX_SENTENCE_CHARS:
                append(Sentence(line_start + start, line_start + end, kind, line_start, line_end))
                continue
            for piece_start, piece_end in _cap_length(line, start, end):
                append(Sentence(line_start + piece_start, line_start + piece_end, kind, line_start, line_end))
    return sentences


def _looks_like_prose(line: str) -> bool:
    # A pipe inside running text (a masthead "Paper | Tagline" line is not a table either, but harmless).
    return line.count("|") == 1 and len(line) > 200


def _split_line(line: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = len(line) - len(line.lstrip())
    for match in _BOUNDARY.finditer(line):
        end = match.end()
        stop = match.start()
        # Only a full stop after a letter can end an abbreviation ("Dr.", "Jan."): skip the regex otherwise.
        if line[stop] == "." and stop > start and line[stop - 1] in _ASCII_LETTERS:
            word = _WORD_BEFORE.search(line[max(start, stop - 12):stop + 1])
            if word and word.group(1).lower() in _ABBREVIATIONS:
                continue
        if line[start:end].strip():
            spans.append((start, end))
        start = _SPACES.match(line, end).end()
    end = len(line.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def _cap_length(line: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = line.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        pieces.append((start, cut))
        start = cut
        while start < end and line[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def sentence_index(sentences: list[Sentence], offset: int) -> int:
    """Index of the sentence containing `offset` (binary search), or -1."""
    lo, hi = 0, len(sentences) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        s = sentences[mid]
        if offset < s.start:
            hi = mid - 1
        elif offset >= s.end:
            lo = mid + 1
        else:
            return mid
    return -1
