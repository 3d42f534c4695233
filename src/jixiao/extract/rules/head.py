"""The head section: the table's heading, its year and the key/value header fields."""

from __future__ import annotations

import re

from ...document import Row
from ...values import squash
from . import vocabulary as V
from .patterns import patterns
from .sections import Section
from .segment import Joined, clean_value, labels_in, strip_code

def checked_option(value: str) -> str:
    """The option a mark chose among those printed (持续性项目■ 新增性项目□ -> 持续性项目)."""
    if not any(m in value for m in V.CHECKED):
        return value
    options = re.split(rf"\s+|(?<=[{V.CHECKED}{V.UNCHECKED}])(?=[^{V.CHECKED}{V.UNCHECKED}])", value)
    chosen = [o for o in options if any(m in o for m in V.CHECKED)]
    if len(chosen) != 1:
        return value
    return chosen[0].strip(V.CHECKED + V.UNCHECKED + " ") or value


def _scanned(cell) -> bool:
    """Whether a cell was read by OCR (its lines carry confidences)."""
    return cell is not None and any(ln.conf is not None for ln in cell.lines)


YEAR = re.compile(r"(20\d{2})\s*年")


class HeadReader:
    # heading and header fields -------------------------------------------------------------
    @staticmethod
    def _starts_with_label(first: str) -> bool:
        return bool(patterns().head_start.match(first) or patterns().goal.match(first) or patterns().fund.match(first)
                    or patterns().fund_start.search(first) or first.startswith(("项目资金", "绩效指标", "一级")))

    def _title(self, row: Row, inherited: bool = False) -> None:
        if self.head["title"] is not None and not self._retitle():
            return
        if self.head["title"] is not None:
            self.read_rows.clear()  # what stood above the table's own heading was the page's, not the table's
        self.head["title"] = squash(row.cells[0].text)
        self._cite("title", row.cells[0])
        if m := YEAR.search(self.head["title"]):
            self.head["year"] = int(m.group(1))
        self.title_inherited = inherited
        if inherited:
            self.notes.append("title: shared heading above several tables")

    def _retitle(self) -> bool:
        """A second heading before the table's first field is the table's own heading: a web page
        prints its article headline (XX单位2023年XX项目绩效目标申报表) above the table's title."""
        return self.section == Section.HEAD and not self.title_inherited and all(
            self.head[k] is None for k in ("project_name", "competent_department", "implementing_unit",
                                           "project_attribute", "project_period"))

    def _head(self, row: Row) -> None:
        j = Joined(row)
        hits = list(labels_in(patterns().head, patterns().head_kinds, j.text))
        # a fund key in the same row ends the value before it (主管预算部门 | X | 项目预算金额 | 193.8)
        funds = [h for h in labels_in(patterns().fund, patterns().fund_kinds, j.text)
                 if h[1] > 0 and j.text[h[1] - 1] == j.SEP]
        hits = sorted(hits + [(None, s, e, m) for _k, s, e, m in funds], key=lambda h: h[1])
        for n, (kind, _s, end, _m) in enumerate(hits):
            stop = hits[n + 1][1] if n + 1 < len(hits) else len(j.text)
            value = clean_value(j.text[end:stop])
            if kind is not None and not value and n == len(hits) - 1 and self.head[kind] is None:
                self.pending_head = kind  # "项目名称" alone on its line: the value follows
            if kind is None or not value:
                continue
            if kind in ("competent_department", "implementing_unit"):
                value = strip_code(value)
            if kind == "project_attribute":
                read = value
                value = checked_option(value)
                cell = j.cell_at(end + (1 if j.text[end:end + 1] == j.SEP else 0))
                if value == read and any(m in read for m in V.UNCHECKED) and _scanned(cell):
                    # options printed with boxes and none ticked: on a scan the tick (■) is what OCR
                    # loses first, so which option was chosen is not known (measure() counts the note)
                    self.notes.append(f"项目属性 tick mark not recognised (no option read as ticked): {read}")
            if self.head[kind] is None:
                self.head[kind] = value
                self._cite(kind, j.cell_at(end + (1 if j.text[end:end + 1] == j.SEP else 0)))
        if funds:
            self._funds(row)

    # -- funds ---------------------------------------------------------------------------------
