"""Readers: a file in, rows of cells out, one page at a time; one module per kind of input.

Every cell keeps the lines it was made of, and every line its page and box (PDF, image) or line
number (text), so later stages can cite where any value was read.  Pages are yielded one by one
and nothing of a finished page is kept, so memory does not grow with the document.  The PDF and
image readers (PyMuPDF, OCR) are imported only when such a file is read.

To add a kind of input: a module here with a `*_pages(path, options)` generator, and one branch
in `read_pages` below that recognises it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..document import InputError, Row
from ..settings import ReadOptions
from .text import TEXT_SUFFIXES, looks_like_text, text_pages

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
SUFFIXES = {".pdf"} | IMAGE_SUFFIXES | TEXT_SUFFIXES  # what a folder given as input is searched for
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def read_pages(path: Path, options: ReadOptions | None = None) -> Iterator[list[Row]]:
    """Rows of each page of a PDF, image or text file, in page order."""
    options = options or ReadOptions()
    if not path.exists():
        raise InputError("no such file")
    if path.is_dir():
        raise InputError("is a directory")
    with open(path, "rb") as f:
        head = f.read(1024)
    if not head:
        raise InputError("empty file (0 bytes)")
    if b"%PDF-" in head:
        from .pdf import pdf_pages

        yield from pdf_pages(path, options)
    elif path.suffix.lower() == ".pdf":
        raise InputError("not a PDF (no %PDF header): the file is damaged or of another type")
    elif head.startswith(_IMAGE_MAGIC):
        from .image import image_pages

        yield from image_pages(path, options)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"not a {path.suffix.lower()[1:].upper()} image: the file is damaged or of another type")
    elif path.suffix.lower() in TEXT_SUFFIXES or looks_like_text(head):
        yield from text_pages(path)
    else:
        raise InputError(f"unsupported file type {path.suffix or '(no suffix)'}: "
                         "give a PDF, a PNG/JPEG/TIFF image or a text export")
