"""The pipeline's types: what readers produce and every later stage reads.

A reader turns a file into pages of `Row`s; a row is `Cell`s; a cell is the `Line`s it was made of;
a line keeps where it stands (page and box for PDFs and images, line number for text), so any
value read later can be cited.  Nothing here imports a reader, so chunk, extract and check depend
on the types alone.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


class InputError(Exception):
    """A file that cannot be read; the message is one line meant for the user."""


@dataclass(slots=True)
class Line:
    text: str
    page: int | None  # 1-based; None for text files
    bbox: Box | None  # unrotated page coordinates, points
    lineno: int | None  # 1-based line of a text file
    conf: float | None = None  # OCR: the least sure probability among its content characters
    char_confs: tuple[float, ...] | None = None  # OCR: each character's probability
    cell: str | None = None  # spreadsheet cell ('项目1!D12') or HTML/Word table cell ('表2 R5C3')


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


# A misread colon, comma or bracket changes nothing that is extracted (fold() evens them out),
# and OCR is least sure of exactly these, so they do not count towards a line's confidence.
NEUTRAL = set(":：,，.。;；、()（）[]【】\"'“”‘’ ")


def content_confidence(text: str, confs: tuple[float, ...] | None) -> float | None:
    if not confs:
        return None
    kept = [c for ch, c in zip(text, confs) if ch not in NEUTRAL]
    return min(kept) if kept else None
