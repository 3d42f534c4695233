"""Tables that list projects one row per indicator, with each project's own cells: a record
header (单位代码 | 单位(专项)名称 | 资金总额 | 实施期绩效目标) above the grid's, rows naming the unit and
its projects by budget code, a department's total row above its units, and a project's cells
merged down its rows."""

from __future__ import annotations

import re

from ...document import Cell, Row
from ...values import fold, parse_amount, squash
from .patterns import patterns
from .runtogether import peel_levels
from .sections import PASSED_ROLES, RECORD_ROLES, Role
from .segment import roles_of, strip_code

_CODED_NAME = re.compile(r"^\d{3,}[-_—:：]\D")
_AMOUNT_ONLY = re.compile(r"\d[\d,]*(?:\.\d+)?(?:万元|元)?")
# a project's own row in a flat export: budget code, unit or project name, amount
_RECORD_ROW = re.compile(r"^(\d{3,})[_\-—:：]?(\D[^|]*?)(\d[\d,]*(?:\.\d+)?)?$")


class RecordReader:
    def _record_header(self, row: Row, texts: list[str]) -> bool:
        """The first of a two-row header: a project's own columns (单位代码 | 单位(专项)名称 | 资金总额 |
        实施期绩效目标) and the 绩效指标 label spanning the indicator columns of the row below."""
        if len(texts) < 3 or roles_of(texts[-1:])[0] != Role.GROUP:
            return False  # most rows: decided before the roles of all their cells are looked up
        roles = roles_of(texts)
        if roles[-1] != Role.GROUP or not all(r in RECORD_ROLES or r in PASSED_ROLES
                                                                for r in roles[:-1]):
            return False
        self.record_header = [(r, c) for r, c in zip(roles[:-1], row.cells)]
        return True

    def _department_row(self, cells: list[Cell]) -> bool:
        """'820-马踏镇部门 | 8,827,620.53' above its units' project rows: the department's own total,
        which names the competent department and is no project's amount."""
        roles = self._grid()[1]
        if not ({Role.PROJECT, Role.IMPL, Role.UNIT_OR_PROJECT} & roles) or len(cells) != 2:
            return False
        name, amount = cells
        if not (_CODED_NAME.match(squash(name.text)) and _AMOUNT_ONLY.fullmatch(squash(amount.text))):
            return False
        dept = strip_code(squash(name.text))
        if self.head["competent_department"] is None:
            self.head["competent_department"] = dept
            self._cite("competent_department", name)
        self.dropped += [amount.text, squash(name.text)[: -len(dept)]]  # its total and its budget code
        return True

    def _record_row(self, text: str, cell: Cell) -> bool:
        """'505006 学生伙食费 30.00' under a 单位代码 | 单位(专项)名称 | 资金总额 header: the unit's row
        (its first code), then its projects' rows (the same code again)."""
        roles = self._grid()[1]
        if Role.CODE not in roles or not (m := _RECORD_ROW.match(squash(text))) or peel_levels(squash(text))[0]:
            return False
        code, name, amount = m.group(1), strip_code(m.group(2)), m.group(3)
        self.dropped.append(code)  # the budget code: outside the contract
        if Role.UNIT_OR_PROJECT in roles and self.record_code != code:
            self.record_code = code
            self.head["implementing_unit"] = name
            self._cite("implementing_unit", cell)
            if amount:
                self.dropped.append(amount)  # the unit's own total; its projects' rows follow
        else:
            if self.head["project_name"] is not None or self.indicators:
                self._finish_record()
            self.head["project_name"] = name
            self._cite("project_name", cell)
        if amount:
            self.funds["all"]["total"] = parse_amount(amount, self.fund_unit or "万元")
            self.fund_cells[("all", "total")] = cell
        return True

    def _record_cells(self, by_role: dict[str, Cell]) -> None:
        """A project's own columns in a table that lists several projects."""
        if (cell := by_role.get("project")) is not None and (name := squash(cell.text)):
            if name != self.head["project_name"]:
                if self.head["project_name"] is not None or self.indicators:
                    self._finish_record()
                self.head["project_name"] = name
                self._cite("project_name", cell)
        for role, key in (("dept", "competent_department"), ("impl", "implementing_unit")):
            if (cell := by_role.get(role)) is not None and squash(cell.text):
                self.head[key] = strip_code(squash(cell.text))
                self._cite(key, cell)
        for role, kind in (("goal", "annual"), ("goal_overall", "overall")):
            cell = by_role.get(role)
            if cell is not None and squash(cell.text) and cell.text not in self.goal_text[kind]:
                self.goal_cell.setdefault(kind, cell)
                self.goal_text[kind].append(cell.text)  # exports repeat a merged goal on every row
        if (cell := by_role.get("amount")) is not None and "total" not in self.funds["all"]:
            header = next((c.text for r, c in self.roles if r == "amount"), "")
            unit = m.group(1) if (m := patterns().fund_unit.search(fold(header))) else self.fund_unit
            self.funds["all"]["total"] = parse_amount(cell.text, unit or "万元")
            self.fund_cells[("all", "total")] = cell
