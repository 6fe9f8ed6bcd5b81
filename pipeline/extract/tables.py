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
_SCALES = {"m": 1e6, "million": 1e6, "millions": 1e6, "bn": 1e9, "billion": 1e9, "billions": 1e9,
           "k": 1e3, "000": 1e3, "000s": 1e3, "'000": 1e3}
# A money unit in brackets: "(£m)", "(£ millions)", "(£000s)".
_UNIT = r"\(\s*£\s*(?P<unit>" + "|".join(sorted(map(re.escape, _SCALES), key=len, reverse=True)) + r")\s*\)"
# The unit of a column, which closes its label, or a percentage.
_COLUMN = re.compile(rf".*?(?:{_UNIT}|(?P<percent>%))", re.I)
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
    end: int  # the end of the row's line
    cells: tuple[TableCell, ...]
    header_start: int  # the header line's span: the classifier reads cues and periods there and above
    header_end: int


def find_text_tables(text: str) -> list[TableRow]:
    """Every row of every plain-text table in `text`, in text order.

    A table starts under a header, so only the lines after a line holding a column unit are read: most
    articles have none, and cost one search at C speed."""
    rows: list[TableRow] = []
    position = 0
    while (unit := _UNIT_ANYWHERE.search(text, position)) is not None:
        header_start = text.rfind("\n", 0, unit.start()) + 1
        header_end = text.find("\n", unit.end())
        if header_end < 0:
            break
        run = _row_run(text, _lines_after(text, header_end))
        if len(run) >= MIN_ROWS:
            columns = _columns(text[header_start:header_end])
            rows += _read_rows(text, run, columns, (header_start, header_end))
            position = run[-1].end()
        else:
            position = header_end
    return rows


# A column unit anywhere in a line: where a header may stand.
_UNIT_ANYWHERE = re.compile(_UNIT, re.I)


def _lines_after(text: str, header_end: int):
    """(start, end) of the lines after a header; blank lines up to HEADER_REACH_LINES - 1 are skipped
    before the first row, none after it."""
    position, blanks, seen_row = header_end + 1, 0, False
    while position <= len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        if not text[position:end].strip():
            blanks += 1
            if seen_row or blanks > HEADER_REACH_LINES - 1:
                return
        else:
            seen_row = True
            yield position, end
        position = end + 1


def _row_run(text: str, lines) -> list[re.Match[str]]:
    run = []
    for start, end in lines:
        m = _ROW.match(text, start, end)
        if m is None:
            break
        run.append(m)
    return run


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
        rows.append(TableRow(m.start("label"), m.end("label"), m.end(), read, *header))
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
