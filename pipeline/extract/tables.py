"""Tables printed as plain text: a header line naming the columns and their unit, then one row a body.

The press prints league tables without cell separators once a page is stored as text:

    Forecast at end of Q3 (£ millions)Reported outturn (£ millions)Variance (£ millions)
    NORTH BRISTOL NHS TRUST -£33.70 -£51.6 -£17.9
    MEDWAY NHS FOUNDATION TRUST -£48.50 -£52.5 -£4.0

What belongs here: finding such tables (two or more consecutive rows of a label and numeric cells under a
header whose column labels carry a money unit), splitting the header into its columns, reading every cell
as pounds with the column's unit, and the words that make a column a body's financial position or a
variance. Which body a row label names, and how a cell becomes a fact, is the fact classifier's work
(`facts.table_facts`). Pipe-separated tables ("| NHS Hull | £4m |") are rows of `sentences` and are read
there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.amounts import Money

# One numeric cell: "-£33.70", "12.9", "£0.0", "-48.1", "0"; or a cell with no figure.
_NUMBER = r"[-–−]?£?[-–−]?\d[\d,]*(?:\.\d+)?"
_EMPTY_CELL = r"(?:Unknown|Not available|n/?a|N/A|-|–|—)"
_CELL = rf"(?:{_NUMBER}|{_EMPTY_CELL})"
_ROW = re.compile(
    rf"^[ \t]*(?P<label>[^\d\s£|•*-][^\n|]*?[^\s\d£*])[ \t]+(?:\*[ \t]+)?"
    rf"(?P<cells>{_CELL}(?:[ \t]+{_CELL}){{0,7}})[ \t]*$",
    re.M,
)
_CELL_IN_ROW = re.compile(_CELL)
# The unit of a column, which closes its label: "(£m)", "(£ millions)", "(£000s)", or a percentage.
_COLUMN = re.compile(r".*?(?:\(\s*£\s*(?P<unit>m|million|millions|bn|billion|billions|k|000|000s|'000)\s*\)|(?P<percent>%))",
                     re.I)
_SCALES = {"m": 1e6, "million": 1e6, "millions": 1e6, "bn": 1e9, "billion": 1e9, "billions": 1e9,
           "k": 1e3, "000": 1e3, "000s": 1e3, "'000": 1e3}
MIN_ROWS = 2
# How far above the first row the header may stand (a blank line between is common).
HEADER_REACH_LINES = 2


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    scale: float | None  # pounds per unit; None for a percentage or a column without a unit


@dataclass(frozen=True, slots=True)
class TableCell:
    money: Money       # the figure in pounds (its sign dropped), spanning the cell's characters
    negative: bool     # printed with a minus: a deficit in a column of positions
    column: Column


@dataclass(frozen=True, slots=True)
class TableRow:
    label_start: int
    label_end: int
    cells: tuple[TableCell, ...]
    header_start: int  # the header line's span: the classifier reads cues and periods there and above
    header_end: int


def find_text_tables(text: str) -> list[TableRow]:
    """Every row of every plain-text table in `text`, in text order."""
    if "£" not in text:
        return []
    lines = _lines(text)
    rows: list[TableRow] = []
    i = 0
    while i < len(lines):
        run = _row_run(text, lines, i)
        if len(run) < MIN_ROWS:
            i += 1
            continue
        header = _header_above(text, lines, i)
        if header is not None:
            columns = _columns(text[header[0]:header[1]])
            rows += _read_rows(text, run, columns, header)
        i += len(run)
    return rows


def _lines(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for line in text.split("\n"):
        spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


def _row_run(text: str, lines: list[tuple[int, int]], first: int) -> list[re.Match[str]]:
    run = []
    for start, end in lines[first:]:
        m = _ROW.match(text, start, end)
        if m is None or m.end() != end and text[m.end():end].strip():
            break
        run.append(m)
    return run


def _header_above(text: str, lines: list[tuple[int, int]], first_row: int) -> tuple[int, int] | None:
    for back in range(first_row - 1, max(first_row - 1 - HEADER_REACH_LINES, -1), -1):
        start, end = lines[back]
        line = text[start:end]
        if not line.strip():
            continue
        return (start, end) if "£" in line and _COLUMN.match(line) else None
    return None


def _columns(header: str) -> list[Column]:
    columns = []
    position = 0
    while (m := _COLUMN.match(header, position)) is not None and m.end() > position:
        unit = m.group("unit")
        scale = _SCALES.get(unit.lower()) if unit else None
        columns.append(Column(" ".join(m.group().split()), scale))
        position = m.end()
    return columns


def _read_rows(text: str, run: list[re.Match[str]], columns: list[Column], header: tuple[int, int]) -> list[TableRow]:
    rows = []
    for m in run:
        cells = list(_CELL_IN_ROW.finditer(text, m.start("cells"), m.end("cells")))
        if len(cells) != len(columns):
            return []  # the header does not line up with the rows: read nothing rather than guess
        read = tuple(cell for c, column in zip(cells, columns) if (cell := _cell(text, c, column)) is not None)
        rows.append(TableRow(m.start("label"), m.end("label"), read, *header))
    return rows


def _cell(text: str, m: re.Match[str], column: Column) -> TableCell | None:
    raw = m.group()
    digits = raw.lstrip("-–−£").lstrip("-–−").replace(",", "")
    if column.scale is None or not digits or not digits[0].isdigit():
        return None
    value = float(digits) * column.scale
    if value == 0:
        return None
    negative = raw[0] in "-–−" or "£-" in raw or "£−" in raw
    value_start = m.start() + (len(raw) - len(raw.lstrip("-–−£").lstrip("-–−")))
    money = Money(m.start(), m.end(), value_start, m.end(), value, None, None, None, "GBP", "£" in raw, False,
                  text[m.start():m.end()])
    return TableCell(money, negative, column)
