"""The real tables of tests/data/real/ rebuilt as HTML pages, for the web-page reader's tests.

The captures in real-NN.txt are the pages' tables flattened: a table row is a line, its cells split
by ' | ' (or tabs); a cell covered by a row span above it left no cell in the line, and lines with no
separator are text outside the table (a heading, navigation) or a table captured one cell per line.
`page_html` undoes the flattening mechanically: each run of separated lines becomes a <table>, a line
a <tr>, a cell a <td>; a row with fewer cells than the table is wide is taken to be short on the left, where the cells above run down
into it (rowspan), as a browser's flattening leaves it; the last cell of a row starting at the left spans
the rest (colspan), and a flat export's department total row (820-… | amount) stands at the left,
its amount under 预算数; other lines become paragraphs (a cell captured one per line and wrapped, whose first lines lack the
' |', one paragraph: the break was the browser wrapping a long cell).  Where this guess cannot give the page's shape, the test
writes the page by hand (real-03).  No cell text is changed.
"""

from __future__ import annotations

import html
import re


_SEP = re.compile(r"\s*\|\s*|\t")


def _cells(line: str) -> list[str] | None:
    if "|" not in line and "\t" not in line:
        return None
    cells = [c.strip() for c in _SEP.split(line.strip().strip("|"))]
    while cells and not cells[-1]:
        cells.pop()
    return cells if len(cells) > 1 else None


def _is_total(cells: list[str]) -> bool:
    """A department's total row (code-name | amount) in a flat export: it stands at the left."""
    return len(cells) in (2, 3) and bool(re.match(r"\d{3,}-", cells[0]))


def page_html(text: str, encoding: str = "utf-8") -> bytes:
    """A web page with the tables of a real-NN.txt body (its 3 header lines already removed)."""
    out = [f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>公开</title>'
           "<script>document.write('x')</script></head><body>"]
    block: list[list[str]] = []

    def table() -> None:
        if not block:
            return
        # lay the rows on a grid: a short row sits at the right, the cells above it run down
        width = max(len(r) for r in block)
        grid: list[list[list]] = []  # per row: [text, rowspan, colspan, start column]
        owner: dict[int, list] = {}  # column -> cell covering it (last placed)
        for cells in block:
            if _is_total(cells):  # the total stands under 预算数, the 项目名称 cell left blank
                cells = [cells[0], "", cells[1]]
            row = []
            short = grid and len(cells) < width and not _is_total([c for c in cells if c])
            start = width - len(cells) if short else 0
            for c in range(start):
                above = owner.get(c)
                if above is not None and above not in [x for x in row]:
                    if above[4] != len(grid):
                        above[1] = len(grid) - above[4] + 1
                        above[4] = above[4]
            for k, text in enumerate(cells):
                colspan = (width - start - len(cells) + 1) if k == len(cells) - 1 else 1
                cell = [text, 1, colspan, start + k, len(grid)]
                row.append(cell)
                for c in range(start + k, start + k + colspan):
                    owner[c] = cell
            grid.append(row)
        out.append("<table border=1>")
        for row in grid:
            out.append("<tr>" + "".join(
                f'<td rowspan="{c[1]}" colspan="{c[2]}">{html.escape(c[0])}</td>' for c in row) + "</tr>")
        out.append("</table>")
        block.clear()

    lines = text.split("\n")
    filled = [x.rstrip() for x in lines if x.strip()]
    one_per_line = len(filled) >= 20 and sum(x.endswith("|") for x in filled) >= 0.75 * len(filled)
    held: list[str] = []  # a cell captured one per line and wrapped: its first lines lack the ' |'
    for line in lines:
        cells = _cells(line)
        if cells is None:
            table()
            if one_per_line and line.strip() and not line.rstrip().endswith("|") and out[-1].startswith("<p>"):
                held.append(html.escape(line.strip()))
                continue
            text = " ".join(c.strip() for c in _SEP.split(line.strip()) if c.strip())
            if text:
                out.append("<p>" + "".join(held + [html.escape(text)]) + "</p>")
                held = []
            elif held:  # a bare separator: the lines held were text of their own
                out.extend(f"<p>{x}</p>" for x in held)
                held = []
        else:
            block.append(cells)
    table()
    out.append("</body></html>")
    return "\n".join(out).encode(encoding)
