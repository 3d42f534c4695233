"""Scans and photos: a page image read by OCR into the same lines and ruled cells as a text page.

Image files (PNG, JPEG, TIFF frames) come here whole; PDF pages come here when their text layer is
unusable.  Boxes are mapped back through straightening and turns to the original page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..document import Box, InputError, Line, OcrInfo, Row, content_confidence
from ..settings import ReadOptions
from ._mupdf import pymupdf
from .grid import Rulings
from .layout import layout

MAX_IMAGE_PIXELS = 100_000_000  # a decompression bomb is refused before it is decoded
_MAX_RENDER_SIDE = 3508  # px: A4 at 300 dpi; larger scans are read scaled down


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


def image_pages(path: Path, options: ReadOptions) -> Iterator[list[Row]]:
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
