"""The indicators section: the 一级/二级/三级/指标值 grid in its many shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...document import Cell, Row
from ...levels import PARENT
from ...models import Indicator
from ...values import fold, parse_value, squash, tidy_number
from . import vocabulary as V
from .labels import foreign_level, is_label_prefix, level1_of, level2_of
from .patterns import patterns
from .columns import column_for, fit_by_shape
from .records import RecordReader
from .runtogether import has_scoring, is_blank_row, peel_levels, split_labels
from .sections import PASSED_ROLES, RECORD_ROLES, Role, Section
from .segment import SLOT, best_in, column_spans, is_indicator_header, is_whole_label, roles_of, split_name_value

# a sub-header under the value column: 2021年实际实现值 / 预期2022年实现值
_VALUE_SUBHEADER = re.compile("|".join(V.VALUE_SUBHEADERS))
_LABEL_LIKE = re.compile(r"(?!.*[此不本该无])[\u4e00-\u9fff]{2,6}指标")
# "中期绩效指标" / "年度绩效指标": which of a 申报表's two indicator blocks the rows below belong to
BLOCK = re.compile(r"^(?P<period>中长期|中期|长期|实施期)?(?P<annual>本年度|年度|当年)?(?:绩效)?指标(?:[（(].*[）)])?$")


_NOT_YET = object()
# columns whose text is left out on purpose (a set made once: this is asked of every cell of the grid)
_LEFT_OUT = frozenset({Role.OUTSIDE, Role.CODE, Role.SKIP})


def looks_like_value(text: str) -> bool:
    """A cell that reads as an indicator value rather than a name: a number, or a short word."""
    t = squash(text)
    return bool(re.search(r"\d", t)) or len(t) <= 6 or t in patterns().qualitative_words


@dataclass
class Pending:
    l1: str | None
    l2: str | None
    name: str
    name_cell: Cell | None
    value_text: str | None = None
    value_cell: Cell | None = None
    op_text: str | None = None
    unit_text: str | None = None
    has_op_column: bool = False


class IndicatorReader(RecordReader):
    _grid_of: list | None = None  # the header (self.roles) that _grid_cache was made from

    def _grid(self) -> tuple[list[tuple[str, float, float]], set[str], bool, dict]:
        """The header's column spans, its set of roles, whether every header cell has a box, and
        the column found for each cell's left and right edge so far.

        Asked on every row of the grid, so made once a header: self.roles is only ever replaced,
        never changed in place, so the list itself says whether the header changed."""
        if self._grid_of is not self.roles:
            self._grid_of = self.roles
            self._grid_cache = (column_spans(self.roles), {r for r, _c in self.roles},
                                all(c.bbox for _r, c in self.roles), {})
        return self._grid_cache

    # indicators ----------------------------------------------------------------------------
    def _indicator_header(self, row: Row, texts: list[str]) -> bool:
        if self._record_header(row, texts):
            return True
        if len(texts) == 1 and not row.ruled:
            tokens = [t for tok in texts[0].split() for t in (split_labels(tok) or [tok])]
            if is_indicator_header(tokens):
                self._enter_indicators()
                roles = [(r, Cell(t, [], None)) for r, t in zip(roles_of(tokens), tokens)]
                roles, self.record_header = self.record_header + roles, []
                flat = ({"op", "unit"} | RECORD_ROLES) & {r for r, _c in roles}
                self.roles = roles if flat else []
                return True
            if fold(texts[0]) in ("绩效指标", "一级指标", "一级", "二级指标", "三级指标", "指标值"):
                if self.section != Section.INDICATORS:
                    self._enter_indicators()
            if self.section == Section.INDICATORS and not self.indicators and not self.stream:
                # a header printed one cell per line: collect its columns
                role = roles_of([texts[0]])[0]
                if role in (Role.L1, Role.L2, Role.NAME, Role.VALUE, Role.OP, Role.UNIT, Role.GROUP, *PASSED_ROLES):
                    self.stream_header.append(role)
                    return True
            return False
        if not is_indicator_header(texts):
            return False
        self._enter_indicators()
        roles = [r for r, _c in self.record_header] + roles_of(texts)
        row = Row([c for _r, c in self.record_header] + row.cells, row.page, row.ruled)
        self.record_header = []
        if roles.count("l1") > 1 or roles.count("name") > 1:
            # two parallel blocks side by side (中期 | 年度): keep the last, the current year's,
            # as the funds do
            last = max(i for i, r in enumerate(roles) if r in ("l1", "l2", "name") and roles[:i].count(r))
            start = max(i for i in range(last + 1) if roles[i] == roles[last] and i < last)
            first_of_last = next(i for i in range(start + 1, len(roles)) if roles[i] in ("l1", "l2", "name"))
            roles = ["skip" if i < first_of_last and r not in ("group",) else r for i, r in enumerate(roles)]
            self.notes.append("two indicator blocks side by side: the left (中期) block is left out")
        self.roles = list(zip(roles, row.cells))
        return True

    def _wrapped_tail(self, text: str) -> bool:
        """A lone cell that ends the row above (its 权重 wrapped onto the next line): read past it
        when the row above left columns outside the contract blank."""
        tail, self.open_tail = self.open_tail, []
        tokens = text.split()
        return (len(tokens) == 1 and bool(re.fullmatch(r"[\d.]+%?", tokens[0])) and self.pending is None
                and column_for(tail, tokens[0]) == Role.OUTSIDE)

    def _enter_indicators(self) -> None:
        self._flush()
        self._settle_goals()
        self.section = Section.INDICATORS

    def _indicator_row(self, row: Row) -> None:
        filled = [c for c in row.cells if c.text.strip()]
        if filled and all(_VALUE_SUBHEADER.fullmatch(fold(c.text)) for c in filled):
            self.dropped += [c.text for c in filled]  # 2021年实际实现值 | 预期2022年实现值 under 指标值
            return
        if self._department_row(filled):
            return
        if len(row.cells) == 1 and not row.ruled and self._record_row(row.cells[0].text, row.cells[0]):
            return
        if len(row.cells) == 1 and not row.ruled and self._wrapped_tail(row.cells[0].text):
            return
        if len(row.cells) == 1 and not row.ruled and self._streaming():
            if row.cells[0].text.strip():
                self.stream.append(row.cells[0])
            return
        cells = [c for c in row.cells]
        texts = [c.text for c in cells]
        if self.roles and row.ruled and (grid := self._grid())[2]:
            # a ruled grid's cells in one column share their edges (the rulings'), so a column is
            # found once for each pair of edges
            spans, found = grid[0], grid[3]
            assigned = []
            for c in cells:
                if c.text.strip():
                    edges = (c.bbox[0], c.bbox[2])
                    if (role := found.get(edges, _NOT_YET)) is _NOT_YET:
                        role = found[edges] = best_in(c, spans)
                    assigned.append((role, c))
            self._columnar(assigned)
        elif self.roles and len(cells) > 1:
            self._columnar(self._align(cells))
        elif self.roles and len(cells) == 1 and len(texts[0].split()) > 1 and not SLOT.match(texts[0]):
            self._columnar(self._align([Cell(t, cells[0].lines, cells[0].bbox, cells[0].page_bbox)
                                          for t in texts[0].split()]))
        else:
            self._slot_cells(cells)

    def _align(self, cells: list[Cell]) -> list[tuple[str, Cell]]:
        """Cells of an exported row against the header's columns, anchored on content.

        Exports drop the cells of merged level columns and trailing blanks, so counting from
        either end shifts columns; level labels are known by name, and the cells after them line
        up with the header from its name column on.
        """
        roles = [r for r, _c in self.roles]
        while len(cells) > 1 and not cells[-1].text.strip():
            cells = cells[:-1]  # exports end rows with an empty cell ('… | ≥95% | ')
        if len(cells) == len(roles) and all(
                not c.text.strip() or (level1_of(c.text) if r == Role.L1 else level2_of(c.text) or level1_of(c.text))
                for r, c in zip(roles, cells) if r in (Role.L1, Role.L2)):
            return list(zip(roles, cells))
        for k, cell in enumerate(cells):
            role = "l1" if level1_of(cell.text) or foreign_level(cell.text) else "l2" if level2_of(cell.text) else None
            if role in roles and k > 0:
                # cells before the first level label belong to the columns before its column
                at = roles.index(role)
                before = [(r, c) for r, c in zip(roles[:at][::-1], cells[:k][::-1])]
                return before[::-1] + list(zip(roles[at:], cells[k:]))
            if role:
                break
        out: list[tuple[str, Cell]] = []
        i = 0
        while i < len(cells):
            text = cells[i].text
            if not text.strip() or fold(text) == "绩效指标":
                i += 1
            elif (level1_of(text) or foreign_level(text)) and "l1" in roles and not any(r == "l1" for r, _c in out):
                out.append(("l1", cells[i]))
                i += 1
            elif level2_of(text) and "l2" in roles:
                out.append(("l2", cells[i]))
                i += 1
            elif ("l2" in roles and out and out[-1][0] == "l1" and foreign_level(out[-1][1].text)
                  and len(cells) - i == len(roles) - roles.index("l2")):
                out.append(("l2", cells[i]))  # a level 2 of another framework, in its column
                i += 1
            else:
                break
        after = roles[roles.index("name"):] if "name" in roles else roles
        rest = cells[i:]
        fit = None
        if after and after[0] == Role.NAME and 1 < len(rest) < len(after) and {Role.OP, Role.UNIT} & set(after):
            fit = fit_by_shape(after[1:], [c.text for c in rest[1:]])  # blank cells left out
        if fit is not None:
            out.extend(zip([Role.NAME, *fit], rest))
            last = after.index(fit[-1], 1) if fit else 0
            self.open_tail = [r for r in after[last + 1:]]
        else:
            out.extend(zip(after, rest))
            self.open_tail = list(after[len(rest):])
        return out

    def _set_levels(self, l1: str | None = None, l2: str | None = None) -> None:
        if l1:
            self._flush()
            # a tall level-1 cell printed mid-group (产出指标 | 开设课程数量 | 220 under 数量指标 rows)
            # keeps the level 2 in force when that level 2 is its own
            keep = self.l2 is not None and self.l1 in (None, l1) and PARENT.get(self.l2) == l1
            self.l1, self.l2 = l1, (self.l2 if keep else None)
        if l2:
            self._flush()
            self.l2 = l2
            if self.l1 not in (None, "成本指标") and PARENT[l2] != self.l1:
                self.l1 = PARENT[l2]  # a level-2 label names its level 1 (a spanning 效益 cell has ended)

    # indicators printed one cell per line ------------------------------------------------------
    def _streaming(self) -> bool:
        """The grid's header came one cell per line (一级指标 / 二级指标 / 三级指标 / 指标值 …)."""
        roles = set(self.stream_header)
        return len(self.stream_header) >= 3 and Role.NAME in roles and Role.VALUE in roles

    def _level_cell(self, text: str) -> bool:
        """Set the levels from a level label; False when the text is not one."""
        if SLOT.match(text):
            return False
        if (l1 := level1_of(text)) and not (self.l2 is None and self.l1 == l1 and level2_of(text)):
            self._set_levels(l1=l1)
        elif l2 := level2_of(text):
            self._set_levels(l2=l2)
        elif foreign := foreign_level(text):
            self._set_levels(l1=foreign[0])
            self._set_levels(l2=foreign[1])
            self.notes.append(f"level of another framework kept under {foreign[0]}/{foreign[1]}: {squash(text)}")
        else:
            return False
        return True

    def _foreign_level2(self, text: str) -> None:
        """A level-2 label under a level of another framework (资金管理 under 过程管理指标): the
        level 2 the framework's level is kept under stays, and the printed label is noted."""
        if squash(text):
            self.notes.append(f"level 2 of another framework kept under {self.l1}/{self.l2}: {squash(text)}")

    def _flush_stream(self) -> None:
        """Read the cells collected one per line: level labels set the levels; otherwise a name,
        then its value, then the known columns outside the contract (绩效标准, 备注) where printed.

        Blank cells are not printed in such exports, so a trailing extra column is only taken
        when the cell after it is no value (it is then the next indicator's name or a label).
        """
        cells, self.stream = self.stream, []
        roles = self.stream_header
        extras = sum(1 for r in roles[roles.index(Role.VALUE) + 1:] if r in PASSED_ROLES) if Role.VALUE in roles else 0

        def level(k: int) -> bool:
            return k < len(cells) and bool(level1_of(cells[k].text) or level2_of(cells[k].text)
                                           or foreign_level(cells[k].text))

        def label_end(k: int) -> int | None:
            if not is_label_prefix(cells[k].text) or level(k):
                return None
            for j in range(k + 1, min(k + 4, len(cells))):
                if is_whole_label(fold(cells[k].text) + fold(cells[j].text)):
                    return j
            return None

        def name_after_label(k: int) -> bool:
            # a bare word (满意度, 成本) right under a level-2 label is the indicator's name: levels
            # go level 1, level 2, name, and a level-1 label printed in full ends with 指标
            return k > 0 and bool(level2_of(cells[k - 1].text)) and not fold(cells[k].text).endswith("指标") \
                and k + 1 < len(cells) and not level(k + 1)

        i = 0
        while i < len(cells):
            cell = cells[i]
            if (k := label_end(i)) is not None:
                # a level label wrapped in its tall cell, printed around its row's cells:
                # 社会公众或服务 / 政策满意度 / ≥90% / 对象满意度指标
                joined = Cell(fold(cell.text) + fold(cells[k].text), cell.lines + cells[k].lines, None)
                cells = cells[:i] + [joined] + cells[i + 1:k] + cells[k + 1:]
                continue
            if not name_after_label(i) and self._level_cell(cell.text):
                i += 1
                if (foreign_level(cell.text) and Role.L2 in roles and i + 2 < len(cells) and not level(i)):
                    self._foreign_level2(cells[i].text)
                    i += 1
                continue
            self._flush()
            value = cells[i + 1] if i + 1 < len(cells) and not level(i + 1) else None
            self.pending = Pending(self.l1, self.l2, SLOT.sub("", cell.text, count=1), cell,
                                   value.text if value else None, value)
            self._flush()
            i += 2 if value else 1
            for _ in range(extras):
                if i < len(cells) and not level(i) and (i + 1 >= len(cells) or level(i + 1)
                                                        or not looks_like_value(cells[i + 1].text)):
                    i += 1

    def _columnar(self, assigned: list[tuple[str | None, Cell]]) -> None:
        by_role: dict[str, Cell] = {}
        for role, cell in assigned:
            if role and role not in by_role:
                by_role[role] = cell
        self.dropped += [c.text for r, c in assigned if r in _LEFT_OUT]
        if RECORD_ROLES & by_role.keys():
            self._record_cells(by_role)
        foreign = "l1" in by_role and foreign_level(by_role["l1"].text)
        if foreign:
            self._level_cell(by_role["l1"].text)
        elif "l1" in by_role:
            self._set_levels(l1=level1_of(by_role["l1"].text) or self._unknown_level(by_role["l1"].text, 1))
        if "l2" in by_role and foreign and not level2_of(by_role["l2"].text):
            self._foreign_level2(by_role["l2"].text)
        elif "l2" in by_role:
            self._set_levels(l2=level2_of(by_role["l2"].text) or self._unknown_level(by_role["l2"].text, 2))
        if "name" not in by_role:
            return
        self._flush()
        name_cell = by_role["name"]
        name = SLOT.sub("", name_cell.text, count=1)
        value_cell = by_role.get("value")
        self.pending = Pending(
            self.l1, self.l2, name, name_cell,
            value_cell.text if value_cell else None, value_cell,
            by_role["op"].text if "op" in by_role else None,
            by_role["unit"].text if "unit" in by_role else None,
            has_op_column="op" in self._grid()[1],
        )
        self._flush()

    def _unknown_level(self, text: str, level: int) -> None:
        if squash(text):
            self.notes.append(f"level {level} label not recognised: {squash(text)}")
        return None

    def _slot_cells(self, cells: list[Cell]) -> None:
        queue = list(cells)
        while queue:
            cell = queue.pop(0)
            text = cell.text.strip()
            if not text:
                continue
            # leading level labels on the same line ("产出指标 数量指标 指标1：…")
            tokens = text.split()
            if tokens and not SLOT.match(tokens[0]):
                peeled, rest = peel_levels(tokens[0])  # level labels run together with the name
                if peeled:
                    tokens = peeled + ([rest] if rest else []) + tokens[1:]
            while tokens and (level1_of(tokens[0]) or level2_of(tokens[0]) or foreign_level(tokens[0])) \
                    and not SLOT.match(tokens[0]):
                tok = tokens.pop(0)
                self._level_cell(tok)
                if foreign_level(tok) and len(tokens) >= 3 and not level2_of(tokens[0]):
                    self._foreign_level2(tokens.pop(0))  # 'label level-2 name value' after it
            if not tokens or (is_blank_row("".join(tokens)) and (self.pending is None or self.pending.value_text)):
                continue  # an empty slot's row ('-定性'), unless it is the value an indicator waits for
            text = " ".join(tokens)
            if m := SLOT.match(text):
                self._flush()
                rest = text[m.end():].strip()
                if queue and not SLOT.match(queue[0].text):  # the value is the next cell
                    vcell = queue.pop(0)
                    self.pending = Pending(self.l1, self.l2, rest, cell, vcell.text, vcell)
                    self._flush()
                    continue
                name, value = split_name_value(rest)
                self.pending = Pending(self.l1, self.l2, name, cell, value, cell if value else None)
                if value is not None:
                    self._flush()
            elif self.pending is not None and self.pending.value_text is None and self.pending.name.strip():
                self.pending.value_text, self.pending.value_cell = text, cell  # value on its own line
                self._flush()
            elif self.l2 is not None or self.l1 == "成本指标":
                # an indicator row without a 指标N： slot: "name value" (成本指标 stands for its own level 2)
                name, value = split_name_value(text)
                if value is None:
                    self.notes.append(f"line not understood in the indicator block: {text}")
                    continue
                rest = text[len(name) + len(value):]
                if rest and (has_scoring(rest) or Role.OUTSIDE in self._grid()[1]):
                    self.dropped.append(rest)  # the flat export's columns after the value, run together
                self._flush()
                self.pending = Pending(self.l1, self.l2, name, cell, value, cell)
                self._flush()
            else:
                self.notes.append(f"line not understood in the indicator block: {text}")

    def _flush(self) -> None:
        p, self.pending = self.pending, None
        if p is None:
            return
        name = squash(p.name)
        if not name:
            return  # an empty 指标N： slot is not an indicator
        if _LABEL_LIKE.fullmatch(name):
            # a name shaped like a level label (数量指标) is most likely a label the vocabulary lacks
            self.notes.append(f"level label not recognised, read as a name: {name}")
        l1, l2 = p.l1, p.l2
        if l1 == "成本指标":  # 2021 framework: 成本指标 as a first-level group
            l1, l2 = "产出指标", "成本指标"
        if l2 is None:
            self.notes.append(f"indicator without a level-2 label dropped: {name}")
            return
        l1 = l1 or PARENT[l2]
        value_text = squash(p.value_text) or None
        if p.has_op_column:
            op_key = squash(p.op_text)
            operator = V.OPERATOR_WORDS.get(op_key, parse_value(op_key + "0").operator if op_key else None)
            parsed = parse_value(value_text)
            number = parsed.value
            if number is None and value_text and (m := re.search(r"-?\d+(?:\.\d+)?", value_text)):
                number = tidy_number(float(m.group()))
            if op_key == "定性":
                operator, number = None, None
            if number is None:
                operator = None  # "≥" over a cell that holds no number: nothing to compare
            elif operator is None:
                operator = "="  # a number under a blank 指标性质 cell
            unit = squash(p.unit_text) or None
        else:
            operator, number, unit = parse_value(value_text)
        i = len(self.indicators)
        self.indicator_blocks.append(self.block)
        self.indicators.append(Indicator(level1=l1, level2=l2, name=name, value_text=value_text,
                                         operator=operator, value=number, unit=unit))
        self._cite(f"indicators[{i}].name", p.name_cell)
        self._cite(f"indicators[{i}].value_text", p.value_cell)

    # -- result --------------------------------------------------------------------------------
