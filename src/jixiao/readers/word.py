"""Word documents (.docx): every table cell for cell, the paragraphs around tables as loose lines.

Read straight from word/document.xml with lxml (entities not resolved, nothing fetched): a row's
cells are laid on the table grid by their gridSpan (and w:gridBefore, and old-style hMerge), a
vertical merge (vMerge restart … continue) is one cell spanning the rows, each paragraph of a cell is
a line of it, and a table nested in a cell is a table of its own right after the row that holds it.
Deleted text (tracked changes) and field codes are left out.  The whole document is one page.
The old binary .doc is refused with a line saying to save it as .docx (readers/__init__.py).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Row
from .cells import MAX_RATIO, MAX_XML, ROW_H, Budget, GridCell, clean_lines, grid_rows, text_rows

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_COLS = 2000


def is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def docx_pages(path: Path) -> Iterator[list[Row]]:
    try:
        with zipfile.ZipFile(path) as z:
            try:
                info = z.getinfo("word/document.xml")
            except KeyError:
                raise InputError("not a Word document (no word/document.xml in the zip)") from None
            if info.file_size > MAX_XML or (info.file_size > 2**20 and
                                            info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                raise InputError(f"Word document expands to {info.file_size // 2**20} MiB: refused as too large")
            data = z.read(info)
    except zipfile.BadZipFile as e:
        raise InputError(f"damaged Word document, not a readable zip: {e}") from None
    except (OSError, ValueError, EOFError) as e:  # truncated members, CRC errors
        raise InputError(f"damaged Word document, cannot be read: {e}".splitlines()[0]) from None
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as e:
        raise InputError(f"damaged Word document, document.xml cannot be parsed: {e}".splitlines()[0]) from None
    body = root.find(f"{W}body")
    if body is None:
        raise InputError("damaged Word document: document.xml has no body")
    reader = _Reader({t: n for n, t in enumerate(body.iter(f"{W}tbl"), 1)}, Budget("Word document"))
    reader.block(body)
    reader.flush()
    yield reader.rows


def _para_text(p) -> str:
    out = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}delText", f"{W}instrText", f"{W}sym"):
        tag = el.tag
        if tag == f"{W}t":
            if _deleted(el, p):
                continue
            out.append(el.text or "")
        elif tag == f"{W}tab":
            out.append(" ")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
    return "".join(out)


def _deleted(el, stop) -> bool:
    p = el.getparent()
    while p is not None and p is not stop:
        if p.tag in (f"{W}del", f"{W}moveFrom"):
            return True
        p = p.getparent()
    return False


def _val(el, name: str) -> str | None:
    return None if el is None else el.get(f"{W}{name}")


class _Reader:
    def __init__(self, index: dict, budget: Budget):
        self.index = index
        self.budget = budget
        self.rows: list[Row] = []
        self.buf: list[str] = []
        self.top = 0

    def flush(self, before: int | None = None) -> None:
        lines = [t for s in self.buf for t in clean_lines(s)]
        for t in lines:
            self.budget.take(t)
        self.rows.extend(text_rows(lines, None, f"表{before}上方" if before else "表格之后"))
        self.top += len(lines)
        self.buf = []

    def block(self, el) -> None:
        """Paragraphs and tables of a body (or a content control) in document order."""
        for child in el:
            if child.tag == f"{W}p":
                self.buf.append(_para_text(child))
            elif child.tag == f"{W}tbl":
                self.flush(self.index.get(child))
                self.table(child)
            elif child.tag in (f"{W}sdt", f"{W}customXml"):
                inner = child.find(f"{W}sdtContent") if child.tag == f"{W}sdt" else child
                if inner is not None:
                    self.block(inner)

    def table(self, tbl) -> None:
        n = self.index.get(tbl, 0)
        trs = [tr for tr in _children(tbl, "tr")]
        cells: list[GridCell] = []
        open_v: dict[int, GridCell] = {}  # grid column -> the vertically merged cell running through it
        nested: dict[int, list] = {}
        for r, tr in enumerate(trs):
            trpr = tr.find(f"{W}trPr")
            col = int(_val(trpr.find(f"{W}gridBefore") if trpr is not None else None, "val") or 0)
            last: GridCell | None = None
            for tc in _children(tr, "tc"):
                tcpr = tc.find(f"{W}tcPr")
                span = int(_val(tcpr.find(f"{W}gridSpan") if tcpr is not None else None, "val") or 1)
                span = max(1, min(span, MAX_COLS))
                if col + span > MAX_COLS:
                    raise InputError(f"Word table {n} is wider than {MAX_COLS} columns: refused as too large")
                vmerge = tcpr.find(f"{W}vMerge") if tcpr is not None else None
                hmerge = tcpr.find(f"{W}hMerge") if tcpr is not None else None
                lines = [t for p in _cell_paras(tc) for t in clean_lines(_para_text(p))]
                inner = [t for t in tc if t.tag == f"{W}tbl"]
                if inner:
                    nested.setdefault(r, []).extend(inner)
                if hmerge is not None and _val(hmerge, "val") != "restart" and last is not None:
                    last.colspan += span  # an old-style horizontal merge continues the cell on its left
                    last.lines += lines
                    col += span
                    continue
                if vmerge is not None and _val(vmerge, "val") != "restart" and col in open_v:
                    above = open_v[col]
                    above.rowspan = r - above.row + 1
                    above.lines += lines  # a continuation is normally empty
                    col += span
                    last = above
                    continue
                cell = GridCell(r, col, 1, span, lines, f"表{n} R{r + 1}C{col + 1}")
                for k in range(span):
                    open_v.pop(col + k, None)
                if vmerge is not None:
                    open_v[col] = cell
                cells.append(cell)
                last = cell
                col += span
        for c in cells:
            self.budget.take("".join(c.lines))
        base = self.top
        rows = grid_rows(cells, None, base)
        self.top += len(trs)
        done = set()
        for row in rows:
            self.rows.append(row)
            r = round(row.cells[0].bbox[1] / ROW_H) - base
            done.add(r)
            for t in nested.pop(r, []):
                self.table(t)
        for r in sorted(nested):
            for t in nested[r]:
                self.table(t)


def _children(el, name: str):
    """Direct children named w:name, also through content controls and custom XML around rows or cells."""
    for child in el:
        if child.tag == f"{W}{name}":
            yield child
        elif child.tag in (f"{W}sdt", f"{W}customXml"):
            inner = child.find(f"{W}sdtContent") if child.tag == f"{W}sdt" else child
            if inner is not None:
                yield from _children(inner, name)


def _cell_paras(tc):
    """The paragraphs of a cell itself (not those of a table nested in it)."""
    return _children(tc, "p")
