"""The mutable rows mentions are built as within one article, and which positions they cover.

What belongs here: the row layout `[start, end, org_type, name, rule_id, key]` (and `_BARE`, the type a
row waits in until the article's era is known), `_Taken` for "is this position inside a name already
found", and `_with_added` for merging new rows in start order. Every article-level pass shares these.
"""

from __future__ import annotations

import bisect


# The type of a bare "NHS <place>" until the article tells us its era.
_BARE = "?"

# A mention being built: [start, end, org_type, name, rule_id, key]. Plain
# lists, because a dense text can hold tens of thousands of them.
_START, _END, _TYPE, _NAME, _RULE, _KEY = range(6)


class _Taken:
    """Which positions the mentions found so far cover (they are sorted by start and never overlap)."""

    def __init__(self, raws: list[list]) -> None:
        self.spans = [(r[_START], r[_END]) for r in raws]
        self.starts = [a for a, _ in self.spans]

    def covers(self, position: int) -> bool:
        i = bisect.bisect_right(self.starts, position) - 1
        return i >= 0 and self.spans[i][1] > position


def _with_added(raws: list[list], added: list[list]) -> list[list]:
    return sorted(raws + added, key=lambda r: (r[_START], r[_END])) if added else raws
