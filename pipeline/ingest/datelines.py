"""An article's publication date read from its own text or its URL, for inputs whose metadata gives none.

What belongs here: finding the date line at the top of a stored page ("Last Updated: 27 January 2006",
"Published 14 March 2016", a lone "14 March 2016" under the headline, "By X | 3 June 2019") and the date a
URL is built on (/2016/mar/14/). Which source wins over which (page metadata, a JSON Lines record's
`published`) is the reader's business (pipeline/ingest/readers.py). The cue words, month and weekday
names and URL shapes are data: ``pipeline/data/dateline_words.csv``. Engine code: no Dagster.

Only the head of the text is looked at: a date deeper in the article, or inside a sentence near the top
("back on track by 31 March 2017"), is the date of a figure, not of the article.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from pipeline.data import read_rows

__all__ = ["EARLIEST", "find_dateline", "url_date"]

# A cued date ("Published ...", "Last updated ...") may sit below a long masthead; a date with no cue
# must be close to the headline, where bylines are.
CUED_HEAD_CHARS = 1000
LONE_HEAD_CHARS = 600
# A lone date's line is a date line or a byline, not prose: prose lines are longer.
MAX_LONE_LINE_CHARS = 100
# The dataset's news starts in the mid-2000s; an earlier "date" is a history date or a misreading.
EARLIEST = dt.date(1995, 1, 1)
# Every date looked for has a four-digit year. The full date pattern is only tried in a window around each
# year, which is several times faster than trying its month alternation at every character of the head.
# (No lookbehind for a digit before the year: it would make the scan several times slower; _dates checks.)
_YEAR = re.compile(r"(?:19|20)\d\d(?!\d)")
_DATE_CHARS_BEFORE_YEAR = 30  # "17th of September, 2019" puts 19 characters before the year
_DATE_CHARS_AFTER_YEAR = 7  # "2018-07-27" puts six after it, and the seventh shows where it ends

_KINDS = ("published", "updated", "month", "weekday", "separator", "url")


@dataclass(frozen=True, slots=True)
class _Patterns:
    date: re.Pattern[str]
    cue_before: re.Pattern[str]  # a cue ending where a date starts ("Last Updated: Friday, ")
    cue_line: re.Pattern[str]  # a line that is only a cue ("Published", "- Published", "Last updated:")
    weekday_only: re.Pattern[str]
    separator_end: re.Pattern[str]
    months: tuple[tuple[re.Pattern[str], int], ...]
    urls: tuple[re.Pattern[str], ...]


@cache
def _patterns() -> _Patterns:
    rows: dict[str, list[dict[str, str]]] = {kind: [] for kind in _KINDS}
    for line_no, row in enumerate(read_rows("dateline_words.csv"), start=2):
        if row["kind"] not in rows:
            raise ValueError(f"dateline_words.csv:{line_no}: unknown kind {row['kind']!r}")
        rows[row["kind"]].append(row)

    def alternation(kind: str) -> str:
        return "|".join(f"(?:{row['pattern']})" for row in rows[kind])

    month, weekday = alternation("month"), alternation("weekday")
    day, year = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?", r"(?P<{}>(?:19|20)\d\d)(?!\d)"
    space = r"[^\S\n]+"  # a date line is one line: a day and a month on two lines are not one date
    date = "|".join((
        rf"\b{day.format('d1')}{space}(?:of{space})?(?P<m1>{month})\.?,?{space}{year.format('y1')}",  # 6 June 2007
        rf"\b(?P<m2>{month})\.?{space}{day.format('d2')},?{space}{year.format('y2')}",  # June 5, 2014
        rf"\b(?P<d3>[0-3]?\d)(?P<s3>[/.-])(?P<m3>[01]?\d)(?P=s3){year.format('y3')}",  # 01/12/2005, UK order
        rf"\b{year.format('y4')}-(?P<m4>[01]\d)-(?P<d4>[0-3]\d)\b",  # 2018-07-27
    ))
    cues = f"(?P<published>{alternation('published')})|(?P<updated>{alternation('updated')})"
    time = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:gmt|bst|utc))?"
    gap = rf"[\s:,(\-–—]*(?:at\s+)?(?:{time}[\s,]*)?(?:(?:{weekday})\.?,?\s*)?"
    flags = re.IGNORECASE
    return _Patterns(
        date=re.compile(date, flags),
        cue_before=re.compile(rf"(?<!\w)(?:{cues}){gap}$", flags),
        cue_line=re.compile(rf"^[\s\-–—•·]*(?:{cues})\s*:?\s*$", flags),
        weekday_only=re.compile(rf"^\s*(?:(?:{weekday})\.?,?\s*)?$", flags),
        separator_end=re.compile(rf"(?:{alternation('separator')})\s*$", flags),
        months=tuple((re.compile(row["pattern"], flags), int(row["value"])) for row in rows["month"]),
        urls=tuple(re.compile(row["pattern"], flags) for row in rows["url"]),
    )


def find_dateline(text: str, today: dt.date | None = None) -> dt.date | None:
    """The publication date the top of `text` states, or None.

    First choice, the first date after a publication cue ("Published", "Posted", "Date:"); then a lone date
    on its own line or in a byline, the earliest if there are several (a stored page's masthead can show
    the day it was stored, never a day before publication); last, a date after "Updated". Dates after
    `today` (default: the day of the build) or before 1995 are never taken.
    """
    patterns = _patterns()
    today = today or dt.date.today()
    head = text[:CUED_HEAD_CHARS]
    published: dt.date | None = None
    updated: dt.date | None = None
    lone: list[dt.date] = []
    for match in _dates(head, patterns):
        day = _date_of(match, patterns)
        if day is None or not EARLIEST <= day <= today:
            continue
        line_start = head.rfind("\n", 0, match.start()) + 1
        before = head[line_start:match.start()]
        kind = _cue_kind(before, head, line_start, patterns)
        if kind == "published":
            published = day
            break
        if kind == "updated":
            updated = updated or day
        elif match.start() < LONE_HEAD_CHARS and _is_lone(before, head, line_start, patterns):
            lone.append(day)
    return published or (min(lone) if lone else None) or updated


def url_date(url: str | None, today: dt.date | None = None) -> dt.date | None:
    """The date a URL's path is built on (/2016/mar/14/, /2016/03/14/), or None; never a year and month alone."""
    if not url:
        return None
    patterns = _patterns()
    for pattern in patterns.urls:
        match = pattern.search(url)
        if match is None:
            continue
        month = match["m"]
        number = int(month) if month.isdigit() else _month_number(month, patterns)
        day = _safe_date(match["y"], number, match["d"])
        if day is not None and EARLIEST <= day <= (today or dt.date.today()):
            return day
    return None


def _dates(head: str, patterns: _Patterns):
    """The full dates in `head`, in text order: what ``patterns.date.finditer(head)`` gives."""
    done = 0
    for year in _YEAR.finditer(head):
        if year.start() < done or (year.start() and head[year.start() - 1].isdigit()):
            continue
        match = patterns.date.search(head, max(done, year.start() - _DATE_CHARS_BEFORE_YEAR),
                                     year.end() + _DATE_CHARS_AFTER_YEAR)
        if match is not None and match.start() <= year.start() and match.end() >= year.end():
            done = match.end()
            yield match


def _date_of(match: re.Match[str], patterns: _Patterns) -> dt.date | None:
    groups = match.groupdict()
    for n in "1234":
        if groups[f"y{n}"] is None:
            continue
        month = groups[f"m{n}"]
        number = int(month) if month.isdigit() else _month_number(month, patterns)
        return _safe_date(groups[f"y{n}"], number, groups[f"d{n}"])
    return None


def _month_number(name: str, patterns: _Patterns) -> int | None:
    for pattern, number in patterns.months:
        if pattern.fullmatch(name):
            return number
    return None


def _safe_date(year: str, month: int | None, day: str) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:  # 30 February, month 13: not a date, so not a date line
        return None


def _cue_kind(before: str, head: str, line_start: int, patterns: _Patterns) -> str | None:
    """"published" or "updated" when a cue leads to the date, on its line or alone on the line above."""
    cue = patterns.cue_before.search(before)
    if cue is not None:
        word = cue["published"] or cue["updated"]
        ahead = before[:cue.start()].rstrip()
        # "was published on 3 June 2019" is a sentence; a capitalised cue after a word is still a label.
        if word[0].islower() and ahead and ahead[-1].isalnum():
            return None
        return "published" if cue["published"] else "updated"
    if patterns.weekday_only.match(before):
        cue = patterns.cue_line.match(_previous_line(head, line_start))
        if cue is not None:
            return "published" if cue["published"] else "updated"
    return None


def _is_lone(before: str, head: str, line_start: int, patterns: _Patterns) -> bool:
    line_end = head.find("\n", line_start)
    line = head[line_start:] if line_end < 0 else head[line_start:line_end]
    if len(line.strip()) > MAX_LONE_LINE_CHARS:
        return False
    return bool(patterns.weekday_only.match(before) or patterns.separator_end.search(before))


def _previous_line(head: str, line_start: int) -> str:
    """The nearest non-blank line above the one starting at `line_start` ("" at the top)."""
    lines = head[:line_start].rstrip().rsplit("\n", 1)
    return lines[-1] if lines else ""
