"""PDF pages with a text layer: lines with their boxes and the page's ruling lines, in one pass.

A page whose text layer is unusable (a scan, a broken font mapping) is handed to OCR (image.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Line, Row
from ..settings import ReadOptions
from ._mupdf import pymupdf
from .grid import Rulings
from .image import ocr_rows
from .layout import layout, turner

# Text extraction flags: the dict defaults without images (their pixels would be copied into
# Python for nothing), with vectors, so the rulings come from the same pass over the page.  MuPDF's
# own OCR never runs: OCR is only ever asked for explicitly, below.
_TEXT_FLAGS = (pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES) | pymupdf.TEXT_COLLECT_VECTORS


# MuPDF's warnings that mean part of a page's content was lost (it reads on past them, silently)
_LOST = re.compile(r"zlib error|cannot load content stream|object is not a stream|unknown keyword|"
                   r"non-page object|syntax error|format error|cannot find|unexpected|read error|decode error",
                   re.IGNORECASE)


def _warnings() -> list[str]:
    """MuPDF's warnings since the last call (they are also kept from being printed on stderr)."""
    text = pymupdf.TOOLS.mupdf_warnings(reset=True) or ""
    return [w for w in text.splitlines() if w.strip() and not w.startswith("... repeated")]


def pdf_pages(path: Path, options: ReadOptions, start: int = 0) -> Iterator[list[Row]]:
    """Rows of each page from page index `start` on (a part of a document read on another process)."""
    from . import note_damage

    password = options.password
    pymupdf.TOOLS.mupdf_display_errors(False)  # its messages are read below and said in one line
    pymupdf.TOOLS.mupdf_display_warnings(False)
    _warnings()
    try:
        doc = pymupdf.open(path, filetype="pdf")
        doc.page_count  # MuPDF only notices some damage when it counts pages
    except Exception as e:  # PyMuPDF raises its own FileDataError and plain RuntimeErrors
        raise InputError(f"damaged PDF, cannot be opened: {_mupdf_reason(e)}") from None
    repaired = False
    with doc:
        if doc.needs_pass:
            if not password:
                raise InputError("encrypted PDF: a password is needed (--password)")
            if not doc.authenticate(password):
                raise InputError("encrypted PDF: the password given does not open it")
        if doc.page_count == 0:
            raise InputError("PDF has no pages")
        for number in range(start, doc.page_count):
            if doc.is_repaired and not repaired:
                repaired = True
                note_damage(None, "PDF文件已损坏，经修复后读取，可能缺页或缺表")
            _warnings()
            try:
                page = doc[number]
                rows = page_rows(page) if options.ocr != "force" else []
            except Exception as e:  # a damaged page object or content stream
                raise InputError(f"damaged PDF, page {number + 1} cannot be read: {_mupdf_reason(e)}") from None
            lost = [w for w in _warnings() if _LOST.search(w)]
            if lost:
                note_damage(number + 1, lost[0][:120])
            if options.ocr == "force" or (options.ocr == "auto" and _needs_ocr(page, rows)):
                rows = ocr_rows(page, options.ocr_engine)
                if options.on_ocr:
                    options.on_ocr(path, number + 1)
            if (number - start) % 32 == 31:
                # MuPDF keeps fonts and images of pages already read in its store; emptying it now
                # and then keeps memory flat on documents of thousands of pages (and costs nothing:
                # pages are read once, in order)
                pymupdf.TOOLS.store_shrink(100)
            yield rows
        if doc.is_repaired and not repaired:
            note_damage(None, "PDF文件已损坏，经修复后读取，可能缺页或缺表")


def _mupdf_reason(e: Exception) -> str:
    """MuPDF's exception as words: `code=5: ...` and FzErrorLimit are not for people."""
    name, text = type(e).__name__, (str(e).splitlines() or [""])[0]
    if name == "FzErrorLimit" or "code=5" in text:
        return "exceeds a safety limit of the PDF library (too large, or a cyclic or bomb-like structure)"
    if isinstance(e, RecursionError):
        return "its structure loops (e.g. a cyclic page tree)"
    text = re.sub(r"^code=\d+:\s*", "", text)
    return text or name


def page_rows(page: pymupdf.Page) -> list[Row]:
    number = page.number + 1
    lines: list[Line] = []
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
                    d = ln["dir"]
                    # nearly every line reads left to right: no rounding for those
                    d = _LEFT_TO_RIGHT if d == _LEFT_TO_RIGHT else (round(d[0]), round(d[1]))
                    dirs[d] = dirs.get(d, 0) + len(text)
        elif kind == 3:
            vectors.append(block)
    if not lines:
        return []
    # Text drawn sideways (a landscape table placed on a portrait page without /Rotate): lay the
    # page out in the direction most of its text reads, and cite boxes in page coordinates.
    cos, sin = max(dirs, key=dirs.get)
    if (cos, sin) == (1, 0):
        # each line's box in the text's own reading direction: the page's own
        return layout(lines, [line.bbox for line in lines], Rulings(vectors), None)
    to_upright, to_page = turner(cos, sin), turner(cos, -sin)
    upright = [to_upright(line.bbox) for line in lines]
    vectors = [dict(v, bbox=to_upright(v["bbox"])) for v in vectors]
    return layout(lines, upright, Rulings(vectors), to_page)


_LEFT_TO_RIGHT = (1, 0)


# What a Chinese table's text layer is made of; anything else in quantity (U+FFFD, private-use
# glyph codes, Latin-1 mojibake of GBK bytes, control characters) means a broken font mapping.
# (Counted by its complement: a readable page has few of the others, so few matches to make.)
_UNREADABLE = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f"
                         r"\u2100-\u22ff\u2460-\u24ff\u0020-\u007e\u00b0\u00b1\u00d7\u00f7]")


def text_usable(text: str) -> bool:
    """Whether a page's text layer can be read as it is (else the page needs OCR)."""
    chars = "".join(text.split())
    if len(chars) < 8:
        return False
    good = len(chars) - len(_UNREADABLE.findall(chars))
    return good >= 0.8 * len(chars)


def _needs_ocr(page: pymupdf.Page, rows: list[Row]) -> bool:
    text = "".join(c.text for r in rows for c in r.cells)
    usable = text_usable(text)
    if usable and len(text) >= 30:
        return False  # the common case, decided without looking at the page's images (a pass of its own)
    images = page.get_image_info()
    if usable:
        # a scan with a few typed words on it (a stamp, a page number) is still a scan
        area = abs(page.rect)
        covered = sum(abs(pymupdf.Rect(i["bbox"]) & page.rect) for i in images)
        return area > 0 and covered >= 0.4 * area
    # nothing readable: worth OCR when something is drawn (an image, or text drawn as outlines)
    return bool(images) or len(page.get_cdrawings()) > 50
