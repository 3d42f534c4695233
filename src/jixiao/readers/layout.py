"""Rows of cells from positioned lines and ruling lines: shared by text-layer pages and OCR'd pages."""

from __future__ import annotations

from ..document import Box, Cell, Line, Row
from .grid import Rulings


def layout(lines: list[Line], upright: list[Box], rulings: Rulings, to_page=None) -> list[Row]:
    """Rows of cells from a page's lines (each with its box in reading direction) and rulings.

    A line inside a ruled cell joins the other lines of that cell; a line outside any is a cell of
    its own.  `to_page` maps an upright box back to page coordinates, for citing (None: same).
    """
    by_cell: dict[Box, list[tuple[Line, Box]]] = {}
    loose: list[Cell] = []
    cell_of = rulings.cell_of if rulings else None  # asked once a page, not once a line
    for line, box in zip(lines, upright):
        cell = cell_of(box) if cell_of else None
        if cell is None:
            loose.append(Cell(line.text.strip(), [line], box, line.bbox))
        elif (members := by_cell.get(cell)) is None:
            by_cell[cell] = [(line, box)]
        else:
            members.append((line, box))
    cells = []
    for box, members in by_cell.items():
        page_box = to_page(box) if to_page else box
        if len(members) == 1:
            cells.append(Cell(members[0][0].text.strip(), [members[0][0]], box, page_box))
        else:
            members = _reading_order(members)
            cells.append(Cell(_join_lines(members), [m[0] for m in members], box, page_box))
    rows = _rows(cells + _unwrap(loose, max(b[2] for b in upright)))
    # a row is ruled when it holds a ruled cell: loose lines beside a small ruled box (a page's
    # 发布时间 | 发布单位 strip above a table captured as paragraphs) stay loose text
    if cells:
        ruled = {id(c) for c in cells}
        for r in rows:
            r.ruled = any(id(c) in ruled for c in r.cells)
    return rows


def turner(cos: int, sin: int):
    """A box rotated so that the direction (cos, sin) becomes left-to-right."""
    def turn(b: Box) -> Box:
        xs = (b[0] * cos + b[1] * sin, b[2] * cos + b[1] * sin, b[0] * cos + b[3] * sin, b[2] * cos + b[3] * sin)
        ys = (-b[0] * sin + b[1] * cos, -b[2] * sin + b[1] * cos, -b[0] * sin + b[3] * cos, -b[2] * sin + b[3] * cos)
        return (min(xs), min(ys), max(xs), max(ys))
    return turn


def _reading_order(members: list[tuple[Line, Box]]) -> list[tuple[Line, Box]]:
    return sorted(members, key=lambda m: (round((m[1][1] + m[1][3]) / 2 / 4), m[1][0]))


def _join_lines(members: list[tuple[Line, Box]]) -> str:
    # A wrapped Chinese cell joins without a space; a run of separate pieces on one visual
    # line (two spans of one cell) keeps one space so that "name value" splits still work.
    out: list[str] = []
    last_y = None
    for ln, box in members:  # already in reading order
        y = (box[1] + box[3]) / 2
        if out and last_y is not None and abs(y - last_y) < 2:
            out.append(" ")
        out.append(ln.text.strip())
        last_y = y
    return "".join(out)


def _unwrap(loose: list[Cell], right: float) -> list[Cell]:
    """Loose lines with a paragraph's wrapped lines joined: a long paragraph (a goal printed
    outside any table) that the page broke where the text column ends is one cell, as the same
    paragraph is one line of a text export.  A line is continued by the next when it runs to the
    right edge of the page's text, is long, and the next starts at its left edge right below it."""
    out: list[Cell] = []
    for c in sorted(loose, key=lambda c: (c.bbox[1], c.bbox[0])):
        if out:
            a, (x0, y0, x1, y1) = out[-1], c.bbox
            h = (a.bbox[3] - a.bbox[1]) / len(a.lines)  # one line's height
            last = a.lines[-1].text.split()
            # a paragraph's line is one run of text (a row of an unruled table, cells apart, is not)
            if (len(last) <= 2 and len("".join(last)) >= 20 and a.bbox[2] >= right - 1.5 * h
                    and abs(x0 - a.bbox[0]) <= h / 2 and -0.3 * h <= y0 - a.bbox[3] <= 0.6 * h and y1 - y0 <= 1.5 * h):
                box = (min(a.bbox[0], x0), a.bbox[1], max(a.bbox[2], x1), y1)
                pb = a.page_bbox and c.page_bbox and (min(a.page_bbox[0], c.page_bbox[0]), min(a.page_bbox[1], c.page_bbox[1]),
                                                     max(a.page_bbox[2], c.page_bbox[2]), max(a.page_bbox[3], c.page_bbox[3]))
                out[-1] = Cell(a.text + c.text, a.lines + c.lines, box, pb)
                continue
        out.append(c)
    return out


def _rows(cells: list[Cell]) -> list[Row]:
    cells.sort(key=lambda c: (c.bbox[1], c.bbox[0]))
    rows: list[Row] = []
    top = None
    for c in cells:
        height = c.bbox[3] - c.bbox[1]
        if rows and top is not None and c.bbox[1] - top <= min(2.5, height / 2):
            rows[-1].cells.append(c)
        else:
            rows.append(Row([c], c.page))
            top = c.bbox[1]
    for r in rows:
        r.cells.sort(key=lambda c: c.bbox[0])
    return rows
