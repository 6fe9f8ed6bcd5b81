"""Skip regex scans that cannot match: the literals a pattern's every match must contain.

Python's `re` tries a pattern that opens with `\\b` at every position of the text, which makes a
dozen such patterns the extractor's largest cost. But most of them cannot match most lines: "the
trust" needs the words "the trust". This module reads a pattern's syntax tree (`re._parser`, the
parser `re.compile` itself uses) and derives a set of literal strings at least one of which every
match contains; one scan of a line for the literals of all patterns then says which patterns are
worth running on it. The derivation is conservative: a construct it does not understand yields no
literal set, and the pattern is simply always run.

Scanning line by line is only equivalent to scanning the whole text when no match can run across a
line break and a lookahead at the end of a line reads the same whether the text stops there or
continues with "\\n"; `confined_to_line` checks both, and callers scan the whole text otherwise.
"""

from __future__ import annotations

import re
from re import _constants as sre
from re import _parser as sre_parse

# An exact set (every string a sub-pattern can match) is grown by concatenation up to this size.
_EXACT_LIMIT = 64
# Shorter literals ("it", "we") hit almost every line: not worth gating on.
MIN_GATE_LENGTH = 3

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def required_literals(pattern: re.Pattern) -> frozenset[str] | None:
    """Literals at least one of which occurs in every match of `pattern`; None when none can be named."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # a private parser may change between Python versions: then no gate, never a wrong one
        return None
    exact, required = _sequence(list(tree))
    choices = [_essential(s) for s in (exact, required) if s and "" not in s]
    choices = [s for s in choices if "" not in s]
    if not choices:
        return None
    return frozenset(max(choices, key=_quality))


def _essential(literals: set[str]) -> set[str]:
    """The same requirement in fewer, shorter words: spaces at the ends dropped (" CCGs" -> "CCGs"), and a
    literal that contains another dropped (text holding "NHS trusts" holds "trusts")."""
    stripped = {literal.strip() for literal in literals}
    return {s for s in stripped if not any(other != s and other in s for other in stripped)}


def _quality(literals: set[str]) -> tuple[int, int]:
    # The longer the shortest literal, the rarer its hits; fewer literals, fewer false hits.
    return min(map(len, literals)), -len(literals)


def _sequence(items: list) -> tuple[set[str] | None, set[str] | None]:
    """(every string the sequence can match, or None if too many or unbounded; a required set, or None)."""
    whole: set[str] | None = {""}
    run: set[str] | None = {""}  # exact strings of the current run of exact items
    found: list[set[str]] = []
    for op, av in items:
        exact, required = _item(op, av)
        if required:
            found.append(required)
        if run is not None and exact is not None and len(run) * len(exact) <= _EXACT_LIMIT:
            run = {a + b for a in run for b in exact}
        else:
            if run is not None and "" not in run:
                found.append(run)
            run = exact if exact is not None and len(exact) <= _EXACT_LIMIT else None
            whole = None
    if run is not None and "" not in run:
        found.append(run)
    if whole is not None:
        whole = run
    best = max(found, key=_quality, default=None)
    return whole, best


def _item(op, av) -> tuple[set[str] | None, set[str] | None]:
    if op is sre.LITERAL:
        return {chr(av)}, None
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return {""}, None  # zero-width: adds nothing to what a match contains
    if op is sre.IN:
        if all(item_op is sre.LITERAL for item_op, _ in av) and len(av) <= 8:
            return {chr(item_av) for _, item_av in av}, None
        return None, None
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & (sre.SRE_FLAG_IGNORECASE | sre.SRE_FLAG_VERBOSE):
            return None, None
        return _sequence(list(sub))
    if op is sre.BRANCH:
        return _branch([_sequence(list(alternative)) for alternative in av[1]])
    if op in _REPEATS:
        low, high, sub = av
        exact, required = _sequence(list(sub))
        if low == 0:
            return ({""} | exact if high == 1 and exact is not None else None), None
        if low == high == 1:
            return exact, required
        if required is None and exact is not None and "" not in exact:
            required = exact
        return None, required
    return None, None


def _branch(alternatives: list[tuple[set[str] | None, set[str] | None]]) -> tuple[set[str] | None, set[str] | None]:
    if all(exact is not None for exact, _ in alternatives):
        union = set().union(*(exact for exact, _ in alternatives))
        return (union if len(union) <= _EXACT_LIMIT else None), (None if "" in union else union)
    required: set[str] = set()
    for exact, found in alternatives:
        if exact is not None and "" not in exact:
            required |= exact
        elif found:
            required |= found
        else:
            return None, None  # an alternative that requires nothing: the branch requires nothing
    return None, required


# ---- confinement to one line ----

_NEWLINE = ord("\n")
_CATEGORIES_WITH_NEWLINE = {sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD, sre.CATEGORY_NOT_DIGIT,
                            sre.CATEGORY_LINEBREAK, sre.CATEGORY_UNI_SPACE, sre.CATEGORY_UNI_NOT_WORD,
                            sre.CATEGORY_UNI_NOT_DIGIT, sre.CATEGORY_UNI_LINEBREAK}
_CATEGORIES_WITHOUT_NEWLINE = {sre.CATEGORY_NOT_SPACE, sre.CATEGORY_WORD, sre.CATEGORY_DIGIT,
                               sre.CATEGORY_NOT_LINEBREAK, sre.CATEGORY_UNI_NOT_SPACE, sre.CATEGORY_UNI_WORD,
                               sre.CATEGORY_UNI_DIGIT, sre.CATEGORY_UNI_NOT_LINEBREAK}
# Boundaries read the character before a position (visible through `pos`) and treat "\n" like the end.
_SAFE_AT = {sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY, sre.AT_UNI_BOUNDARY, sre.AT_UNI_NON_BOUNDARY,
            sre.AT_BEGINNING_STRING}


def confined_to_line(pattern: re.Pattern) -> bool:
    """Whether scanning each line of a text (`finditer(text, line_start, line_end)`) finds exactly the
    matches a scan of the whole text finds: nothing the pattern reads forwards can be a line break."""
    if pattern.flags & (re.DOTALL | re.MULTILINE | re.VERBOSE):  # no character but "\n" folds to "\n"
        return False
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:
        return False
    return _confined(list(tree))


def _confined(items: list) -> bool:
    return all(_item_confined(op, av) for op, av in items)


def _item_confined(op, av) -> bool:
    if op is sre.LITERAL:
        return av != _NEWLINE
    if op is sre.NOT_LITERAL:
        return av == _NEWLINE
    if op is sre.ANY:
        return True  # without DOTALL, "." never matches a line break
    if op is sre.IN:
        return not _class_has_newline(av)
    if op is sre.AT:
        return av in _SAFE_AT
    if op is sre.ASSERT_NOT or op is sre.ASSERT:
        direction, sub = av
        # A lookbehind reads what lies before the scan's start, as a whole-text scan does.
        return direction < 0 or _confined(list(sub))
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return not add_flags & (sre.SRE_FLAG_DOTALL | sre.SRE_FLAG_MULTILINE) and _confined(list(sub))
    if op is sre.BRANCH:
        return all(_confined(list(alternative)) for alternative in av[1])
    if op in _REPEATS:
        return _confined(list(av[2]))
    if op is sre.ATOMIC_GROUP:
        return _confined(list(av))
    return False


def _class_has_newline(items: list) -> bool:
    negated = False
    has = False
    for op, av in items:
        if op is sre.NEGATE:
            negated = True
        elif op is sre.LITERAL:
            has |= av == _NEWLINE
        elif op is sre.RANGE:
            has |= av[0] <= _NEWLINE <= av[1]
        elif op is sre.CATEGORY:
            if av in _CATEGORIES_WITH_NEWLINE:
                has = True
            elif av not in _CATEGORIES_WITHOUT_NEWLINE:
                return True  # unknown: assume the worst
        else:
            return True
    return has != negated


# ---- one scan for many patterns ----

class LiteralGate:
    """For a list of patterns, which can match inside a span: one scan for all their required literals.

    A pattern without a usable literal set (none derivable, or one as short as "it") is always reported.
    """

    def __init__(self, patterns: list[re.Pattern]):
        self.always: frozenset[int] = frozenset(
            i for i, p in enumerate(patterns)
            if (literals := required_literals(p)) is None or min(map(len, literals)) < MIN_GATE_LENGTH)
        owners: dict[str, set[int]] = {}
        for i, p in enumerate(patterns):
            if i not in self.always:
                for literal in required_literals(p):
                    owners.setdefault(literal, set()).add(i)
        # The scan reports the longest literal starting at a position; every shorter literal found there
        # is one of its prefixes, so a hit stands for the owners of all its prefixes too.
        self._owners = {literal: frozenset().union(*(owners[p] for p in owners if literal.startswith(p)))
                        for literal in owners}
        self._scan = re.compile(trie_pattern(owners)).search if owners else None

    def possible(self, text: str, start: int, end: int) -> frozenset[int]:
        """Indexes of the patterns that may match within text[start:end]."""
        found = set(self.always)
        scan = self._scan
        if scan is not None:
            position = start
            while (hit := scan(text, position, end)) is not None:
                found |= self._owners[hit.group()]
                position = hit.start() + 1
        return frozenset(found)


def trie_pattern(literals) -> str:
    """One alternation of many literals, factored into a trie: a position is rejected after a character or
    two instead of after trying every literal, and the longest literal at a position wins (each node tries
    its longer continuations before ending)."""
    trie: dict = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# ---- where a match can start ----

_MAX_PREFIXES = 256


def start_prefixes(pattern: str, length: int = 3) -> frozenset[str] | None:
    """Strings one of which starts every match of `pattern` (its first `length` characters, or fewer where
    the pattern allows something this reading does not follow); None when none can be named."""
    try:
        tree = sre_parse.parse(pattern)
    except Exception:
        return None
    if tree.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _starts(list(tree), length)
    if found is None or any(not s for s, _ in found):
        return None
    return frozenset(s for s, _ in found)


# A reading is (text, exact): exact when the match may be exactly `text` so far and continues with what
# follows; not exact when something this reading does not follow comes next (the text is only a prefix).
_Reading = tuple[str, bool]


def _starts(items: list, length: int) -> set[_Reading] | None:
    readings: set[_Reading] = {("", True)}
    for op, av in items:
        if all(not exact or len(text) >= length for text, exact in readings):
            break
        item = _item_starts(op, av, length)
        if item is None:
            return None
        readings = {_join(reading, following, length) for reading in readings for following in item}
        if len(readings) > _MAX_PREFIXES:
            return None
    return {(text[:length], exact and len(text) < length) for text, exact in readings}


def _join(reading: _Reading, following: _Reading, length: int) -> _Reading:
    text, exact = reading
    if not exact or len(text) >= length:
        return text, False
    return text + following[0], following[1]


def _item_starts(op, av, length: int) -> set[_Reading] | None:
    if op is sre.LITERAL:
        return {(chr(av), True)}
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return {("", True)}  # zero-width: ignoring it only lets more text through
    if op is sre.IN:
        if all(item_op is sre.LITERAL for item_op, _ in av) and len(av) <= 8:
            return {(chr(item_av), True) for _, item_av in av}
        return {("", False)}
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & (sre.SRE_FLAG_IGNORECASE | sre.SRE_FLAG_VERBOSE):
            return None
        return _starts(list(sub), length)
    if op is sre.BRANCH:
        union: set[_Reading] = set()
        for alternative in av[1]:
            found = _starts(list(alternative), length)
            if found is None:
                return None
            union |= found
        return union
    if op in _REPEATS:
        low, high, sub = av
        once = _starts(list(sub), length)
        if once is None:
            return None
        readings: set[_Reading] = {("", True)}
        for _ in range(min(low, length)):
            readings = {_join(r, f, length) for r in readings for f in once}
        if low > length:
            readings = {(text, False) for text, _ in readings}
        if high > low:
            # One more copy, or none; after more than one optional copy, this reading stops following.
            more = {_join(r, f, length) for r in readings for f in once}
            readings |= more if high == low + 1 else {(text, False) for text, _ in more}
        return readings
    return {("", False)}


def word_start_gate(prefixes) -> re.Pattern:
    """A pattern for a non-word character followed by one of `prefixes`: the word after it may start like
    a cue. (Testing the character before a word costs the engine less than a lookbehind at every letter.)
    A word at the very start of the text has no character before it: callers look there themselves."""
    return re.compile(r"\W(?:" + trie_pattern(prefixes) + ")")
