"""Questions about a whole text or a line that RE2 answers at automaton speed, so `re` need not be run at all.

Python's `re` costs tens of nanoseconds at every position where a pattern might start, and even `word in
text` is a pass of its own per word. RE2 (google-re2, used by the ingest's topic test as well) reads a text
once for any number of literals. It is used here only to answer questions whose answer cannot depend on
how an engine matches: whether a literal occurs in a text, or whether a pattern made of character classes
and repeats matches anywhere. Which matches `re` returns, and where, never comes from RE2.

RE2 reads UTF-8; a text that cannot be encoded (a lone surrogate) is answered by `re` instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre
from re import _parser as sre_parse

import re2


@lru_cache(maxsize=8)
def utf8(text: str) -> bytes | None:
    """The text as UTF-8, or None for a text holding a lone surrogate. Cached: several gates read the same
    article, and a str compares by identity first, so the key costs nothing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


class AnyLiteral:
    """Whether a text contains at least one of some literal strings (`any(word in text for word in words)`)."""

    def __init__(self, words) -> None:
        self.words = tuple(words)
        options = re2.Options()
        options.literal = len(self.words) == 1
        pattern = self.words[0] if options.literal else "|".join(_escape(w) for w in self.words)
        self._re2 = re2.compile(pattern.encode("utf-8"), options)

    def found_in(self, text: str) -> bool:
        encoded = utf8(text)
        if encoded is None:
            return any(word in text for word in self.words)
        return self._re2.search(encoded) is not None


class AnyMatch:
    """Whether `pattern` matches anywhere in a text, for a pattern of literals, character classes (without
    \\w, \\s or \\d, which differ outside ASCII), groups, alternations and repeats only: such a pattern matches
    the same set of strings in RE2, so whether a text holds one of them is the same question."""

    def __init__(self, pattern: re.Pattern) -> None:
        if pattern.flags & ~re.UNICODE or not _plain(list(sre_parse.parse(pattern.pattern, pattern.flags))):
            raise ValueError(f"not a pattern RE2 reads the same way: {pattern.pattern!r}")
        self.pattern = pattern
        self._re2 = re2.compile(pattern.pattern.encode("utf-8"))

    def found_in(self, text: str) -> bool:
        encoded = utf8(text)
        if encoded is None:
            return self.pattern.search(text) is not None
        return self._re2.search(encoded) is not None


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def _plain(items: list) -> bool:
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL):
            continue
        if op is sre.IN:
            if not all(item_op in (sre.LITERAL, sre.RANGE, sre.NEGATE) for item_op, _ in av):
                return False
        elif op is sre.SUBPATTERN:
            if av[1] or av[2] or not _plain(list(av[3])):  # no inline flags
                return False
        elif op is sre.BRANCH:
            if not all(_plain(list(alternative)) for alternative in av[1]):
                return False
        elif op in _REPEATS:
            if not _plain(list(av[2])):
                return False
        else:
            return False
    return True


def _escape(word: str) -> str:
    return "".join("\\" + c if not c.isalnum() and c != " " and ord(c) < 128 else c for c in word)
