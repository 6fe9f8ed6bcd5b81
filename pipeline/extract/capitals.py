"""Names printed in capitals ("NORTH BRISTOL NHS TRUST"), read in title case before the scan.

What belongs here: finding runs of capitalised words and recasing them, one word for another of the same
length so every span still points into the original text; the acronyms that stay as written. What does
not: the scan itself (`name_scan`).
"""

from __future__ import annotations

import re

from pipeline.extract.re2_gates import AnyMatch


# Tables and headings print names in capitals ("NORTH BRISTOL NHS TRUST"). A run of such words is read in
# title case (a copy of the same length, so every span still points into the text); acronyms stay.
_CAPITALS_RUN = re.compile(r"[A-Z](?<![\w’'\-].)[A-Z’'&\-]+(?:[ ,]+[A-Z][A-Z’'&\-]*)+\b")
_CAPITALS_GATE = re.compile(r"[A-Z]{2}[A-Z’'&\-]*[ ,]+[A-Z][A-Z’'&\-]")
# The gate is character classes and repeats only, so whether it matches anywhere is the same question for RE2,
# whose automaton answers it several times faster than `re` stopping at every capital letter.
_CAPITALS_GATE_RE2 = AnyMatch(_CAPITALS_GATE)
_CAPITALS_WORD = re.compile(r"[A-Z][A-Z’'-]*")
_LOWER_IN_NAMES = frozenset({"AND", "OF", "THE", "ON", "UPON", "IN"})
_ACRONYMS = frozenset({"NHS", "CCG", "CCGS", "ICB", "ICBS", "ICS", "PCT", "PCTS", "SHA", "FT", "STP", "UK", "LMC",
                       "BMA", "GP", "GPS"})


def _title_word(m: re.Match[str]) -> str:
    word = m.group()
    if word in _ACRONYMS or len(word) < 2:
        return word
    if word in _LOWER_IN_NAMES and m.start() > 0:
        recased = word.lower()
    else:
        recased = word[0] + word[1:].lower()
    return recased if len(recased) == len(word) else word


def _title_case_run(m: re.Match[str]) -> str:
    run = m.group()
    # A run of short acronyms ("CPR CCG") stays as written: only a run with a word of four letters or more
    # ("NORTH BRISTOL NHS TRUST") is a name printed in capitals.
    if sum(1 for w in _CAPITALS_WORD.findall(run) if w not in _ACRONYMS and len(w) > 3) < 1:
        return run
    return _CAPITALS_WORD.sub(_title_word, run)


def _readable_capitals(text: str) -> str:
    # Most articles have no two capitalised words side by side: a gate without lookbehinds says so first.
    if not _CAPITALS_GATE_RE2.found_in(text):
        return text
    return _CAPITALS_RUN.sub(_title_case_run, text)
