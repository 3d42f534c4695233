"""Ingest: a PDF or a text export in, rows of cells out, one page at a time.

Every cell keeps the lines it was made of, and every line its page and box (PDF) or line number
(text), so later stages can cite where any value was read.  Pages are yielded one by one and
nothing of a finished page is kept, so memory does not grow with the document.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from .grid import Box, Rulings

# Text extraction flags: the dict defaults without images (their pixels would be copied into
# Python for nothing), with vectors, so the rulings come from the same pass over the page.  OCR never runs here: no OCR text page is ever requested (see the OCR issue).
_TEXT_FLAGS = (pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES) | pymupdf.TEXT_COLLECT_VECTORS
TEXT_SUFFIXES = {".txt", ".text", ".csv", ".tsv", ".md"}


class InputError(Exception):
    """A file that cannot be read; the message is one line meant for the user."""


@dataclass(slots=True)
class Line:
    text: str
    page: int | None  # 1-based; None for text files
    bbox: Box | None  # unrotated page coordinates, points
    lineno: int | None  # 1-based line of a text file


@dataclass(slots=True)
class Cell:
    text: str
    lines: list[Line]
    bbox: Box | None = None  # the ruled cell, or the text's own box, upright: used for layout
    page_bbox: Box | None = None  # the same box in page coordinates: used for citing

    @property
    def page(self) -> int | None:
        return self.lines[0].page if self.lines else None


@dataclass(slots=True)
class Row:
    cells: list[Cell]
    page: int | None = None
    ruled: bool = False  # cells come from a ruled grid, so their boxes are column positions

    @property
    def text(self) -> str:
        return " | ".join(c.text for c in self.cells)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_pages(path: Path, password: str | None = None) -> Iterator[list[Row]]:
    """Rows of each page of a PDF or text file, in page order."""
    if not path.exists():
        raise InputError("no such file")
    if path.is_dir():
        raise InputError("is a directory")
    with open(path, "rb") as f:
        head = f.read(1024)
    if not head:
        raise InputError("empty file (0 bytes)")
    if b"%PDF-" in head:
        yield from _pdf_pages(path, password)
    elif path.suffix.lower() == ".pdf":
        raise InputError("not a PDF (no %PDF header): the file is damaged or of another type")
    elif path.suffix.lower() in TEXT_SUFFIXES or _looks_like_text(head):
        yield from _text_pages(path)
    else:
        raise InputError(f"unsupported file type {path.suffix or '(no suffix)'}: give a PDF or a text export")


# ---------------------------------------------------------------------------------------------
# PDF


def _pdf_pages(path: Path, password: str | None = None) -> Iterator[list[Row]]:
    try:
        doc = pymupdf.open(path, filetype="pdf")
        doc.page_count  # MuPDF only notices some damage when it counts pages
    except Exception as e:  # PyMuPDF raises its own FileDataError and plain RuntimeErrors
        raise InputError(f"damaged PDF, cannot be opened: {e}") from None
    with doc:
        if doc.needs_pass:
            if not password:
                raise InputError("encrypted PDF: a password is needed (--password)")
            if not doc.authenticate(password):
                raise InputError("encrypted PDF: the password given does not open it")
        if doc.page_count == 0:
            raise InputError("PDF has no pages")
        for number in range(doc.page_count):
            try:
                rows = page_rows(doc[number])
            except Exception as e:  # a damaged page object or content stream
                raise InputError(f"damaged PDF, page {number + 1} cannot be read: {e}") from None
            if number % 32 == 31:
                # MuPDF keeps fonts and images of pages already read in its store; emptying it now
                # and then keeps memory flat on documents of thousands of pages (and costs nothing:
                # pages are read once, in order)
                pymupdf.TOOLS.store_shrink(100)
            yield rows


def page_rows(page: pymupdf.Page) -> list[Row]:
    number = page.number + 1
    lines: list[Line] = []
    upright: list[Box] = []  # each line's box in the text's own reading direction
    vectors: list[dict] = []
    dirs: dict[tuple[int, int], int] = {}
    for block in page.get_text("dict", flags=_TEXT_FLAGS)["blocks"]:
        kind = block["type"]
        if kind == 0:
            for ln in block["lines"]:
                spans = ln["spans"]
                text = spans[0]["text"] if len(spans) == 1 else "".join(s["text"] for s in spans)
                if text.strip():
                    lines.append(Line(text, number, ln["bbox"], None))
                    d = (round(ln["dir"][0]), round(ln["dir"][1]))
                    dirs[d] = dirs.get(d, 0) + len(text)
        elif kind == 3:
            vectors.append(block)
    if not lines:
        return []
    # Text drawn sideways (a landscape table placed on a portrait page without /Rotate): lay the
    # page out in the direction most of its text reads, and cite boxes in page coordinates.
    cos, sin = max(dirs, key=dirs.get)
    turn = (cos, sin) != (1, 0)
    to_upright = _turner(cos, sin) if turn else None
    to_page = _turner(cos, -sin) if turn else None
    for line in lines:
        upright.append(to_upright(line.bbox) if turn else line.bbox)
    if turn:
        vectors = [dict(v, bbox=to_upright(v["bbox"])) for v in vectors]
    rulings = Rulings(vectors)
    by_cell: dict[Box, list[tuple[Line, Box]]] = {}
    loose: list[Cell] = []
    for line, box in zip(lines, upright):
        cell = rulings.cell_of(box) if rulings else None
        if cell is None:
            loose.append(Cell(line.text.strip(), [line], box, line.bbox))
        else:
            by_cell.setdefault(cell, []).append((line, box))
    cells = []
    for box, members in by_cell.items():
        page_box = to_page(box) if turn else box
        if len(members) == 1:
            cells.append(Cell(members[0][0].text.strip(), [members[0][0]], box, page_box))
        else:
            members = _reading_order(members)
            cells.append(Cell(_join_lines(members), [m[0] for m in members], box, page_box))
    return _rows(cells, ruled=True) if not loose else _rows(cells + loose, ruled=bool(cells))


def _turner(cos: int, sin: int):
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


def _rows(cells: list[Cell], ruled: bool) -> list[Row]:
    cells.sort(key=lambda c: (c.bbox[1], c.bbox[0]))
    rows: list[Row] = []
    top = None
    for c in cells:
        height = c.bbox[3] - c.bbox[1]
        if rows and top is not None and c.bbox[1] - top <= min(2.5, height / 2):
            rows[-1].cells.append(c)
        else:
            rows.append(Row([c], c.page, ruled))
            top = c.bbox[1]
    for r in rows:
        r.cells.sort(key=lambda c: c.bbox[0])
    return rows


# ---------------------------------------------------------------------------------------------
# Text exports


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head.replace(b"\xff\xfe", b"").replace(b"\xfe\xff", b"")[:512] and not head.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        return False
    try:
        _decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _decode(data: bytes, final: bool = True) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8") if final else codecs.getincrementaldecoder("utf-8")().decode(data)
    except UnicodeDecodeError:
        if final:
            return data.decode("gb18030")
        return codecs.getincrementaldecoder("gb18030")().decode(data)


_CELL_SEP = re.compile(r"\s*\|\s*|\t")


def split_cells(line: str) -> list[str]:
    """Cells of one exported line: ' | ' or tab separated; otherwise the line is one cell."""
    if "|" in line or "\t" in line:
        parts = _CELL_SEP.split(line.strip().strip("|"))
        return [p.strip() for p in parts]
    return [line.strip()]


def _text_pages(path: Path) -> Iterator[list[Row]]:
    try:
        text = _decode(path.read_bytes())
    except UnicodeDecodeError:
        raise InputError("text file is neither UTF-8 nor GB18030/GBK") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows: list[Row] = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        for piece in raw.split("\f"):  # a form feed is a page break in text exports
            if piece is not raw and rows:
                yield rows
                rows = []
            if not piece.strip():
                continue
            cells = [Cell(c, [Line(c, None, None, lineno)], None) for c in split_cells(piece)]
            rows.append(Row(cells))
    yield rows
