"""The parser: one table chunk, row by row, through its sections.

A small state machine walks the rows: heading, header fields, funds, goals, indicator block.  Each
section has its own reader (head, funds, goals, indicators); this module dispatches rows to them
and assembles the result.  A field the table does not have stays null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...chunk import Chunk, is_title
from ...document import Cell, Row
from ...models import Evidence, Indicator, TableData
from ...values import fold, squash
from .coverage import Reading, measure
from .funds import FundsReader
from .goals import GoalsReader
from .head import YEAR, HeadReader
from .indicators import BLOCK, IndicatorReader, Pending
from . import vocabulary as V
from .patterns import patterns, pinned
from .sections import Section

from .segment import (evidence_of, join_broken_labels, merge_fragments, pair_keys, regroup_pipe_rows, split_goals,
                      split_run_together, strip_code)

# ---------------------------------------------------------------------------------------------
# The parser


@dataclass
class Result:
    table: TableData
    evidence: dict[str, Evidence]
    notes: list[str] = field(default_factory=list)
    reading: Reading | None = None  # how much of its source the reading accounted for


class _Parser(HeadReader, FundsReader, GoalsReader, IndicatorReader):
    def __init__(self, chunk: Chunk):
        self.chunk = chunk
        self.done: list[Result] = []  # earlier projects of a table that lists several
        self.section = Section.HEAD
        self.fund_unit = "万元"
        # text of columns and rows left out on purpose (权重, 评分标准, totals), for the whole chunk
        # as the rows the coverage measures are
        self.dropped: list[str] = []
        self.title_inherited = False  # the heading is one shared by several tables above them
        self.record_header: list[tuple[str, Cell]] = []  # a project's own columns above the grid's header
        self.record_code: str | None = None  # the budget code of the unit whose projects follow
        self.pending_head: str | None = None  # a header label whose value is on the next line
        self.roles: list[tuple[str, Cell]] = []  # header role and its cell (for positions)
        self.head: dict[str, str | int | None] = {k: None for k in (
            "title", "year", "project_name", "competent_department", "implementing_unit",
            "project_attribute", "project_period")}
        self.evidence: dict[str, Evidence] = {}
        self._new_record()

    def _new_record(self) -> None:
        """Reset what belongs to one project; the heading, year and departments above stay."""
        keep = ("title", "year", "competent_department", "implementing_unit")
        self.head = {k: (v if k in keep else None) for k, v in self.head.items()}
        self.evidence = {k: v for k, v in self.evidence.items() if k in keep}
        self.notes: list[str] = []
        # funds
        self.fund_columns: list[str] = []
        self.fund_seen: dict[str, int] = {}  # how many of each label since the totals row
        self.fund_totals_only = False
        self.funds: dict[str, dict[str, float | None]] = {"all": {}, "own": {}, "period": {}}
        self.fund_cells: dict[tuple[str, str], Cell] = {}
        # goals
        self.goal_text: dict[str, list[str]] = {"overall": [], "annual": []}
        self.goal_cell: dict[str, Cell] = {}
        self.goal_kind: str | None = None
        self.goal_columns: list[tuple[str, Cell]] = []
        self.goal_stream: list[Cell] = []
        self.goal_header_open = False  # the last goal row was a header with no text under it yet
        # indicators
        self.block = "annual"  # which indicator block (中期 or 年度) the rows belong to
        self.indicator_blocks: list[str] = []
        self.l1: str | None = None
        self.l2: str | None = None
        self.pending: Pending | None = None
        self.indicators: list[Indicator] = []
        self.open_tail: list[str] = []  # columns the last row left blank at its end
        self.stream_header: list[str] = []  # grid columns printed one cell per line
        self.stream: list[Cell] = []
        self.read_rows: list[tuple[Section, Row]] = []  # what the readers saw, for the coverage  # indicator cells printed one per line, read at the block's end

    # -- entry --------------------------------------------------------------------------------
    def run(self) -> list[Result]:
        if self.chunk.inherited_title is not None:
            self._title(self.chunk.inherited_title, inherited=True)
        for row in segment_rows(self.chunk.rows):
            self._row(row)
            if self.section != Section.DONE:
                self.read_rows.append((self.section, row))
        self._end_block()
        return self.done + [self._result()]

    def _finish_record(self) -> None:
        self._end_block()
        self.done.append(self._result())
        self._new_record()

    def _row(self, row: Row) -> None:
        texts = [c.text for c in row.cells]
        first = fold(texts[0])
        if not "".join(texts).strip():
            return  # every cell blank
        if len(texts) == 1 and first in V.FORM_HEADINGS:
            return
        P = patterns()
        if (not row.ruled and P.note.match(first)) or (
                self.section == Section.INDICATORS and P.sign_off.match(first)):
            self._end_block()
            self.section = Section.DONE
            return
        if self.section == Section.DONE:
            return
        if (m := BLOCK.match(first)) and (m.group("period") or m.group("annual")):
            self.block = "period" if m.group("period") else "annual"
            if len(texts) == 1:
                return
        if self._indicator_header(row, texts):
            return
        if self.section == Section.INDICATORS:
            self._indicator_row(row)
            return
        if self.section == Section.HEAD and (m := P.unit_line.search(fold(row.text))):
            self.fund_unit = m.group(1)  # "金额单位：元" under the heading
        if self.pending_head and not self._starts_with_label(first):
            kind, self.pending_head = self.pending_head, None
            value = squash(texts[0])
            self.head[kind] = strip_code(value) if kind in ("competent_department", "implementing_unit") else value
            self._cite(kind, row.cells[0])
            return
        self.pending_head = None
        if is_title(row):
            self._title(row)
        elif P.head_start.match(first):
            self._head(row)
        elif P.goal.match(first) or (len(texts) > 1 and any(P.goal.match(fold(t)) for t in texts)):
            self._goals(row)
        elif P.fund_start.search(fold(row.text)) or (self.section == Section.FUNDS and P.fund.match(first)):
            self._funds(row)
        elif self.section == Section.GOALS:
            self._goal_continuation(row)
        elif self.section == Section.HEAD and self.head["year"] is None and (m := YEAR.search(first)):
            self.head["year"] = int(m.group(1))  # e.g. a "（2024年度）" line under the heading

    def _end_block(self) -> None:
        """What is held back until a block ends: cells one per line, the last indicator, goals."""
        self._flush_stream()
        self._flush()
        self._settle_goals()

    # -- result --------------------------------------------------------------------------------
    def _cite(self, key: str, cell: Cell | None) -> None:
        if (ev := evidence_of(cell)) is not None:
            self.evidence[key] = ev

    def _drop_period_block(self) -> None:
        """Where a 申报表 has both a 中期 and a 年度 indicator block, keep the 年度 one."""
        if "annual" not in self.indicator_blocks or "period" not in self.indicator_blocks:
            return
        keep = [i for i, b in enumerate(self.indicator_blocks) if b == "annual"]
        renumber = {old: new for new, old in enumerate(keep)}
        evidence = {}
        for key, ev in self.evidence.items():
            if m := re.match(r"indicators\[(\d+)\](.*)", key):
                if int(m.group(1)) in renumber:
                    evidence[f"indicators[{renumber[int(m.group(1))]}]{m.group(2)}"] = ev
            else:
                evidence[key] = ev
        dropped = len(self.indicators) - len(keep)
        self.indicators = [self.indicators[i] for i in keep]
        self.indicator_blocks = ["annual"] * len(keep)
        self.evidence = evidence
        self.notes.append(f"{dropped} indicator(s) of the 中期 block left out: the 年度 block is used")

    def _result(self) -> Result:
        self._drop_period_block()
        funds = self._funds_result()
        goals = {k: split_goals("\n".join(v)) for k, v in self.goal_text.items()}
        for kind, cell in self.goal_cell.items():
            for n in range(len(goals[kind])):
                self._cite(f"{kind}_goals[{n}]", cell)
        table = TableData(**self.head, funds=funds, overall_goals=goals["overall"],
                          annual_goals=goals["annual"], indicators=self.indicators)
        return Result(table, self.evidence, self.notes, measure(self.read_rows, table, self.notes, self.dropped))



def segment_rows(rows: list[Row]) -> list[Row]:
    """The chunk's rows with the cells of flattened exports put back together (segment.py)."""
    return pair_keys(join_broken_labels(merge_fragments(split_run_together(regroup_pipe_rows(rows)))))


def extract(chunk: Chunk) -> list[Result]:
    """Read one table chunk into the contract, with evidence for each value and notes on anything
    dropped: one result, or one per project where the table lists several."""
    with pinned():
        return _Parser(chunk).run()
