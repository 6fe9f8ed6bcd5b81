"""Turn the page text of a news article into the article itself: headline, standfirst and body.

What belongs here: removing page furniture (cookie and audience notices, mastheads, log-in
prompts, related-content blocks, adverts, promos) and everything from the reader-comments
section on, and choosing the headline. The patterns that recognise furniture change with the
world, so they live in ``pipeline/data/page_furniture.csv``; this module only knows the
*actions* a row can ask for. Engine code: standard library only, no Dagster.

Invariants the rest of the pipeline relies on:

* A line of the article is kept byte for byte or not at all. Every character offset in the
  dataset points into ``body_text`` and evidence strings must stay exact substrings of it, so
  nothing inside a paragraph is reflowed, re-spaced or re-encoded.
* Only the layout between paragraphs changes: line endings become ``\\n``, a run of blank
  lines (two or more, i.e. three or more newlines) becomes one blank line, and the whole text
  is stripped at both ends.
* ``clean_page_text`` never raises on a ``str``.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.data import data_path

__all__ = ["ACTIONS", "CleanedPage", "FurnitureRule", "FurnitureRules", "clean_page_text", "load_rules"]


@dataclass(frozen=True, slots=True)
class CleanedPage:
    title: str  # the headline
    body_text: str  # headline + standfirst + body, furniture and reader comments removed
    n_removed_chars: int  # len(input text) - len(body_text), never negative


@dataclass(frozen=True, slots=True)
class FurnitureRule:
    regex: re.Pattern[str]
    kind: str
    action: str
    note: str


# What a row of page_furniture.csv can ask for. A "paragraph" is the unit defined in _units().
ACTIONS = {
    "drop_line": "drop the matching line",
    "drop_paragraph": "drop the paragraph that holds the matching line",
    "drop_block_until_blank": "drop the matching line and the rest of its paragraph",
    "drop_with_list": "drop the paragraph and the bullet-list paragraphs right after it",
    "drop_back_to_heading": "drop the paragraph, its advert blurb and the advert's title above it",
    "cut_rest": "drop the matching line and everything after it",
    "not_title": "keep the line, but never take it as the headline",
}

_BULLETS = ("•", "·", "▪", "◦", "-", "*", "–")
# Page text wraps a notice or an advert blurb over a few lines. A longer run of lines with no
# blank line between them is a list, a table or a text whose paragraphs are separated by single
# newlines (trafilatura output); there a single line is the only safe thing to drop.
_MAX_PARAGRAPH_LINES = 3
_MIN_BLOCKS_FOR_PARAGRAPHS = 3
# An advert is a title, at most a couple of short blurb paragraphs, then the booking line.
# The limits keep a booking-like sentence in the body from eating the paragraphs above it.
_MAX_AD_BLURBS = 2
_MAX_AD_BLURB_CHARS = 350
_MAX_HEADING_CHARS = 100
# A comments heading before the headline and one paragraph is navigation, not a comment section.
_MIN_UNITS_BEFORE_CUT = 2
# ... and a comment heading above the first paragraph of prose is a share widget ("Share this article /
# Have your say" under a byline), not the end of the article: some paragraph before it must be prose.
_MIN_PROSE_CHARS_BEFORE_CUT = 60
_TITLE_SEPARATORS = ("|", "-", "–", "—", ":", "·", "::")


def _default_rules_path() -> Path:
    return data_path("page_furniture.csv")


@dataclass(frozen=True, slots=True)
class FurnitureRules:
    """The compiled rows of page_furniture.csv, in priority order (the CSV's order)."""

    rules: tuple[FurnitureRule, ...]
    # Most rows are anchored at the line start; one alternation of them is tried at position 0
    # only, so a line of prose costs one failed match instead of one per row. Each row is a
    # capturing group of the alternation, and an alternation takes its first branch that matches,
    # so the group that closed last (``lastindex``) names the first row in CSV order that matches.
    anchored_gate: re.Pattern[str] | None
    anchored: tuple[int, ...]
    anchored_by_group: dict[int, int]  # group number in anchored_gate -> index of the row
    floating: tuple[int, ...]
    # The other ("floating") rows are searched anywhere in a line. Each has a run of plain
    # characters that any match must contain, and testing a line for those few strings costs a
    # fraction of searching it with every row; only a line holding one is searched. None when
    # some floating row has no such run: then every line is searched.
    floating_needles: tuple[str, ...] | None

    def first_match(self, line_lower: str) -> FurnitureRule | None:
        best = None
        gate_match = self.anchored_gate.match(line_lower) if self.anchored_gate is not None else None
        if gate_match is not None:
            best = self.anchored_by_group[gate_match.lastindex]
        if self._may_match_floating(line_lower):
            for k in self.floating:
                if best is not None and k > best:
                    break
                if self.rules[k].regex.search(line_lower):
                    return self.rules[k]
        return self.rules[best] if best is not None else None

    def _may_match_floating(self, line_lower: str) -> bool:
        if self.floating_needles is None:
            return True
        for needle in self.floating_needles:
            if needle in line_lower:
                return True
        return False


@functools.lru_cache(maxsize=8)
def load_rules(path: str | Path | None = None) -> FurnitureRules:
    """Read and compile page_furniture.csv once; a bad row fails loudly with its line number.

    Rows are matched against the line lowercased and stripped of surrounding whitespace
    (furniture varies in case: "BOOK TODAY", "Follow Us:"), so patterns are written in lower
    case. Matching a lowercased line with case-sensitive patterns lets ``re`` skip ahead on a
    pattern's leading literal, which IGNORECASE would prevent; it keeps cleaning well under 1 ms.
    """
    path = Path(path) if path is not None else _default_rules_path()
    rules: list[FurnitureRule] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["pattern", "kind", "action", "note"]:
            raise ValueError(f"{path}: header must be pattern,kind,action,note, got {reader.fieldnames}")
        for row in reader:
            rules.append(_compile_row(row, f"{path}:{reader.line_num}"))
    anchored = tuple(k for k, r in enumerate(rules) if _is_anchored(r.regex.pattern))
    floating = tuple(k for k in range(len(rules)) if k not in anchored)
    gate = "|".join(f"({rules[k].regex.pattern})" for k in anchored)
    by_group, group = {}, 1
    for k in anchored:
        by_group[group] = k
        group += 1 + rules[k].regex.groups
    needles = [_required_literal(rules[k].regex) for k in floating]
    return FurnitureRules(tuple(rules), re.compile(gate) if gate else None, anchored, by_group, floating,
                          None if "" in needles else _fewest_needles(needles))


def _fewest_needles(needles: list[str]) -> tuple[str, ...]:
    """The needles without those that contain another one: a line holding "use of cookies" holds "cookie"."""
    unique = list(dict.fromkeys(needles))
    return tuple(n for n in unique if not any(other != n and other in n for other in unique))


def _required_literal(regex: re.Pattern[str]) -> str:
    """The longest run of plain characters that every match of ``regex`` contains ("" if unsure).

    Read from ``re``'s own parse of the pattern: the top level of a pattern is a sequence, so
    consecutive literal characters there are matched as they are, whatever else the pattern
    allows. Characters inside groups, alternations and repeats are not used. ``re._parser`` is
    CPython's internal module; if it is missing or changes, "" turns the shortcut off.
    """
    if regex.flags & (re.IGNORECASE | re.LOCALE):
        return ""
    try:
        from re import _parser

        items = list(_parser.parse(regex.pattern, regex.flags))
        literal = _parser.LITERAL
    except Exception:  # noqa: BLE001 - only an optimisation; without it every line is searched
        return ""
    best = run = ""
    for op, arg in items:
        run = run + chr(arg) if op == literal else ""
        best = max(best, run, key=len)
    return best


def _compile_row(row: dict[str, str], where: str) -> FurnitureRule:
    pattern, action = row["pattern"] or "", row["action"]
    if action not in ACTIONS:
        raise ValueError(f"{where}: unknown action {action!r}; one of {sorted(ACTIONS)}")
    if re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)):
        raise ValueError(f"{where}: pattern {pattern!r} has upper-case letters; lines are matched lowercased")
    if re.search(r"\\[1-9]|\(\?P=", pattern):
        # Anchored rows are joined into one alternation, where a numbered backreference would
        # point at another row's group.
        raise ValueError(f"{where}: pattern {pattern!r} uses a backreference")
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
    return FurnitureRule(regex, row["kind"], action, row["note"] or "")


def _is_anchored(pattern: str) -> bool:
    """True when every branch of the pattern starts at the line start ('^a|b' is not anchored)."""
    if not pattern.startswith("^"):
        return False
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
    return True


def clean_page_text(text: str, title_hint: str | None = None) -> CleanedPage:
    """Return the article's headline and text, with furniture and reader comments removed.

    ``title_hint`` (e.g. from HTML metadata or a JSON field) wins over the first line as the
    title; ``body_text`` then still starts with it (it is prepended when the text does not).
    """
    rules = load_rules()  # outside the try: a broken data file is a deployment error, not a bad page
    text = _as_str(text)
    hint = " ".join(_as_str(title_hint).split()) if title_hint is not None else ""
    try:
        title, body = _clean(text, hint, rules)
    except Exception:  # noqa: BLE001 - a bad page must not stop a batch; keep it whole instead
        body = _normalise_newlines(text).strip()
        title = hint or next((ln.strip() for ln in body.split("\n") if ln.strip()), "")
    return CleanedPage(title=title, body_text=body, n_removed_chars=max(0, len(text) - len(body)))


def _as_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(text: str, hint: str, rules: FurnitureRules) -> tuple[str, str]:
    lines = _normalise_newlines(text).split("\n")
    stripped = [ln.strip() for ln in lines]
    page = _Page(stripped)
    page.apply(rules)
    kept = page.kept_lines(lines)
    return _with_title(kept, page.title_candidates(kept), hint)


class _Page:
    """The lines of one page, the paragraphs they form, and what the rules decided to drop."""

    __slots__ = ("stripped", "units", "unit_of", "dropped", "dropped_prefix", "cut_at", "not_title")

    def __init__(self, stripped: list[str]) -> None:
        self.stripped = stripped
        self.units, self.unit_of = _units(stripped)
        self.dropped = bytearray(len(stripped))
        self.dropped_prefix = 0  # units [0, dropped_prefix) are known to be fully dropped
        self.cut_at = len(stripped)
        self.not_title: set[int] = set()

    def apply(self, rules: FurnitureRules) -> None:
        for i, line in enumerate(self.stripped):
            if i >= self.cut_at:
                break
            if not line or self.dropped[i]:
                continue
            rule = rules.first_match(line.lower())
            if rule is not None:
                self._do(rule.action, i)

    def _do(self, action: str, i: int) -> None:
        u = self.unit_of[i]
        start, end = self.units[u]
        if action == "drop_line":
            self.dropped[i] = 1
        elif action == "drop_paragraph":
            self._drop_units(u, u + 1)
        elif action == "drop_block_until_blank":
            self._drop_lines(i, end)
        elif action == "drop_with_list":
            self._drop_units(u, self._end_of_following_list(u))
        elif action == "drop_back_to_heading":
            self._drop_units(self._advert_start(u), u + 1)
        elif action == "cut_rest":
            if self._has_article_before(u):
                self.cut_at = i
            else:
                self._drop_units(u, u + 1)
        elif action == "not_title":
            self.not_title.add(i)

    def _drop_lines(self, start: int, end: int) -> None:
        for j in range(start, end):
            self.dropped[j] = 1

    def _drop_units(self, first: int, stop: int) -> None:
        self._drop_lines(self.units[first][0], self.units[stop - 1][1])

    def _has_article_before(self, u: int) -> bool:
        """True when at least _MIN_UNITS_BEFORE_CUT paragraphs before unit u are still kept."""
        # Drops are never undone, so a leading run of dropped paragraphs only grows: skipping
        # it keeps a page of repeated comment markers linear instead of quadratic.
        while self.dropped_prefix < u and self._unit_dropped(self.dropped_prefix):
            self.dropped_prefix += 1
        kept, prose = 0, False
        for v in range(self.dropped_prefix, u):
            if self._unit_dropped(v):
                continue
            kept += 1
            prose = prose or (kept > 1 and self._unit_chars(v) >= _MIN_PROSE_CHARS_BEFORE_CUT)
            if kept >= _MIN_UNITS_BEFORE_CUT and prose:
                return True
        return False

    def _unit_dropped(self, u: int) -> bool:
        s, e = self.units[u]
        return all(self.dropped[j] for j in range(s, e))

    def _end_of_following_list(self, u: int) -> int:
        stop = u + 1
        while stop < len(self.units) and self._is_list(stop):
            stop += 1
        return stop

    def _is_list(self, u: int) -> bool:
        s, e = self.units[u]
        return all(self.stripped[j].startswith(_BULLETS) for j in range(s, e))

    def _advert_start(self, u: int) -> int:
        """First paragraph of the advert whose booking line is in paragraph u (u itself if unsure)."""
        j, n_blurbs = u - 1, 0
        while j >= 0 and not self._is_heading(j):
            if n_blurbs == _MAX_AD_BLURBS or self._unit_chars(j) > _MAX_AD_BLURB_CHARS:
                return u
            n_blurbs, j = n_blurbs + 1, j - 1
        if j < 0:
            return u
        # An advert title often sits under a kicker or over a strapline: two headings in a row.
        return j - 1 if j > 0 and self._is_heading(j - 1) else j

    def _is_heading(self, u: int) -> bool:
        s, e = self.units[u]
        if e - s != 1:
            return False
        line = self.stripped[s]
        return (
            0 < len(line) <= _MAX_HEADING_CHARS
            and line[-1].isalnum()
            and "£" not in line
            and not line.startswith(_BULLETS)
        )

    def _unit_chars(self, u: int) -> int:
        s, e = self.units[u]
        return sum(len(self.stripped[j]) for j in range(s, e))

    def kept_lines(self, lines: list[str]) -> list[tuple[int, str]]:
        """Kept lines (index, text) with blank-line runs collapsed to one blank line ("")."""
        out: list[tuple[int, str]] = []
        blank_pending = False
        for i in range(self.cut_at):
            if self.dropped[i]:
                continue
            if not self.stripped[i]:
                blank_pending = bool(out)
                continue
            if blank_pending:
                out.append((-1, ""))
                blank_pending = False
            out.append((i, lines[i]))
        return out

    def title_candidates(self, kept: list[tuple[int, str]]) -> list[str]:
        return [ln.strip() for i, ln in kept if i >= 0 and i not in self.not_title]


def _units(stripped: list[str]) -> tuple[list[tuple[int, int]], list[int]]:
    """Split lines into paragraphs ("units"): [start, end) line ranges, plus the unit of each line.

    A blank-line-separated block is one unit when the page is laid out that way and the block
    is short; otherwise each line is its own unit (see _MAX_PARAGRAPH_LINES). Blank lines belong
    to no unit (-1).
    """
    blocks: list[tuple[int, int]] = []
    start = None
    for i, line in enumerate(stripped):
        if line and start is None:
            start = i
        elif not line and start is not None:
            blocks.append((start, i))
            start = None
    if start is not None:
        blocks.append((start, len(stripped)))

    paragraphs = len(blocks) >= _MIN_BLOCKS_FOR_PARAGRAPHS
    units: list[tuple[int, int]] = []
    for s, e in blocks:
        if paragraphs and e - s <= _MAX_PARAGRAPH_LINES:
            units.append((s, e))
        else:
            units.extend((j, j + 1) for j in range(s, e))
    unit_of = [-1] * len(stripped)
    for u, (s, e) in enumerate(units):
        for j in range(s, e):
            unit_of[j] = u
    return units, unit_of


def _with_title(kept: list[tuple[int, str]], candidates: list[str], hint: str) -> tuple[str, str]:
    """Return (title, body_text); with a hint, body_text is made to start with the title."""
    body = "\n".join(ln for _, ln in kept).strip()
    if not hint:
        return next(iter(candidates), ""), body
    first_line = body.split("\n", 1)[0].strip()
    if " ".join(first_line.split()) == hint:
        return first_line, body
    if first_line and _is_hint_with_site_name(hint, first_line):
        # "Headline | Site name" from a <title>: the page's own headline line is the title.
        return first_line, body
    return hint, f"{hint}\n\n{body}" if body else hint


def _is_hint_with_site_name(hint: str, headline: str) -> bool:
    if not hint.startswith(headline):
        return False
    rest = hint[len(headline):].strip()
    return rest.startswith(_TITLE_SEPARATORS)
