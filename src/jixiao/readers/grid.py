"""Table cells rebuilt from a page's ruling lines, cheaply.

PyMuPDF's find_tables() costs 30-380 ms a page (and its layout gate misses compact tables);
the drawings themselves cost about 1 ms.  A text line's cell is the box bounded by the nearest
ruling on each side that actually crosses the line's centre, so merged cells (which have no
inner rulings) come out whole without any table model.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict

from ..document import Box

_SNAP = 1.0  # points: rulings closer than this are the same line
_SLACK = 2.5  # points: text may touch or slightly overlap its cell border


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(spans) == 1:
        a, b = spans[0]
        return [(a - _SNAP, b + _SNAP)]
    spans.sort()
    out: list[tuple[float, float]] = []
    rest = iter(spans)
    lo, hi = next(rest)  # the span being grown
    for a, b in rest:
        if a <= hi + _SNAP:
            if b > hi:
                hi = b
        else:
            out.append((lo - _SNAP, hi + _SNAP))
            lo, hi = a, b
    out.append((lo - _SNAP, hi + _SNAP))
    return out


class Rulings:
    """Horizontal and vertical rulings of one page, merged and indexed by position.

    Built from the vector blocks that MuPDF's text device collects in the same pass as the text
    (TEXT_COLLECT_VECTORS): it splits every path into its lines and rectangles, so a grid drawn
    as one path, as separate lines or as thin filled bars all arrive as rectangles here.
    """

    def __init__(self, vectors: list[dict]):
        hs: dict[int, list] = defaultdict(list)
        vs: dict[int, list] = defaultdict(list)
        for v in vectors:
            if not v.get("isrect"):
                continue  # curves and diagonals are no rulings
            x0, y0, x1, y1 = v["bbox"]
            if y1 - y0 <= 3.0:  # a stroked line or a thin bar: a horizontal rule
                hs[round((y0 + y1) / 2)].append((x0, x1))
            elif x1 - x0 <= 3.0:
                vs[round((x0 + x1) / 2)].append((y0, y1))
            elif v.get("stroked") or v.get("color") not in (0xFFFFFF, None):
                # a cell's outline, or a shaded cell (white backgrounds are not rulings)
                hs[round(y0)].append((x0, x1))
                hs[round(y1)].append((x0, x1))
                vs[round(x0)].append((y0, y1))
                vs[round(x1)].append((y0, y1))
        self.h_pos = sorted(hs)
        self.h_spans = [_merge(hs[k]) for k in self.h_pos]
        self.v_pos = sorted(vs)
        self.v_spans = [_merge(vs[k]) for k in self.v_pos]

    def __bool__(self) -> bool:
        return bool(self.h_pos and self.v_pos)

    # The four searches below are the hot loop of PDF reading (every text line, every page), so
    # they are written out flat in one method; spans were widened by _SNAP when merged.
    def cell_of(self, box: Box) -> Box | None:
        """The ruled cell around a text box, or None when the box is not inside a ruled cell.

        Each side is the nearest ruling beyond the box's edge (less _SLACK) that crosses the box's
        centre line."""
        x0, y0, x1, y1 = box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        pos, spans = self.v_pos, self.v_spans
        i = bisect_right(pos, x0 + _SLACK) - 1  # left: the nearest at or before x0 + _SLACK
        while i >= 0 and not _crosses(spans[i], cy):
            i -= 1
        if i < 0:
            return None
        left = pos[i]
        i, n = bisect_left(pos, x1 - _SLACK), len(pos)  # right: the nearest at or after x1 - _SLACK
        while i < n and not _crosses(spans[i], cy):
            i += 1
        if i == n:
            return None
        right = pos[i]
        pos, spans = self.h_pos, self.h_spans
        i = bisect_right(pos, y0 + _SLACK) - 1
        while i >= 0 and not _crosses(spans[i], cx):
            i -= 1
        if i < 0:
            return None
        top = pos[i]
        i, n = bisect_left(pos, y1 - _SLACK), len(pos)
        while i < n and not _crosses(spans[i], cx):
            i += 1
        if i == n:
            return None
        return (left, top, right, pos[i])


def _crosses(spans: list[tuple[float, float]], at: float) -> bool:
    """Whether one of a ruling position's spans reaches `at`."""
    for a, b in spans:
        if a <= at <= b:
            return True
    return False
