"""OpenDocument spreadsheets (.ods): every sheet a page, merged ranges one cell, read with lxml.

No maintained Python library gives what is needed here: python-calamine reads the raw `office:value`
(not what the cell shows) and gives merged ranges and hidden rows for .xlsx only; odfpy builds a DOM
of the whole document and leaves repeated rows and cells to the caller (pandas' odf reader expands
them, which is where a declared 10^6 x 10^4 sheet would cost its memory).  So content.xml is read
directly, as the Word reader reads document.xml, streamed with lxml's iterparse (entities not
resolved, nothing fetched), one row at a time:

- the value is the cell's `text:p` paragraphs: the text the office suite itself wrote as shown
  (its number format applied, 4.83 as 4.83, 95% as 95%); `office:value` (General) only when a file
  has no paragraph for a filled cell.  A formula (`table:formula`) is never evaluated: its cached
  value is read like any other;
- `table:number-columns-spanned` / `number-rows-spanned` make one merged cell, the covered cells
  (`table:covered-table-cell`) are skipped;
- `table:number-rows-repeated` / `number-columns-repeated` on empty rows and cells only move the
  position (a sheet may declare a million empty rows: nothing is expanded); repeated filled cells
  are expanded against the file's cell budget, refused at once when they would pass it;
- hidden sheets (`table:display="false"`), rows and columns (`table:visibility` collapse/filter)
  are read and cited with the same marks as in .xlsx: `项目1!D12（隐藏行）`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Row
from . import cells
from .cells import Budget, GridCell, check_zip, clean_lines, column_letters, grid_rows
from .sheet import _sheet_ref, shown_number

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
T, O, X, S = (f"{{{ns}}}" for ns in (TABLE, OFFICE, TEXT, STYLE))
MAX_ROWS = 1_048_576  # LibreOffice's largest sheet; positions past it are not cells
MAX_COLS = 16_384


def is_ods(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            return "content.xml" in names and "mimetype" in names and z.read("mimetype").strip() == MIMETYPE.encode()
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return False


def _check_zip(z: zipfile.ZipFile) -> zipfile.ZipInfo:
    check_zip(z.infolist(), "spreadsheet")
    try:
        return z.getinfo("content.xml")
    except KeyError:
        raise InputError("not an OpenDocument spreadsheet (no content.xml in the zip)") from None


def ods_pages(path: Path) -> Iterator[list[Row]]:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputError(f"damaged .ods spreadsheet, not a readable zip: {e}".splitlines()[0]) from None
    with z:
        info = _check_zip(z)
        from lxml import etree

        try:
            with z.open(info) as f:
                yield from _read(etree, f)
        except InputError:
            raise
        except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise InputError(f"damaged .ods spreadsheet, content.xml cannot be read: {e}".splitlines()[0]) from None


def _int(el, name: str, limit: int) -> int:
    try:
        return max(1, min(int(el.get(name) or 1), limit))
    except ValueError:
        return 1


def _read(etree, f) -> Iterator[list[Row]]:
    hidden_styles: set[str] = set()  # automatic table styles with table:display="false"
    budget = Budget("spreadsheet")
    page = 0
    events = etree.iterparse(f, events=("start", "end"), resolve_entities=False, no_network=True,
                             remove_comments=True, huge_tree=False)
    sheet = None
    for event, el in events:
        tag = el.tag
        if event == "start":
            if tag == f"{T}table" and sheet is None:
                page += 1
                name = el.get(f"{T}name") or f"Sheet{page}"
                hidden = el.get(f"{T}style-name") in hidden_styles
                sheet = _Sheet(_sheet_ref(name), "（隐藏工作表）" if hidden else "", budget)
            continue
        if tag == f"{S}style" and el.get(f"{S}family") == "table":
            props = el.find(f"{S}table-properties")
            if props is not None and props.get(f"{T}display") == "false":
                hidden_styles.add(el.get(f"{S}name"))
        elif sheet is None:
            continue
        elif tag == f"{T}table-column":
            sheet.column(el)
        elif tag == f"{T}table-row":
            sheet.row(el)
            el.clear()  # and the rows before it: memory stays that of one row
            while el.getprevious() is not None:
                del el.getparent()[0]
            continue
        elif tag == f"{T}table":
            if el.getparent() is not None and _inside_cell(el):
                continue  # a sub-table inside a cell (old ODF): read as that cell's text
            yield grid_rows(sheet.cells, page)
            sheet = None
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]


def _inside_cell(el) -> bool:
    p = el.getparent()
    while p is not None:
        if p.tag in (f"{T}table-cell", f"{T}covered-table-cell"):
            return True
        p = p.getparent()
    return False


class _Sheet:
    def __init__(self, ref: str, mark: str, budget: Budget):
        self.ref = ref
        self.mark = mark
        self.budget = budget
        self.cells: list[GridCell] = []
        self.r = 0  # 0-based row of the next table:table-row
        self.col_hidden: list[tuple[int, int]] = []  # [start, end) of hidden columns
        self.c = 0  # 0-based column of the next table:table-column

    def column(self, el) -> None:
        n = _int(el, f"{T}number-columns-repeated", MAX_COLS)
        if el.get(f"{T}visibility") in ("collapse", "filter"):
            self.col_hidden.append((self.c, self.c + n))
        self.c += n

    def _col_mark(self, c: int) -> str:
        return "（隐藏列）" if any(a <= c < b for a, b in self.col_hidden) else ""

    def row(self, tr) -> None:
        if _inside_cell(tr):
            return
        repeat = _int(tr, f"{T}number-rows-repeated", MAX_ROWS)
        row_mark = "（隐藏行）" if tr.get(f"{T}visibility") in ("collapse", "filter") else ""
        filled = []  # (column, rowspan, colspan, lines, text)
        c = 0
        for td in tr:
            if td.tag not in (f"{T}table-cell", f"{T}covered-table-cell"):
                continue
            n = _int(td, f"{T}number-columns-repeated", MAX_COLS)
            if td.tag == f"{T}table-cell" and c < MAX_COLS:
                text = _shown(td)
                lines = clean_lines(text)
                if lines:
                    rs = _int(td, f"{T}number-rows-spanned", MAX_ROWS)
                    cs = _int(td, f"{T}number-columns-spanned", MAX_COLS)
                    for k in range(min(n, MAX_COLS - c)):
                        filled.append((c + k, rs, cs, lines, text))
            c += n
        if filled and self.r < MAX_ROWS:
            copies = min(repeat, MAX_ROWS - self.r)
            if copies * len(filled) > cells.MAX_CELLS - self.budget.cells:
                raise InputError(f"spreadsheet repeats {len(filled):,} filled cells {copies:,} times: refused as too large")
            for k in range(copies):
                r = self.r + k
                for col, rs, cs, lines, text in filled:
                    self.budget.take(text)
                    self.cells.append(GridCell(r, col, rs, cs, lines,
                                               f"{self.ref}!{column_letters(col + 1)}{r + 1}{self.mark}{row_mark}"
                                               f"{self._col_mark(col)}"))
        self.r += repeat


def _shown(td) -> str:
    """What the cell shows: its paragraphs as lines; else its typed value (a file without paragraphs)."""
    paras = [p for p in td if p.tag in (f"{X}p", f"{X}h")]
    if paras:
        return "\n".join(_para(p) for p in paras)
    kind = td.get(f"{O}value-type")
    if kind in ("float", "currency", "percentage"):
        try:
            v = float(td.get(f"{O}value") or "")
        except ValueError:
            return ""
        return shown_number(v * 100, None) + "%" if kind == "percentage" else shown_number(v, None)
    if kind == "date":
        return (td.get(f"{O}date-value") or "").split("T")[0]
    if kind == "time":
        return td.get(f"{O}time-value") or ""
    if kind == "boolean":
        return "TRUE" if td.get(f"{O}boolean-value") == "true" else "FALSE"
    return td.get(f"{O}string-value") or ""


def _para(p) -> str:
    out: list[str] = []

    def walk(el) -> None:
        if el.text:
            out.append(el.text)
        for child in el:
            tag = child.tag
            if tag == f"{X}s":
                out.append(" " * _int(child, f"{X}c", 1000))
            elif tag == f"{X}tab":
                out.append(" ")
            elif tag == f"{X}line-break":
                out.append("\n")
            elif tag in (f"{O}annotation", f"{X}note"):
                pass  # a comment on the cell is not its value
            else:
                walk(child)
            if child.tail:
                out.append(child.tail)

    walk(p)
    return "".join(out)
