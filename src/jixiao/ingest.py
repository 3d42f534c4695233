"""Ingest: a PDF, a scan or photo, or a text export in, rows of cells out, one page at a time.

Every cell keeps the lines it was made of, and every line its page and box (PDF, image) or line
number (text), so later stages can cite where any value was read.  A page without a usable text
layer, and every image file, is read by OCR (ocr.py) into the same lines and ruled cells as a
text page.  Pages are yielded one by one and nothing of a finished page is kept, so memory does
not grow with the document.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from .grid import Box, Rulings

# Text extraction flags: the dict defaults without images (their pixels would be copied into
# Python for nothing), with vectors, so the rulings come from the same pass over the page.  MuPDF's
# own OCR never runs: OCR is only ever asked for explicitly, below.
_TEXT_FLAGS = (pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES) | pymupdf.TEXT_COLLECT_VECTORS
TEXT_SUFFIXES = {".txt", ".text", ".csv", ".tsv", ".md"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
MAX_IMAGE_PIXELS = 100_000_000  # a decompression bomb is refused before it is decoded
_MAX_RENDER_SIDE = 3508  # px: A4 at 300 dpi; larger scans are read scaled down


class InputError(Exception):
    """A file that cannot be read; the message is one line meant for the user."""


OCR_MODES = ("auto", "force", "off")
OCR_ENGINES = ("rapidocr", "tesseract")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How files are opened: a password for encrypted PDFs, and when and how pages are OCR'd."""

    password: str | None = None
    ocr: str = "auto"  # auto: pages without a usable text layer, and images; force: every page; off: never
    ocr_engine: str = "rapidocr"
    on_ocr: Callable[[Path, int], None] | None = None  # told of each page OCR'd (seconds each): progress


@dataclass(slots=True)
class Line:
    text: str
    page: int | None  # 1-based; None for text files
    bbox: Box | None  # unrotated page coordinates, points
    lineno: int | None  # 1-based line of a text file
    conf: float | None = None  # OCR: the least sure probability among its content characters
    char_confs: tuple[float, ...] | None = None  # OCR: each character's probability


@dataclass(slots=True)
class Cell:
    text: str
    lines: list[Line]
    bbox: Box | None = None  # the ruled cell, or the text's own box, upright: used for layout
    page_bbox: Box | None = None  # the same box in page coordinates: used for citing

    @property
    def page(self) -> int | None:
        return self.lines[0].page if self.lines else None


@dataclass(frozen=True, slots=True)
class OcrInfo:
    engine: str
    turns: int  # clockwise quarter turns that made the page upright
    skew: float  # degrees of small rotation straightened out


@dataclass(slots=True)
class Row:
    cells: list[Cell]
    page: int | None = None
    ruled: bool = False  # cells come from a ruled grid, so their boxes are column positions
    ocr: OcrInfo | None = None  # how the row was read from a page image, if it was

    @property
    def text(self) -> str:
        return " | ".join(c.text for c in self.cells)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
        yield from _pdf_pages(path, options)
    elif path.suffix.lower() == ".pdf":
        raise InputError("not a PDF (no %PDF header): the file is damaged or of another type")
    elif head.startswith(_IMAGE_MAGIC):
        yield from _image_pages(path, options)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"not a {path.suffix.lower()[1:].upper()} image: the file is damaged or of another type")
    elif path.suffix.lower() in TEXT_SUFFIXES or _looks_like_text(head):
        yield from _text_pages(path)
    else:
        raise InputError(f"unsupported file type {path.suffix or '(no suffix)'}: "
                         "give a PDF, a PNG/JPEG/TIFF image or a text export")


# ---------------------------------------------------------------------------------------------
# PDF


def _pdf_pages(path: Path, options: ReadOptions) -> Iterator[list[Row]]:
    password = options.password
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
            page = doc[number]
            try:
                rows = page_rows(page) if options.ocr != "force" else []
            except Exception as e:  # a damaged page object or content stream
                raise InputError(f"damaged PDF, page {number + 1} cannot be read: {e}") from None
            if options.ocr == "force" or (options.ocr == "auto" and _needs_ocr(page, rows)):
                rows = ocr_rows(page, options.ocr_engine)
                if options.on_ocr:
                    options.on_ocr(path, number + 1)
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
    return layout(lines, upright, Rulings(vectors), to_page)


def layout(lines: list[Line], upright: list[Box], rulings: Rulings, to_page=None) -> list[Row]:
    """Rows of cells from a page's lines (each with its box in reading direction) and rulings.

    A line inside a ruled cell joins the other lines of that cell; a line outside any is a cell of
    its own.  `to_page` maps an upright box back to page coordinates, for citing (None: same).
    """
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
        page_box = to_page(box) if to_page else box
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
# Scans and photos: OCR into the same lines and cells

# What a Chinese table's text layer is made of; anything else in quantity (U+FFFD, private-use
# glyph codes, Latin-1 mojibake of GBK bytes, control characters) means a broken font mapping.
_READABLE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f"
                       r"\u2100-\u22ff\u2460-\u24ff\u0020-\u007e\u00b0\u00b1\u00d7\u00f7]")


def text_usable(text: str) -> bool:
    """Whether a page's text layer can be read as it is (else the page needs OCR)."""
    chars = "".join(text.split())
    if len(chars) < 8:
        return False
    good = len(_READABLE.findall(chars))
    return good >= 0.8 * len(chars)


# A misread colon, comma or bracket changes nothing that is extracted (fold() evens them out),
# and OCR is least sure of exactly these, so they do not count towards a line's confidence.
NEUTRAL = set(":：,，.。;；、()（）[]【】\"'“”‘’ ")


def content_confidence(text: str, confs: tuple[float, ...] | None) -> float | None:
    if not confs:
        return None
    kept = [c for ch, c in zip(text, confs) if ch not in NEUTRAL]
    return min(kept) if kept else None


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


def ocr_rows(page: pymupdf.Page, engine: str = "rapidocr") -> list[Row]:
    """The rows of a page read by OCR, with boxes in the page's unrotated coordinates."""
    import numpy as np

    from . import ocr, scan

    number = page.number + 1
    infos = page.get_image_info()
    for info in infos:
        if info["width"] * info["height"] > MAX_IMAGE_PIXELS:
            raise InputError(f"page {number}: an image of {info['width']}x{info['height']} pixels is over the "
                             f"{MAX_IMAGE_PIXELS // 1_000_000}-megapixel limit (a decompression bomb?)")
    # the page's own image resolution when it is a scan (no resampling), else 200 dpi
    zoom = 200 / 72
    if infos:
        big = max(infos, key=lambda i: abs(pymupdf.Rect(i["bbox"])))
        width = pymupdf.Rect(big["bbox"]).width
        if width > 0:
            zoom = big["width"] / width
    zoom = min(zoom, _MAX_RENDER_SIDE / max(page.rect.width, page.rect.height, 1))
    try:
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB, alpha=False)
    except Exception as e:
        raise InputError(f"page {number}: the page image cannot be decoded: {e}") from None
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3)[:, :, ::-1]
    del pix
    try:
        read = ocr.read_image(np.ascontiguousarray(img), engine)
    except ocr.OcrUnavailable as e:
        raise InputError(f"page {number} needs OCR: {e}") from None
    unrotate = page.derotation_matrix
    back = read.to_original

    def to_page(box: Box) -> Box:
        # a box of the upright working image (in points) -> unrotated page coordinates
        x0, y0, x1, y1 = (v * zoom for v in box)
        pts = scan.map_points(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), back) / zoom
        r = pymupdf.Rect(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()) * unrotate
        return (round(r.x0, 2), round(r.y0, 2), round(r.x1, 2), round(r.y1, 2))

    lines: list[Line] = []
    upright: list[Box] = []
    for w in read.words:
        xs, ys = w.quad[:, 0] / zoom, w.quad[:, 1] / zoom
        box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        lines.append(Line(w.text, number, to_page(box), None, content_confidence(w.text, w.confs), w.confs))
        # the detector pads each box beyond its ink; looking a cell up by the padded box could
        # reach across the ruling next to it, so the layout uses the box's core
        dx, dy = min((box[2] - box[0]) * 0.2, (box[3] - box[1]) * 0.3), (box[3] - box[1]) * 0.2
        upright.append((box[0] + dx, box[1] + dy, box[2] - dx, box[3] - dy))
    vectors = [dict(isrect=True, bbox=(x0 / zoom, y0 / zoom - 0.3, x1 / zoom, y1 / zoom + 0.3)) for x0, y0, x1, y1 in read.h_rules]
    vectors += [dict(isrect=True, bbox=(x0 / zoom - 0.3, y0 / zoom, x1 / zoom + 0.3, y1 / zoom)) for x0, y0, x1, y1 in read.v_rules]
    rows = layout(lines, upright, Rulings(vectors), to_page)
    info = OcrInfo(engine, read.turns, read.skew)
    for r in rows:
        r.ocr = info
    _release_page_memory()
    return rows


def _release_page_memory() -> None:
    """Hand a scanned page's memory back: MuPDF's store keeps its decoded image, and glibc keeps
    the freed page-sized arrays in its arenas (measured on 28 scanned pages: peak RSS 745 MB
    without this, 579 MB with it)."""
    pymupdf.TOOLS.store_shrink(100)
    if _libc is not None:
        _libc.malloc_trim(0)


def _glibc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, Windows, musl without the symbol)
        return None


_libc = _glibc()


def _image_pages(path: Path, options: ReadOptions) -> Iterator[list[Row]]:
    if options.ocr == "off":
        raise InputError("an image can only be read by OCR, and OCR is off (--ocr off)")
    try:
        doc = pymupdf.open(path)
        count = doc.page_count
    except Exception as e:
        raise InputError(f"damaged image, cannot be opened: {e}") from None
    with doc:
        if count == 0:
            raise InputError("image has no frames")
        for number in range(count):
            rows = ocr_rows(doc[number], options.ocr_engine)
            if options.on_ocr:
                options.on_ocr(path, number + 1)
            yield rows


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
