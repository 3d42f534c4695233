"""Text exports: UTF-8 (BOM or not), UTF-16 with BOM, GB18030/GBK; a line a row, cells split by ' | ' or tabs."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from ..document import Cell, InputError, Line, Row

TEXT_SUFFIXES = {".txt", ".text", ".csv", ".tsv", ".md"}


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head.replace(b"\xff\xfe", b"").replace(b"\xfe\xff", b"")[:512] and not head.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        return False
    try:
        decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return False


def decode(data: bytes, final: bool = True) -> str:
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


def text_pages(path: Path) -> Iterator[list[Row]]:
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise InputError("text file is neither UTF-8 nor GB18030/GBK") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    ended = ends_with_pipe(lines)
    rows: list[Row] = []
    held: list[Line] = []  # the first lines of a cell wrapped over several lines
    for lineno, raw in enumerate(lines, 1):
        for piece in raw.split("\f"):  # a form feed is a page break in text exports
            if piece is not raw and rows:
                yield rows
                rows = []
            if not piece.strip():
                continue
            if ended and rows and "|" not in piece and "\t" not in piece:
                held.append(Line(piece.strip(), None, None, lineno))
                continue
            cells = [Cell(c, [Line(c, None, None, lineno)], None) for c in split_cells(piece)]
            if held and not cells[0].text:
                rows.extend(Row([Cell(x.text, [x], None)]) for x in held)
                held = []
            if held:
                first = cells[0]
                cells[0] = Cell("\n".join([x.text for x in held] + [first.text]), held + first.lines, None)
                held = []
            rows.append(Row(cells))
    rows.extend(Row([Cell(x.text, [x], None)]) for x in held)
    yield rows


def ends_with_pipe(lines: list[str]) -> bool:
    """Every cell of the page ends with ' |' (an HTML table flattened one cell a line): a line
    without it is the first part of a cell wrapped over two lines, not a cell of its own."""
    filled = [x.rstrip() for x in lines if x.strip()]
    return len(filled) >= 20 and sum(x.endswith("|") for x in filled) >= 0.75 * len(filled)
