"""Ground: where a string stands in a chunk's source text (character level, for Chinese).

NFKC and no whitespace on both sides; an exact match first, then the best fuzzy window of the
string's length (difflib), as langextract does.  Token aligners fail on Chinese, hence characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from .chunk import Chunk
from .document import NEUTRAL
from .models import Evidence, TableData

Status = Literal["exact", "fuzzy", "not_found"]


@dataclass
class Located:
    text: str  # folded
    owners: list[int]  # for each character, the index of the line it came from
    confs: list[float | None]  # for each character, its OCR probability (None: not OCR'd, or neutral)
    lines: list  # (text, page, bbox, lineno, cell)


def _fold_chars(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def source_text(chunk: Chunk) -> Located:
    text: list[str] = []
    owners: list[int] = []
    confs: list[float | None] = []
    lines = []
    for row in chunk.rows:
        for cell in row.cells:
            for ln in cell.lines:
                folded = _fold_chars(ln.text)
                if not folded:
                    continue
                lines.append((ln.text.strip(), ln.page, ln.bbox, ln.lineno, ln.cell))
                text.append(folded)
                owners.extend([len(lines) - 1] * len(folded))
                confs.extend(_char_confs(ln) if ln.char_confs else [None] * len(folded))
    return Located("".join(text), owners, confs, lines)


def _char_confs(ln) -> list[float | None]:
    # fold character by character, so each folded character keeps the probability of its origin
    out: list[float | None] = []
    for ch, p in zip(ln.text, ln.char_confs):
        out.extend([None if ch in NEUTRAL else p] * len(_fold_chars(ch)))
    return out


def confidence(src: Located, start: int, end: int) -> float | None:
    """The least sure OCR probability among the source characters start:end (None: not OCR'd)."""
    got = [c for c in src.confs[start:end] if c is not None]
    return min(got) if got else None


def where(src: Located, start: int, end: int) -> tuple[int | None, tuple | None, int | None, float | None]:
    """Page, box, text line and OCR confidence of the source characters start:end."""
    idx = sorted(set(src.owners[start:end]))
    if not idx:
        return None, None, None, None
    first = src.lines[idx[0]]
    boxes = [src.lines[i][2] for i in idx if src.lines[i][2] is not None and src.lines[i][1] == first[1]]
    bbox = None
    if boxes:
        bbox = (round(min(b[0] for b in boxes), 2), round(min(b[1] for b in boxes), 2),
                round(max(b[2] for b in boxes), 2), round(max(b[3] for b in boxes), 2))
    return first[1], bbox, first[3], confidence(src, start, end)


def cell_of(src: Located, start: int, end: int) -> str | None:
    """The spreadsheet, web or Word cell where the source characters start:end begin, if any."""
    idx = src.owners[start:end]
    return src.lines[idx[0]][4] if idx else None


def locate(src: Located, text: str, threshold: float) -> tuple[Status, int, int]:
    """Where text stands in the source: exact, else the best fuzzy window at or above threshold."""
    q = _fold_chars(text)
    if not q:
        return "exact", 0, 0
    pos = src.text.find(q)
    if pos >= 0:
        return "exact", pos, pos + len(q)
    matcher = SequenceMatcher(None, q, src.text, autojunk=False)
    best = (0.0, 0, 0)
    for block in matcher.get_matching_blocks():
        if block.size == 0:
            continue
        # a window of the query's length around each matching run of characters
        start = max(0, block.b - block.a)
        for s in (start, max(0, start - 2), start + 2):
            window = src.text[s:s + len(q)]
            ratio = SequenceMatcher(None, q, window, autojunk=False).ratio()
            if ratio > best[0]:
                best = (ratio, s, s + len(window))
    if best[0] >= threshold:
        return "fuzzy", best[1], best[2]
    return "not_found", 0, 0



def strings(table: TableData) -> list[tuple[str, str]]:
    """Every string field of a table with its path: header, goals, indicator names and values."""
    out = [(k, getattr(table, k)) for k in ("title", "project_name", "competent_department", "implementing_unit",
                                             "project_attribute", "project_period")]
    out += [(f"overall_goals[{i}]", g) for i, g in enumerate(table.overall_goals)]
    out += [(f"annual_goals[{i}]", g) for i, g in enumerate(table.annual_goals)]
    for i, ind in enumerate(table.indicators):
        out += [(f"indicators[{i}].name", ind.name), (f"indicators[{i}].value_text", ind.value_text)]
    return [(k, v) for k, v in out if v]


def evidence_for(table: TableData, chunk: Chunk, threshold: float = 0.75) -> dict[str, Evidence]:
    """Where each string of a table (read by any backend) stands in its chunk."""
    src = source_text(chunk)
    out = {}
    for key, text in strings(table):
        status, start, end = locate(src, text, threshold)
        if status != "not_found" and end > start:
            page, bbox, line, conf = where(src, start, end)
            # the validating constructor: faster than model_construct, which loops in Python
            out[key] = Evidence(page=page, bbox=bbox, line=line, confidence=conf, cell=cell_of(src, start, end))
    return out
