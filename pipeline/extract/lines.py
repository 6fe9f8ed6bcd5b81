"""The lines of a text, for recognisers that read one line at a time.

No name, reference or collective phrase runs across a line break, so the candidate bodies of a figure
can be looked for in the lines its sentence (and the two before it) lie on, leaving the rest of an
article unread. Offsets are those of the whole text.
"""

from __future__ import annotations

import bisect
import re

_BREAK = re.compile("\n")


class Lines:
    """Where each line of `text` starts and ends (its end is the offset of its "\\n", or the text's end)."""

    def __init__(self, text: str):
        self._length = len(text)
        self._breaks = [m.start() for m in _BREAK.finditer(text)]

    def around(self, position: int) -> tuple[int, int]:
        """The line holding `position` (a "\\n" ends the line before it)."""
        i = bisect.bisect_left(self._breaks, position)
        return self._span(i)

    def _span(self, i: int) -> tuple[int, int]:
        start = self._breaks[i - 1] + 1 if i > 0 else 0
        end = self._breaks[i] if i < len(self._breaks) else self._length
        return start, end
