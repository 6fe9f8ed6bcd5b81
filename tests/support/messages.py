"""What a command said on stderr, its progress bars set aside: the lines a user reads as messages."""

from __future__ import annotations

import re

_BAR = re.compile(r"\d+%\|")  # a tqdm bar: "read inputs :  50%|█████     | 1/2 [00:00<...]"


def said(stderr: str) -> list[str]:
    """The lines of `stderr` that are not progress bars (a bar redraws itself with carriage returns)."""
    lines = (part.strip() for line in stderr.split("\n") for part in line.split("\r"))
    return [line for line in lines if line and not _BAR.search(line)]
