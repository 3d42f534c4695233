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
    """The pages (form feeds break them) of a text export, each a list of rows, read as a stream: a
    50 MB export of 30,000 tables holds one page in memory at a time, never the whole text.  The
    file is read twice: once to choose its encoding and to see whether every cell ends with ' |'
    (a property of the whole file, see ends_with_pipe), once to make the rows."""
    encoding, filled, piped = _survey(path)
    ended = filled >= 20 and piped >= 0.75 * filled
    rows: list[Row] = []
    held: list[Line] = []  # the first lines of a cell wrapped over several lines
    with _open(path, encoding) as f:
        for lineno, raw in enumerate(f, 1):
            raw = raw[:-1] if raw.endswith("\n") else raw
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


def _open(path: Path, encoding: str):
    # universal newlines: CRLF and a lone CR read as LF, as the exports of old Windows and Mac tools have them
    return open(path, encoding=encoding, errors="strict", newline=None)


def _survey(path: Path) -> tuple[str, int, int]:
    """The file's encoding (as decode() chooses it: a BOM, else UTF-8 if the whole file is, else
    GB18030), and its filled lines and those ending with '|', in one streamed pass."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        choices = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        choices = ["utf-16"]
    else:
        choices = ["utf-8", "gb18030"]
    for encoding in choices:
        filled = piped = 0
        try:
            with _open(path, encoding) as f:
                for line in f:
                    line = line.rstrip()
                    if line:
                        filled += 1
                        piped += line.endswith("|")
        except UnicodeDecodeError:
            continue
        return encoding, filled, piped
    raise InputError("text file is neither UTF-8 nor GB18030/GBK")


def ends_with_pipe(lines: list[str]) -> bool:
    """Every cell of the page ends with ' |' (an HTML table flattened one cell a line): a line
    without it is the first part of a cell wrapped over two lines, not a cell of its own."""
    filled = [x.rstrip() for x in lines if x.strip()]
    return len(filled) >= 20 and sum(x.endswith("|") for x in filled) >= 0.75 * len(filled)
