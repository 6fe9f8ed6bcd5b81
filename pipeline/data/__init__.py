"""The engine's data files: word lists, patterns, bounds and vocabularies kept as CSV beside the code.

Every rule that is a list of words lives in one of these files, not in code (`pipeline.rules` lists them);
this module is the one way to find and read them.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


def data_path(filename: str) -> Path:
    """The path of one data file, e.g. `data_path("fact_cues.csv")`."""
    return DATA_DIR / filename


def read_rows(filename: str | Path, *, strip: bool = False, header: list[str] | None = None) -> list[dict[str, str]]:
    """The rows of a data file (a name in this folder, or a path) as dicts keyed by its header.

    `strip` trims every cell (an empty or missing cell reads ""); `header` is the exact header the file must
    have, so a file edited by hand fails with its name rather than with a KeyError far away.
    """
    path = filename if isinstance(filename, Path) else data_path(filename)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if header is not None and reader.fieldnames != header:
            raise ValueError(f"{path}: header must be {','.join(header)}, got {reader.fieldnames}")
        if strip:
            return [{k: (v or "").strip() for k, v in row.items()} for row in reader]
        return list(reader)
