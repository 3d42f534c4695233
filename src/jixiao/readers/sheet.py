"""Spreadsheets: .xlsx/.xlsm (openpyxl) and .xls (xlrd), every sheet a page, merged ranges one cell.

Values are what the reader of the sheet sees: a number with its number format applied (4.83 under
`0.00` stays 4.83, 0.95 under `0%` is 95%, a float artefact 4.8300000001 under General shows 4.83),
formulas as the value Excel cached when the file was saved (never evaluated: openpyxl and xlrd have
no formula engine), dates as dates.  Hidden sheets, rows and columns are read like the others (a
department cannot hide an indicator from review), and the cells read from them are cited with the
mark （隐藏工作表）, （隐藏行） or （隐藏列） after their address.

A workbook is checked before it is opened: a zip whose members expand past `MAX_XML` bytes, or by
more than `MAX_RATIO` times their packed size (a zip bomb), is refused; cells are counted as they
are read (cells.Budget).  Only the cells a sheet stores are visited, so a sheet that declares a
huge dimension costs nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Row
from .cells import Budget, GridCell, check_zip, clean_lines, column_letters, grid_rows

MAX_XLS = 64 * 1024 * 1024  # bytes of an .xls file


def _sheet_ref(name: str) -> str:
    return f"'{name}'" if re.search(r"[\s!'()\-,;]", name) else name


# -- what a cell shows -------------------------------------------------------------------------

def _sections(fmt: str) -> list[str]:
    out, cur, quoted = [], "", False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _plain(v: float) -> str:
    """A number as General shows it: 10 significant digits, no exponent, no trailing zeros."""
    if v == 0:
        return "0"
    r = float(f"{v:.10g}")
    if r.is_integer():
        return str(int(r))
    return f"{r:.10f}".rstrip("0").rstrip(".")


def shown_number(v: float, fmt: str | None) -> str:
    """A number as a spreadsheet shows it under its number format (the common formats; others: General)."""
    fmt = (fmt or "General").strip()
    if fmt.lower() in ("general", "", "@", "g/通用格式"):
        return _plain(v)
    sections = _sections(fmt)
    sec = sections[1] if v < 0 and len(sections) > 1 else sections[0]
    sign = "-" if v < 0 and not (len(sections) > 1) else ""
    v = abs(v) if (v < 0) else v
    # literals: "text", \x, and [$¥-804] currency; colours and conditions dropped
    sec = re.sub(r"\[\$([^\]-]*)(?:-[^\]]*)?\]", lambda m: '"' + m.group(1) + '"', sec)
    sec = re.sub(r"\[[^\]]*\]", "", sec)
    sec = re.sub(r"\\(.)", r'"\1"', sec)
    sec = re.sub(r"[_*].", "", sec)  # padding (_x) and fill (*x)
    m = re.search(r"[0#?][0#?,.]*%?|%", re.sub(r'"[^"]*"', lambda q: "\x00" * len(q.group()), sec))
    if not m:
        return _plain(v)
    core = sec[m.start():m.end()]
    prefix = re.sub(r'"([^"]*)"', r"\1", sec[:m.start()])
    suffix = re.sub(r'"([^"]*)"', r"\1", sec[m.end():])
    percent = "%" in core or "%" in suffix
    if percent:
        v *= 100
    decimals = len(re.sub(r"[^0#?]", "", core.split(".", 1)[1])) if "." in core else 0
    thousands = "," in core.split(".", 1)[0] and not core.split(".", 1)[0].endswith(",")
    # round through 15 significant digits first, so 0.1+0.2 formats like Excel
    num = f"{float(f'{v:.15g}'):{',' if thousands else ''}.{decimals}f}"
    if "." in core and "#" in core.split(".", 1)[1] and "0" not in core.split(".", 1)[1]:
        num = num.rstrip("0").rstrip(".")
    return f"{sign}{prefix}{num}{'%' if '%' in core else ''}{suffix}".strip()


def shown_date(v: dt.datetime | dt.date | dt.time, fmt: str | None) -> str:
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S") if v.second else v.strftime("%H:%M")
    if isinstance(v, dt.datetime) and (v.hour or v.minute or v.second) and "h" in (fmt or "").lower():
        return f"{v.year}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}"
    if "年" in (fmt or ""):
        if "d" not in (fmt or "").lower():
            return f"{v.year}年{v.month}月"
        return f"{v.year}年{v.month}月{v.day}日"
    return f"{v.year}-{v.month:02d}-{v.day:02d}"


def shown(value, fmt: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return shown_number(float(value), fmt)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return shown_date(value, fmt)
    return str(value)


# -- .xlsx / .xlsm ------------------------------------------------------------------------------

def _check_zip(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputError(f"damaged workbook, not a readable zip: {e}") from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise InputError("not an Excel workbook (no xl/workbook.xml in the zip)")
    if "xl/workbook.bin" in names:
        raise InputError("binary Excel workbook (.xlsb) is not supported: save it as .xlsx")
    check_zip(infos, "workbook")


def xlsx_pages(path: Path) -> Iterator[list[Row]]:
    _check_zip(path)
    import openpyxl
    from openpyxl.cell.cell import MergedCell

    try:
        # not read-only: merged ranges and hidden rows are only known in full mode; data_only: the
        # values cached at the last save, formulas are never evaluated
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True, keep_links=False, keep_vba=False)
    except InputError:
        raise
    except Exception as e:  # zipfile, XML and openpyxl's own errors on damaged parts
        raise InputError(f"damaged workbook, cannot be read: {type(e).__name__}: {e}".splitlines()[0]) from None
    budget = Budget("workbook")
    try:
        for number, ws in enumerate(wb.worksheets, 1):
            yield _xlsx_sheet(ws, number, budget, MergedCell)
    finally:
        wb.close()


def _xlsx_sheet(ws, page: int, budget: Budget, merged_type) -> list[Row]:
    spans = {}
    for rng in ws.merged_cells.ranges:
        spans[(rng.min_row, rng.min_col)] = (rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1)
    hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
    hidden_cols = set()
    for key, d in ws.column_dimensions.items():
        if d.hidden:
            hidden_cols.update(range(d.min or 0, (d.max or 0) + 1))
    sheet_mark = "（隐藏工作表）" if ws.sheet_state != "visible" else ""
    ref = _sheet_ref(ws.title)
    cells = []
    store = getattr(ws, "_cells", None)
    items = sorted(store.items()) if store is not None else (((c.row, c.column), c) for row in ws.iter_rows()
                                                              for c in row)
    for (r, c), cell in items:
        if isinstance(cell, merged_type) or cell.value is None:
            continue
        text = shown(cell.value, cell.number_format)
        lines = clean_lines(text)
        if not lines:
            continue
        budget.take(text)
        rs, cs = spans.get((r, c), (1, 1))
        mark = sheet_mark + ("（隐藏行）" if r in hidden_rows else "") + ("（隐藏列）" if c in hidden_cols else "")
        cells.append(GridCell(r - 1, c - 1, rs, cs, lines, f"{ref}!{column_letters(c)}{r}{mark}"))
    return grid_rows(cells, page)


# -- .xls ------------------------------------------------------------------------------------------

def xls_pages(path: Path) -> Iterator[list[Row]]:
    if path.stat().st_size > MAX_XLS:
        raise InputError(f"workbook larger than {MAX_XLS // 2**20} MiB: refused as too large")
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as e:  # xlrd.XLRDError, struct errors and the like on damaged files
        raise InputError(f"damaged .xls workbook, cannot be read: {e}".splitlines()[0]) from None
    budget = Budget("workbook")
    try:
        for k in range(book.nsheets):
            try:
                sh = book.sheet_by_index(k)
            except Exception as e:
                raise InputError(f"damaged .xls workbook, sheet {k + 1} cannot be read: {e}".splitlines()[0]) from None
            yield _xls_sheet(book, sh, k + 1, budget)
            book.unload_sheet(k)
    finally:
        book.release_resources()


def _xls_sheet(book, sh, page: int, budget: Budget) -> list[Row]:
    import xlrd

    spans, covered = {}, set()
    for rlo, rhi, clo, chi in sh.merged_cells:
        spans[(rlo, clo)] = (rhi - rlo, chi - clo)
        if (rhi - rlo) * (chi - clo) <= 100_000:
            covered.update((r, c) for r in range(rlo, rhi) for c in range(clo, chi) if (r, c) != (rlo, clo))
    sheet_mark = "（隐藏工作表）" if sh.visibility else ""
    ref = _sheet_ref(sh.name)
    cells = []
    for r in range(sh.nrows):
        info = sh.rowinfo_map.get(r)
        row_mark = "（隐藏行）" if info is not None and info.hidden else ""
        for c, cell in enumerate(sh.row(r)):
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or (r, c) in covered:
                continue
            fmt = None
            try:
                fmt = book.format_map[book.xf_list[cell.xf_index].format_key].format_str
            except (IndexError, KeyError, AttributeError, TypeError):
                pass
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                except Exception:
                    value = cell.value
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(cell.value, "#ERR")
            else:
                value = cell.value
            text = shown(value, fmt)
            lines = clean_lines(text)
            if not lines:
                continue
            budget.take(text)
            rs, cs = spans.get((r, c), (1, 1))
            col_info = sh.colinfo_map.get(c)
            mark = sheet_mark + row_mark + ("（隐藏列）" if col_info is not None and col_info.hidden else "")
            cells.append(GridCell(r, c, rs, cs, lines, f"{ref}!{column_letters(c + 1)}{r + 1}{mark}"))
    return grid_rows(cells, page)
