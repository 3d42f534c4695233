"""Table cells rebuilt from a page's ruling lines, cheaply.

PyMuPDF's find_tables() costs 30-380 ms a page (and its layout gate misses compact tables);
the drawings themselves cost about 1 ms.  A text line's cell is the box bounded by the nearest
ruling on each side that actually crosses the line's centre, so merged cells (which have no
inner rulings) come out whole without any table model.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

Box = tuple[float, float, float, float]

_SNAP = 1.0  # points: rulings closer than this are the same line
_SLACK = 2.5  # points: text may touch or slightly overlap its cell border


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    spans.sort()
    out: list[list[float]] = []
    for a, b in spans:
        if out and a <= out[-1][1] + _SNAP:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


class Rulings:
    """Horizontal and vertical rulings of one page, merged and indexed by position."""

    def __init__(self, drawings: list[dict]):
        hs: dict[float, list] = defaultdict(list)
        vs: dict[float, list] = defaultdict(list)
        for d in drawings:
            if d.get("type") == "f" and d.get("fill") in ((1.0, 1.0, 1.0), None):
                continue  # white backgrounds are not rulings
            for item in d["items"]:
                kind = item[0]
                if kind == "re":
                    x0, y0, x1, y1 = item[1]
                    if y1 - y0 <= 2.0:  # a thin filled rect drawn as a horizontal rule
                        hs[round((y0 + y1) / 2)].append((x0, x1))
                    elif x1 - x0 <= 2.0:
                        vs[round((x0 + x1) / 2)].append((y0, y1))
                    else:
                        hs[round(y0)].append((x0, x1))
                        hs[round(y1)].append((x0, x1))
                        vs[round(x0)].append((y0, y1))
                        vs[round(x1)].append((y0, y1))
                elif kind == "l":
                    (x0, y0), (x1, y1) = item[1], item[2]
                    if abs(y1 - y0) < 1.0:
                        hs[round(y0)].append((min(x0, x1), max(x0, x1)))
                    elif abs(x1 - x0) < 1.0:
                        vs[round(x0)].append((min(y0, y1), max(y0, y1)))
        self.h_pos = sorted(hs)
        self.h_spans = [_merge(hs[k]) for k in self.h_pos]
        self.v_pos = sorted(vs)
        self.v_spans = [_merge(vs[k]) for k in self.v_pos]

    def __bool__(self) -> bool:
        return bool(self.h_pos and self.v_pos)

    @staticmethod
    def _crosses(spans: list[tuple[float, float]], at: float) -> bool:
        return any(a - _SNAP <= at <= b + _SNAP for a, b in spans)

    def _before(self, pos: list[float], spans: list, limit: float, at: float) -> float | None:
        i = bisect_right(pos, limit) - 1
        while i >= 0:
            if self._crosses(spans[i], at):
                return pos[i]
            i -= 1
        return None

    def _after(self, pos: list[float], spans: list, limit: float, at: float) -> float | None:
        i = bisect_right(pos, limit)
        # bisect_right gives the first position > limit; step back over equal ones
        while i > 0 and pos[i - 1] >= limit:
            i -= 1
        while i < len(pos):
            if self._crosses(spans[i], at):
                return pos[i]
            i += 1
        return None

    def cell_of(self, box: Box) -> Box | None:
        """The ruled cell around a text box, or None when the box is not inside a ruled cell."""
        x0, y0, x1, y1 = box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left = self._before(self.v_pos, self.v_spans, x0 + _SLACK, cy)
        if left is None:
            return None
        right = self._after(self.v_pos, self.v_spans, x1 - _SLACK, cy)
        if right is None:
            return None
        top = self._before(self.h_pos, self.h_spans, y0 + _SLACK, cx)
        if top is None:
            return None
        bottom = self._after(self.h_pos, self.h_spans, y1 - _SLACK, cx)
        if bottom is None:
            return None
        return (left, top, right, bottom)
