"""The goals section: overall (总体/中期/长期/实施期) and annual (年度) goals."""

from __future__ import annotations

from ...document import Cell, Row
from .patterns import patterns
from .sections import Section
from ...values import squash
from .segment import is_label, Joined, at_cell_start, best_column, clean_value, labels_in


class GoalsReader:
    # -- goals ---------------------------------------------------------------------------------
    def _goals(self, row: Row) -> None:
        self.section = Section.GOALS
        # a label spaced out in its cell (绩 效 目 标) is still the label
        row = Row([Cell(squash(c.text), c.lines, c.bbox, c.page_bbox) if is_label(c.text) else c for c in row.cells],
                  row.page, row.ruled)
        j = Joined(row)
        hits = [h for h in labels_in(patterns().goal, patterns().goal_kinds, j.text) if at_cell_start(j.text, h[1])]
        spans = []
        for n, (kind, _s, end, _m) in enumerate(hits):
            stop = hits[n + 1][1] if n + 1 < len(hits) else len(j.text)
            spans.append((kind, end, j.text[end:stop]))
        labelled = [s for s in spans if s[0] in ("overall", "annual")]
        if labelled and all(not clean_value(t) for _k, _e, t in labelled):
            # a header row (总体目标 | 中期目标 | 年度目标): the goal text is in the row(s) below
            columns = [(k, j.cell_at(e - 1)) for k, e, _t in labelled]
            if self.goal_columns and self.goal_header_open and len(row.cells) == 1 and not row.ruled:
                columns = self.goal_columns + columns  # the header printed one label per line
            self.goal_columns = columns
            self.goal_header_open = True  # until a goal text comes
            self.goal_kind = None
            return
        self.goal_columns = []
        if not labelled and any(clean_value(t) for _k, _e, t in spans):
            # one 绩效目标 cell with no 年度/总体 label: the annual goal (contract)
            spans = [("annual", e, t) for _k, e, t in spans]
        for kind, end, text in spans:
            if kind not in ("overall", "annual"):
                continue
            self.goal_kind = kind
            self.goal_cell.setdefault(kind, j.cell_at(end - 1))
            self._add_goal_text(kind, text)

    def _add_goal_text(self, kind: str, text: str) -> None:
        self.goal_header_open = False
        text = text.replace(Joined.SEP, "\n").strip().lstrip("：:")
        if text:
            self.goal_text[kind].append(text)

    def _goal_continuation(self, row: Row) -> None:
        if self.goal_columns and len(row.cells) == 1 and not row.ruled and len(self.goal_columns) > 1:
            self.goal_stream.append(row.cells[0])  # goal texts one per line under their labels
            self.goal_header_open = False
            return
        if self.goal_columns:
            kinds = self._distribute(row, self.goal_columns)
            for kind, cell in kinds:
                self.goal_cell.setdefault(kind, cell)
                self._add_goal_text(kind, cell.text)
        elif self.goal_kind is not None:
            for c in row.cells:
                self._add_goal_text(self.goal_kind, c.text)

    def _distribute(self, row: Row, columns: list[tuple[str, Cell]]) -> list[tuple[str, Cell]]:
        """Pair the cells of a row with the header columns above them."""
        cells = [c for c in row.cells if c.text.strip()]
        if row.ruled and all(c.bbox for _k, c in columns):
            return [(best_column(c, columns), c) for c in cells if best_column(c, columns)]
        if len(cells) == 1 and len(columns) > 1:
            # one goal cell under a 总体目标 | 年度目标 header is the annual goal (contract)
            kinds = [k for k, _c in columns]
            return [("annual" if "annual" in kinds else kinds[-1], cells[0])]
        kinds = [k for k, _c in columns][-len(cells):]  # merged cells drop leftmost columns
        return list(zip(kinds, cells))

    # -- indicators ----------------------------------------------------------------------------

    def _settle_goals(self) -> None:
        """Goal texts printed one per line under a 总体目标 / 中期目标 / 年度目标 header.

        Blank cells are not printed, so texts cannot be placed by position: a single text is the
        annual goal (contract), otherwise the last is the annual goal and those before it the
        overall ones, in page order.
        """
        cells, self.goal_stream = self.goal_stream, []
        if not cells:
            return
        kinds = ["annual"] if len(cells) == 1 else ["overall"] * (len(cells) - 1) + ["annual"]
        for kind, cell in zip(kinds, cells):
            self.goal_cell.setdefault(kind, cell)
            self._add_goal_text(kind, cell.text)
