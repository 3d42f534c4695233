"""Rows of cells from a logical grid (web, spreadsheet and Word tables), shaped like a ruled PDF table.

The HTML, spreadsheet and Word readers know each cell's grid position and span exactly.  They hand
`GridCell`s to `grid_rows`, which gives every cell a synthetic box from its grid columns and rows
(`COL_W` points a column, `ROW_H` a row), so the extractor's column alignment (x overlap with the
header cells) works as on a ruled PDF page.  As on a PDF page, a merged cell appears once, in the
row of its top edge, and empty cells are left out.  The boxes are for layout only: lines carry no
page box, so evidence cites the cell's address (`Line.cell`) instead of a box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Cell, InputError, Line, Row

COL_W = 100.0
ROW_H = 20.0

# Bounds on what one file may expand to; past them the file is refused with one line.
MAX_CELLS = 1_000_000  # filled cells in one file
MAX_TEXT = 64 * 1024 * 1024  # characters of cell text in one file
MAX_XML = 64 * 1024 * 1024  # bytes of an office file's members once unpacked (xlsx, ods, docx)
MAX_RATIO = 200  # unpacked / packed size of a member above 1 MiB: past it, a zip bomb


def check_zip(infos, what: str) -> None:
    """Refuse an office zip (xlsx, ods, docx) whose members unpack past MAX_XML in all, or one of
    which unpacks more than MAX_RATIO-fold (a zip bomb), before anything is unpacked."""
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise InputError(f"{what} member {i.filename} expands {i.file_size // max(i.compress_size, 1)}-fold "
                             "(a zip bomb?): refused")
    if total > MAX_XML:
        raise InputError(f"{what} expands to {total // 2**20} MiB: refused as too large")


def column_letters(col: int) -> str:
    """A spreadsheet column's letters from its 1-based number (1 → A, 27 → AA)."""
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


@dataclass(slots=True)
class GridCell:
    row: int  # 0-based grid row of the top-left corner
    col: int  # 0-based grid column
    rowspan: int
    colspan: int
    lines: list[str]  # the cell's text, one item per line as shown (<br>, a paragraph, Alt+Enter)
    address: str  # where the cell is, as cited: '项目1!D12', '表2 R5C3'


_SPACES = re.compile(r"[ \t\u00a0\u3000\r\f\v]+")


def clean_lines(text: str) -> list[str]:
    """A cell's text as its non-empty lines, runs of blanks (also &nbsp; and U+3000) as one space."""
    out = []
    for part in text.split("\n"):
        part = _SPACES.sub(" ", part).strip()
        if part:
            out.append(part)
    return out


def grid_rows(cells: list[GridCell], page: int | None, top: int = 0) -> list[Row]:
    """One Row per grid row that has a filled cell starting in it, in grid order.

    `top` shifts the synthetic y of this grid (several tables on one page keep distinct rows).
    """
    by_row: dict[int, list[GridCell]] = {}
    for c in cells:
        if c.lines:
            by_row.setdefault(c.row, []).append(c)
    rows = []
    for r in sorted(by_row):
        out = []
        for c in sorted(by_row[r], key=lambda c: c.col):
            box = (c.col * COL_W, (top + c.row) * ROW_H, (c.col + c.colspan) * COL_W,
                   (top + c.row + c.rowspan) * ROW_H)
            lines = [Line(t, page, None, None, cell=c.address) for t in c.lines]
            # wrapped lines of a cell join without a space, as on a ruled PDF page
            out.append(Cell("".join(c.lines), lines, box, None))
        rows.append(Row(out, page, ruled=True))
    return rows


def text_rows(texts: list[str], page: int | None, where: str) -> list[Row]:
    """Loose lines (a heading, a unit line above a table): one single-cell row each, not ruled."""
    return [Row([Cell(t, [Line(t, page, None, None, cell=where)], None, None)], page) for t in texts]


class Budget:
    """Counts cells and characters read from one file and refuses the file past the bounds."""

    def __init__(self, what: str):
        self.what = what
        self.cells = 0
        self.chars = 0

    def take(self, text: str) -> None:
        self.cells += 1
        self.chars += len(text)
        if self.cells > MAX_CELLS:
            raise InputError(f"{self.what} has more than {MAX_CELLS:,} cells: refused as too large")
        if self.chars > MAX_TEXT:
            raise InputError(f"{self.what} holds more than {MAX_TEXT // 2**20} MiB of cell text: refused as too large")
