"""The source table itself, for review.html: a window of cells around a value, its cell highlighted.

A PDF or image value gets a cropped page image (report._crops); a value read from a spreadsheet,
web page, Word document or text export has no page to crop, so the report shows the cells around
it instead.  The source is read again with the same readers extraction used (their rows carry each
cell's address, `项目2!G10` or `表1 R9C7`, and its span as the width and height of its synthetic
box), and only if it is still there and unchanged (its sha256 is the one in the table's
provenance): otherwise a note says why there is no grid.  Only the cells in a window of
`ROWS_AROUND` rows and `COLS_AROUND` columns around a wanted value are kept while reading, so a huge
sheet costs the memory of its windows.  Every text is escaped here (cells are hostile input) and
each cell contributes at most `CELL_CHARS` characters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from markupsafe import Markup, escape

from .models import indicator_path
from .readers.cells import column_letters

ROWS_AROUND = 6  # rows shown above and below the value's row
COLS_AROUND = 10  # columns shown left and right of the value's column
CELL_CHARS = 120  # characters of one cell shown in the grid
MAX_TEXT_BYTES = 64 * 1024 * 1024  # a text export larger than this is not read again

# '项目2!G10', "'表 一'!A1（隐藏行）" (spreadsheets) and '表2 R5C3' (web pages, Word)
_SHEET = re.compile(r"^(?P<t>.+)!(?P<col>[A-Z]{1,3})(?P<row>\d+)(?:（[^（）]*）)*$")
_TABLE = re.compile(r"^(?P<t>表\d+) R(?P<row>\d+)C(?P<col>\d+)$")
_LINE = re.compile(r"^line \d+$")  # a text export's line, as the grids are keyed


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def parse_cell(address: str) -> tuple[str, int, int, bool] | None:
    """(table key, 1-based row, 1-based column, is a spreadsheet) of a cited cell, or None."""
    m = _SHEET.match(address)
    if m:
        return m.group("t"), int(m.group("row")), _col_number(m.group("col")), True
    m = _TABLE.match(address)
    if m:
        return m.group("t"), int(m.group("row")), int(m.group("col")), False
    return None


def _short(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS] + "…"


def wanted_locations(checked) -> dict[tuple[str, str], list]:
    """(source file, sha256) -> the cell and line locations review.html shows: the project name,
    the values of indicators with findings, and values not found exactly (as the template shows them)."""
    wanted: dict[tuple[str, str], list] = defaultdict(list)
    for c in checked:
        t = c.table
        flagged = {f.indicator for f in c.findings if f.indicator is not None}
        locs = [t.evidence["project_name"]] if "project_name" in t.evidence else []
        for i, ind in enumerate(t.indicators):  # the value's place, else the name's (as the template shows)
            ev = t.evidence.get(indicator_path(i, "value_text")) or t.evidence.get(indicator_path(i, "name"))
            if ind.name in flagged and ev is not None:
                locs.append(ev)
        locs += [g for g in c.groundings if g.status != "exact"]
        for ev in locs:
            if ev.cell or (ev.line is not None and ev.page is None):
                wanted[(t.provenance.source_file, t.provenance.sha256)].append(ev)
    return wanted


def source_grids(checked, limit: int = 400) -> dict[tuple[str, str], Markup]:
    """(source file, cell address or 'line N') -> the grid (or the note saying why there is none)."""
    from .fileio import sha256_of

    out: dict[tuple[str, str], Markup] = {}
    count = 0
    for (src, sha), locs in wanted_locations(checked).items():
        # in the report's order, so that past the limit the last projects go without
        keys = list(dict.fromkeys(ev.cell if ev.cell else f"line {ev.line}" for ev in locs
                                  if (ev.cell and parse_cell(ev.cell)) or (not ev.cell and ev.line is not None)))
        keys = keys[: max(0, limit - count)]
        lines = [int(k[5:]) for k in keys if _LINE.match(k)]  # a cell address always has "!" or "表"
        cells = [k for k in keys if not _LINE.match(k)]
        if not keys:
            continue
        count += len(keys)
        path = Path(src)
        note = None
        try:
            if not path.is_file():
                note = f"原件已不在（{src}），无法显示原表。"
            elif sha and sha256_of(path) != sha:
                note = "原件自提取后已改动，不显示原表（请重新运行 jixiao run）。"
        except OSError as e:
            note = f"原件无法读取（{e.strerror or e}），无法显示原表。"
        if note is None:
            try:
                found = _table_grids(path, cells) if cells else {}
                found.update(_line_grids(path, lines) if lines else {})
            except Exception as e:  # a source that no longer reads: the report says so, and goes on
                note = f"原件无法再次读取（{str(e).splitlines()[0] if str(e) else type(e).__name__}），无法显示原表。"
        for key in keys:
            if note is not None:
                out[(src, key)] = Markup('<p class="muted">{}</p>').format(note)
            elif key in found:
                out[(src, key)] = found[key]
    return out


def _table_grids(path: Path, addresses: list[str]) -> dict[str, Markup]:
    """The grid around each cited cell of a spreadsheet, web page or Word document."""
    from .readers import read_pages
    from .readers.cells import COL_W, ROW_H

    targets: dict[str, list[tuple[str, int, int]]] = defaultdict(list)  # table -> (address, row, col)
    labels: dict[str, str] = {}
    for a in addresses:
        t, r, c, sheet_like = parse_cell(a)
        targets[t].append((a, r, c))
        labels[t] = "sheet" if sheet_like else "table"
    kept: dict[str, dict[tuple[int, int], tuple[int, int, list[str]]]] = defaultdict(dict)
    extent: dict[str, list[int]] = {}  # table -> [first row, last row, first column, last column]
    for page in read_pages(path):
        for row in page:
            for cell in row.cells:
                if not cell.lines or not cell.lines[0].cell or cell.bbox is None:
                    continue
                where = parse_cell(cell.lines[0].cell)
                if where is None or where[0] not in targets:
                    continue
                t, r, c, _ = where
                x0, y0, x1, y1 = cell.bbox
                rs, cs = max(1, round((y1 - y0) / ROW_H)), max(1, round((x1 - x0) / COL_W))
                e = extent.setdefault(t, [r, r + rs - 1, c, c + cs - 1])
                e[0], e[1], e[2], e[3] = min(e[0], r), max(e[1], r + rs - 1), min(e[2], c), max(e[3], c + cs - 1)
                if any(r <= tr + ROWS_AROUND and r + rs - 1 >= tr - ROWS_AROUND and
                       c <= tc + COLS_AROUND and c + cs - 1 >= tc - COLS_AROUND for _a, tr, tc in targets[t]):
                    kept[t][(r, c)] = (rs, cs, [ln.text for ln in cell.lines])
    out = {}
    for t, items in targets.items():
        if t not in extent:
            continue
        first_row, last_row, first_col, last_col = extent[t]
        for address, tr, tc in items:
            window = (max(first_row, tr - ROWS_AROUND), min(last_row, tr + ROWS_AROUND),
                      max(first_col, tc - COLS_AROUND), min(last_col, tc + COLS_AROUND))
            title = f"{t}，第{window[0]}–{window[1]}行" if labels[t] == "sheet" else f"{t}，R{window[0]}–R{window[1]}"
            out[address] = _render(kept[t], window, {(tr, tc)}, address, title, labels[t])
    return out


def _render(cells: dict, window: tuple[int, int, int, int], hits: set[tuple[int, int]], where: str, title: str,
            labels: str) -> Markup:
    """An escaped HTML table of the window: merged cells as rowspan/colspan (cut at the window's
    edge), empty places as empty cells, rows and columns labelled as the source names them
    (`labels`: 'sheet' A, B … and 1, 2 …; 'table' C1 … and R1 …; 'text' line numbers only).
    A cell whose top-left corner is in `hits` is highlighted (class "hit")."""
    r0, r1, c0, c1 = window
    anchors: dict[tuple[int, int], tuple[int, int, list[str], bool]] = {}
    covered: set[tuple[int, int]] = set()
    for (r, c), (rs, cs, lines) in sorted(cells.items()):
        top, left = max(r, r0), max(c, c0)
        bottom, right = min(r + rs - 1, r1), min(c + cs - 1, c1)
        if top > bottom or left > right or (top, left) in covered:
            continue
        # a merged cell cut by the window's edge keeps its text (it is the same cell)
        anchors[(top, left)] = (bottom - top + 1, right - left + 1, lines, (r, c) in hits)
        covered.update((y, x) for y in range(top, bottom + 1) for x in range(left, right + 1))
    parts = [Markup('<details class="grid"><summary>查看原表位置（{}）</summary><table class="src">'
                    "<caption>{}</caption>").format(where, title)]
    if labels != "text":
        parts.append(Markup("<tr><th></th>"))
        for c in range(c0, c1 + 1):
            parts.append(Markup("<th>{}</th>").format(column_letters(c) if labels == "sheet" else f"C{c}"))
        parts.append(Markup("</tr>"))
    for r in range(r0, r1 + 1):
        parts.append(Markup("<tr><th>{}</th>").format(f"R{r}" if labels == "table" else r))
        for c in range(c0, c1 + 1):
            if (r, c) in anchors:
                rs, cs, lines, is_hit = anchors[(r, c)]
                span = Markup("".join(f' {k}="{v}"' for k, v in (("rowspan", rs), ("colspan", cs)) if v > 1))
                text = Markup("<br>").join(escape(_short(x)) for x in lines)
                parts.append(Markup("<td{}{}>{}</td>").format(span, Markup(' class="hit"') if is_hit else "", text))
            elif (r, c) not in covered:
                parts.append(Markup("<td></td>"))
        parts.append(Markup("</tr>"))
    parts.append(Markup("</table></details>"))
    return Markup("").join(parts)


def _line_grids(path: Path, numbers: list[int]) -> dict[str, Markup]:
    """The lines around each cited line of a text export, each line's cells side by side, the cited
    line highlighted (a line is the location a text export gives)."""
    from .readers.text import decode, split_cells

    if path.stat().st_size > MAX_TEXT_BYTES:
        return {}
    lines = decode(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = {}
    for n in numbers:
        if not 1 <= n <= len(lines):
            continue
        first, last = max(1, n - ROWS_AROUND), min(len(lines), n + ROWS_AROUND)
        rows = {k: split_cells(lines[k - 1].replace("\f", " ")) if lines[k - 1].strip() else []
                for k in range(first, last + 1)}
        width = min(max(1, *(len(v) for v in rows.values())), 2 * COLS_AROUND + 1)
        cells = {}
        for k, texts in rows.items():
            texts = texts[:width]
            for j, x in enumerate(texts, 1):
                cells[(k, j)] = (1, width - j + 1 if j == len(texts) else 1, [x])  # the last cell fills the row
        hits = {(n, j) for j in range(1, width + 1)}
        out[f"line {n}"] = _render(cells, (first, last, 1, width), hits, f"第{n}行", f"第{first}–{last}行", "text")
    return out
