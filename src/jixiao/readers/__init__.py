"""Readers: a file in, rows of cells out, one page at a time; one module per kind of input.

Every cell keeps the lines it was made of, and every line its page and box (PDF, image) or line
number (text), so later stages can cite where any value was read.  Pages are yielded one by one
and nothing of a finished page is kept, so memory does not grow with the document.  The PDF and
image readers (PyMuPDF, OCR) are imported only when such a file is read.

To add a kind of input: a module here with a `*_pages(path, options)` generator, and one branch
in `read_pages` below that recognises it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from ..document import InputError, Row
from ..settings import ReadOptions
from .text import TEXT_SUFFIXES, looks_like_text, text_pages

# web pages, spreadsheets and Word documents (readers/html.py, sheet.py, ods.py, word.py): their libraries
# (lxml, openpyxl, xlrd) are imported only when such a file is read
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".mhtml", ".mht"}
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".ods"}
WORD_SUFFIXES = {".docx", ".docm", ".doc", ".wps"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
# every suffix a folder is searched for (cli.py)
SUFFIXES = {".pdf"} | TEXT_SUFFIXES | IMAGE_SUFFIXES | HTML_SUFFIXES | SHEET_SUFFIXES | WORD_SUFFIXES
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


_DAMAGE: ContextVar[list | None] = ContextVar("jixiao_damage", default=None)


@contextlib.contextmanager
def collecting_damage(into: list[tuple[int | None, str]]) -> Iterator[list]:
    """Collect, while reading, what a reader noticed was damaged: (page or None for the whole file, reason)."""
    token = _DAMAGE.set(into)
    try:
        yield into
    finally:
        _DAMAGE.reset(token)


def note_damage(page: int | None, reason: str) -> None:
    """A reader saying that part of its input is damaged and may have been read incompletely."""
    into = _DAMAGE.get()
    if into is not None and (page, reason) not in into:
        into.append((page, reason))


def read_pages(path: Path, options: ReadOptions | None = None) -> Iterator[list[Row]]:
    """Rows of each page of a PDF, image or text file, in page order."""
    from ..fileio import not_regular

    options = options or ReadOptions()
    if (why := not_regular(path)) is not None:  # never open a FIFO or a device: it would block
        raise InputError(why)
    with open(path, "rb") as f:
        head = f.read(1024)
    if not head:
        raise InputError("empty file (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES or suffix in WORD_SUFFIXES or head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        yield from _office_pages(path, head, suffix)
    elif suffix in HTML_SUFFIXES:
        from .html import html_pages

        yield from html_pages(path)
    elif b"%PDF-" in head:
        from .pdf import pdf_pages

        yield from pdf_pages(path, options)
    elif path.suffix.lower() == ".pdf":
        raise InputError("not a PDF (no %PDF header): the file is damaged or of another type")
    elif head.startswith(_IMAGE_MAGIC):
        from .image import image_pages

        yield from image_pages(path, options)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"not a {path.suffix.lower()[1:].upper()} image: the file is damaged or of another type")
    elif suffix in TEXT_SUFFIXES:
        yield from text_pages(path)
    elif _looks_like_html(head):
        from .html import html_pages

        yield from html_pages(path)
    elif looks_like_text(head):
        yield from text_pages(path)
    else:
        raise InputError(f"unsupported file type {path.suffix or '(no suffix)'}: "
                         "give a PDF, a PNG/JPEG/TIFF image, a web page (.html/.htm/.mhtml), "
                         "a spreadsheet (.xlsx/.xlsm/.xls/.ods), a Word document (.docx) or a text export")


def _looks_like_html(head: bytes) -> bool:
    h = head.lstrip(b"\xef\xbb\xbf").lstrip()[:512].lower()
    return h.startswith((b"<!doctype html", b"<html"))


def _office_pages(path: Path, head: bytes, suffix: str) -> Iterator[list[Row]]:
    """Spreadsheets and Word documents, told apart by their container (zip or OLE) and suffix."""
    if head.startswith(_OLE_MAGIC):
        if suffix in (".doc", ".wps", ".docx", ".docm"):
            raise InputError("old binary Word document (.doc): open it in Word or WPS and save it as .docx")
        if suffix in (".xls", ".et") or suffix not in WORD_SUFFIXES:
            from .sheet import xls_pages

            yield from xls_pages(path)
            return
    if head.startswith(_ZIP_MAGIC):
        from .ods import is_ods, ods_pages
        from .word import is_docx

        if suffix == ".ods" or (suffix not in SHEET_SUFFIXES | WORD_SUFFIXES and is_ods(path)):
            yield from ods_pages(path)
            return

        if suffix in WORD_SUFFIXES or (suffix not in SHEET_SUFFIXES and is_docx(path)):
            from .word import docx_pages

            yield from docx_pages(path)
            return
        if suffix in SHEET_SUFFIXES or suffix not in WORD_SUFFIXES:
            from .sheet import xlsx_pages

            yield from xlsx_pages(path)
            return
    kind = "spreadsheet" if suffix in SHEET_SUFFIXES else "Word document"
    raise InputError(f"not a {suffix[1:]} {kind} (neither a zip nor an OLE container): "
                     "the file is damaged or of another type")
