"""Where a figure sits in its sentence: the clause that holds it, the asides that interrupt it, the distance to it.

What belongs here: the clause-break and aside patterns, the cached spans found with them, and the distance
in characters between a span and a figure. The cue, the measure, the owner and the period of a figure are
all reached through these; no step's own rule belongs here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.amounts import Money
from pipeline.extract.sentences import Sentence


# Clause boundaries inside a sentence; a contrastive one also stops a period applying across it.
_CLAUSE_BREAK = re.compile(r"\s*(?:;|:|\s[–—]\s|,\s*(?=\w+(?:ed|ing)\s)|,\s*(?=(?:and|but|while|whereas|with|despite|although|though|as|after|against|"
                           r"before|unless|which|who|where|however|even (?:though|if|as|so))\b)|\s(?=(?:despite|although|whereas|unless|against)\b))")
_CONTRASTIVE = re.compile(r"^\s*[,;]?\s*(?:but|while|whereas|despite|although|though|however|unless)\b", re.I)


_ASIDE_MAX_CHARS = 260
_ASIDE = re.compile(r"\s[–—-]\s[^–—]{1,200}?\s[–—-]\s|\([^()]{1,200}\)|,\s\w+ed\b[^,.;]{0,60},")


@lru_cache(maxsize=512)
def _asides(text: str, span: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """Parenthetical asides ("– which strips out one-off costs and non-recurrent income –")."""
    return tuple((m.start(), m.end()) for m in _ASIDE.finditer(text, span[0], span[1]))


def _distance(start: int, end: int, money: Money) -> int:
    if end <= money.start:
        return money.start - end
    if start >= money.end:
        return start - money.end
    return 0


def _clause(text: str, sentence: Sentence, money: Money) -> tuple[int, int]:
    """The span of the clause holding the figure; breaks inside an aside do not count."""
    return _clause_span(text, sentence.start, sentence.end, money.start, money.end)


@lru_cache(maxsize=1024)
def _clause_span(text: str, start: int, end: int, money_start: int, money_end: int) -> tuple[int, int]:
    # Cached: the cue, the measure, the body and the period of a figure all ask for its clause.
    lo, hi = start, end
    asides = _asides(text, (start, end))
    for break_start, break_end in _clause_breaks(text, start, end):
        if any(a <= break_start < b for a, b in asides if not a <= money_start < b):
            continue
        if break_end <= money_start:
            lo = break_end
        elif break_start >= money_end:
            hi = break_start
            break
    return lo, hi


@lru_cache(maxsize=512)
def _clause_breaks(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    return tuple((m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(text, start, end))
