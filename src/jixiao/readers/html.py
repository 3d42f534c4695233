"""Web pages (.html, .htm, .mhtml): every <table> cell for cell, the text around tables as loose lines.

Parsed with lxml's HTML parser (libxml2): no script runs and nothing is fetched; scripts, styles and
comments are dropped.  The encoding is the page's own (BOM, then a meta charset), else UTF-8, else
GB18030 (a superset of GBK and GB2312, which government pages often use).  Row and column spans are
laid on a grid as a browser does (HTML's limits: colspan ≤ 1000, rowspan ≤ 65534 and never past the
table's last row); <br> and block elements inside a cell are line breaks; a table nested in a cell
is a table of its own, placed right after the row that holds it.  The whole page is one page of rows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Row
from .cells import ROW_H, Budget, GridCell, clean_lines, grid_rows, text_rows

MAX_BYTES = 64 * 1024 * 1024  # a page larger than this is refused
MAX_COLS = 2000  # grid columns of one table

_BLOCK = {"p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
          "footer", "nav", "form", "blockquote", "pre", "dl", "dt", "dd", "center", "caption", "title", "hr",
          "address", "fieldset", "legend", "figure", "figcaption", "main", "aside", "thead", "tbody", "tfoot"}
_DROP = ("script", "style", "noscript", "template", "object", "embed", "iframe", "svg", "math", "head")
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\n\\f]*\\n[ \\t\\r\\n\\f]*(?=[{_CJK}])")
_WS = re.compile(r"[ \t\r\n\f]+")


def decode(data: bytes) -> str:
    """A page's text in its declared encoding (BOM, meta charset), else UTF-8, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    m = _META.search(data[:8192])
    if m:
        name = m.group(1).decode("ascii").lower()
        if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "gb18030"):
            name = "gb18030"
        try:
            return data.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _mhtml_html(data: bytes) -> bytes:
    """The HTML part of a saved MHTML page (a MIME message), as bytes with its charset declared."""
    import email
    from email import policy

    msg = email.message_from_bytes(data, policy=policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            if charset and not _META.search(payload[:8192]):
                payload = f'<meta charset="{charset}">'.encode("ascii") + payload
            return payload
    raise InputError("MHTML file has no text/html part")


def html_pages(path: Path) -> Iterator[list[Row]]:
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"web page larger than {MAX_BYTES // 2**20} MiB: refused as too large")
    data = path.read_bytes()
    if path.suffix.lower() in (".mhtml", ".mht") or data[:4096].lower().find(b"multipart/related") >= 0:
        data = _mhtml_html(data)
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("not a web page (binary data): the file is damaged or of another type")
    text = decode(data)
    if "<" not in text or text.count("\ufffd") > max(16, len(text) // 50):
        raise InputError("not a web page (no markup or undecodable text): the file is damaged or of another type")
    yield read_html(text)


def read_html(text: str) -> list[Row]:
    import lxml.html
    from lxml import etree

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input with an encoding declaration
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True,
                                  default_doctype=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise InputError(f"web page cannot be parsed: {e}") from None
    for el in list(root.iter(*_DROP)):
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()
    index = {t: n for n, t in enumerate(root.iter("table"), 1)}  # keeps the proxies alive
    reader = _Reader(index, Budget("web page"))
    body = root.find("body")
    reader.walk(body if body is not None else root)
    reader.flush()
    return reader.rows


class _Reader:
    def __init__(self, index: dict, budget: Budget):
        self.index = index
        self.budget = budget
        self.rows: list[Row] = []
        self.buf: list[str] = []  # loose text since the last table
        self.top = 0  # synthetic grid row where the next table starts

    def flush(self, before: int | None = None) -> None:
        lines = clean_lines("".join(self.buf))
        for t in lines:
            self.budget.take(t)
        self.rows.extend(text_rows(lines, None, f"表{before}上方" if before else "表格之后"))
        self.top += len(lines)
        self.buf = []

    def walk(self, el) -> None:
        """Loose text in document order; each table where it stands."""
        if el.text:
            self.buf.append(_src(el.text))
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "table":
                self.flush(self.index.get(child))
                self.table(child)
            elif tag == "br":
                self.buf.append("\n")
            elif tag in _BLOCK:
                self.buf.append("\n")
                self.walk(child)
                self.buf.append("\n")
            elif tag in ("td", "th"):
                self.walk(child)
                self.buf.append(" ")
            else:
                self.walk(child)
            if child.tail:
                self.buf.append(_src(child.tail))

    def table(self, table) -> None:
        n = self.index.get(table, 0)
        trs = _own_rows(table)
        busy: dict[int, int] = {}  # column -> first grid row no longer covered by a rowspan above
        cells: list[GridCell] = []
        nested: dict[int, list] = {}  # grid row -> tables nested in the cells starting there
        for r, tr in enumerate(trs):
            col = 0
            for td in tr:
                if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                    continue
                while busy.get(col, 0) > r:
                    col += 1
                rowspan = _span(td.get("rowspan"), 65534, len(trs) - r)
                colspan = _span(td.get("colspan"), 1000, 1000)
                if col + colspan > MAX_COLS:
                    raise InputError(f"web page table {n} is wider than {MAX_COLS} columns: refused as too large")
                for k in range(colspan):
                    busy[col + k] = r + rowspan
                lines = clean_lines(_cell_text(td))
                text = "".join(lines)
                self.budget.take(text)
                cells.append(GridCell(r, col, rowspan, colspan, lines, f"表{n} R{r + 1}C{col + 1}"))
                inner = [t for t in td.iter("table") if t is not td and _outer_table(t, td) is td]
                if inner:
                    nested.setdefault(r, []).append((td, inner))
                col += colspan
        rows = grid_rows(cells, None, self.top)
        self.top += len(trs)
        done = set()
        for row in rows:
            self.rows.append(row)
            r = round(row.cells[0].bbox[1] / ROW_H) - (self.top - len(trs))
            done.add(r)
            self._nested(nested.get(r, []))
        for r in sorted(set(nested) - done):  # nested tables in rows whose own cells are empty
            self._nested(nested[r])

    def _nested(self, items) -> None:
        for td, _inner in items:
            # the cell's own text is already in its row; read only the tables inside it
            for child in td.iter("table"):
                if _outer_table(child, td) is td:
                    self.table(child)


def _outer_table(table, td):
    """The cell that directly holds a table (the nearest td/th above it)."""
    p = table.getparent()
    while p is not None and p.tag not in ("td", "th"):
        p = p.getparent()
    return p


def _own_rows(table) -> list:
    """The table's own rows, not those of tables nested in its cells."""
    out = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            out.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            out.extend(c for c in child if isinstance(c.tag, str) and c.tag == "tr")
    return out


def _span(value: str | None, limit: int, room: int) -> int:
    m = re.match(r"\s*(\d+)", value or "")
    n = int(m.group(1)) if m else 1
    if n == 0:  # rowspan="0": to the end of the table
        n = room
    return max(1, min(n, limit, room))


def _cell_text(td) -> str:
    out: list[str] = []

    def walk(el) -> None:
        if el.text:
            out.append(_src(el.text))
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "table":
                out.append("\n")
            elif tag == "br":
                out.append("\n")
            elif tag in _BLOCK:
                out.append("\n")
                walk(child)
                out.append("\n")
            else:
                walk(child)
            if child.tail:
                out.append(_src(child.tail))

    walk(td)
    return "".join(out)


def _src(s: str) -> str:
    """Source whitespace as a browser shows it: a line break between two CJK characters vanishes,
    any other run of source whitespace is one space (explicit breaks, <br> and blocks, are \n)."""
    return _WS.sub(" ", _CJK_BREAK.sub("", s))


__all__ = ["html_pages", "read_html", "decode"]
