"""The rules extractor: the offline default backend, and the second opinion for the model.

It reads one chunk (the rows of one table) with a small state machine: heading, header fields,
funds, goals, indicator block.  Labels are found by their printed names and common variants
(主管部门及代码, 中期目标, 指标内容, 指标性质 …), so the same code reads the seed layout, MoF
申报表-style tables, flat one-row-per-indicator exports and the 2021 framework with 成本指标 as
a first-level group.  Cells arrive either ruled (PDF grids: columns by position), separated
(' | ' or tab exports: columns by index) or as plain lines (labels, 'name value' splits, cells
run together).  A field the table does not have stays null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .chunk import Chunk, is_title
from .document import Cell, Line, Row
from .levels import PARENT, is_label_prefix, level1_of, level2_of
from .models import Evidence, Funds, Indicator, TableData
from .values import fold, parse_amount, parse_value, squash, tidy_number

# ---------------------------------------------------------------------------------------------
# Vocabulary

_Q = r"(?:[（(][^（()）]{0,24}[）)])?"  # an optional bracketed qualifier: （含本级和市县）, (2024-2026年)

_HEAD_LABELS = [
    ("project_name", r"项目名称"),
    ("competent_department", r"主管部门(?:及代码|名称)?|主管单位(?:及代码)?|部门名称"),
    ("implementing_unit", r"(?:项目)?实施单位(?:及代码|名称)?|单位名称|预算单位"),
    ("project_attribute", r"项目属性"),
    ("project_period", r"项目(?:实施)?(?:期限|周期)|项目实施期|实施期限|项目期"),
    (None, r"项目负责人|联系电话|联系人|项目编码|项目代码|项目类型|项目类别|所属领域|单位负责人|(?:金额|资金)?单位[：:]"),
]
_HEAD = re.compile("|".join(f"(?P<h{i}>{p}){_Q}" for i, (_, p) in enumerate(_HEAD_LABELS)))
_HEAD_START = re.compile("^(?:" + "|".join(p for _, p in _HEAD_LABELS) + ")")

_FUND_LABELS = [
    ("total", r"(?:本年度|年度|当年|中长期|中期|长期|项目期|实施期|项目)?(?:资金总额|资金总计|预算总额|总预算|预算金额|预算数|资金合计|合计)"),
    ("fiscal", r"(?:其中[：:]?)?(?:财政拨款|财政资金|财政性资金|预算资金)"),
    ("other", r"(?:其中[：:]?)?(?:其他资金|其他来源资金|其他)"),
    (None, r"(?:其中[：:]?)?(?:单位自有资金|自有资金|上级资金|上级补助资金?|上级专项资金?|单位自筹资金?|自筹资金|社会资金|事业收入)"),
]
_FUND = re.compile("|".join(f"(?P<f{i}>{p})(?P<q{i}>{_Q})" for i, (_, p) in enumerate(_FUND_LABELS)))
_BARE_OTHER = re.compile(r"(?:其中[：:]?)?其他")
_FUND_START = re.compile(r"资金总额|资金总计|预算总额|总预算|预算金额|预算数|资金合计")
_FUND_UNIT = re.compile(r"[（(]\s*(亿元|万元|元)\s*[）)]|单位[：:]\s*(亿元|万元|元)")

_GOAL_LABELS = [
    ("overall", r"年度总体绩效目标|总体绩效目标|中长期绩效目标|中期绩效目标|长期绩效目标|实施期绩效目标|"
                r"实施期目标|中长期目标|中期目标|长期目标|绩效总目标|项目总目标|总体目标"),
    ("annual", r"本年度绩效目标|年度绩效目标|当年绩效目标|本年度目标|年度目标|当年目标"),
    ("group", r"绩效目标"),
]
_GOAL = re.compile("|".join(f"(?P<g{i}>{p}){_Q}" for i, (_, p) in enumerate(_GOAL_LABELS)))

_ROLE_NAMES = {
    "一级指标": "l1", "二级指标": "l2", "三级指标": "name", "指标名称": "name", "指标内容": "name",
    "绩效指标名称": "name", "具体指标": "name", "三级指标名称": "name",
    "指标值": "value", "目标值": "value", "指标目标值": "value", "年度指标值": "value",
    "绩效指标值": "value", "预期目标值": "value", "年度目标值": "value", "指标值（年度）": "value",
    "指标性质": "op", "运算符号": "op", "计算符号": "op", "度量单位": "unit", "计量单位": "unit",
    "单位": "unit", "绩效指标": "group",
    # tables that list many projects, one row per indicator, with the project's own cells merged
    # down its rows
    "项目名称": "project", "主管部门": "dept", "部门名称": "dept", "实施单位": "impl", "单位名称": "impl",
    "预算单位": "impl", "项目单位": "impl", "绩效目标": "goal", "年度绩效目标": "goal", "年度目标": "goal",
    "项目绩效目标": "goal", "总体目标": "goal_overall", "中期目标": "goal_overall", "项目金额": "amount",
    "预算金额": "amount", "资金总额": "amount", "年度资金总额": "amount", "项目预算": "amount",
    "预算数": "amount", "金额": "amount",
}
# "中期绩效指标" / "年度绩效指标": which of a 申报表's two indicator blocks the rows below belong to
_BLOCK = re.compile(r"^(?P<period>中长期|中期|长期|实施期)?(?P<annual>本年度|年度|当年)?(?:绩效)?指标(?:[（(].*[）)])?$")
_RECORD_ROLES = {"project", "dept", "impl", "goal", "goal_overall", "amount"}
_SLOT = re.compile(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:.．、]?\s*")
_NOTE = re.compile(r"^(?:注|说明|填报说明|备注)[：:]")
_YEAR = re.compile(r"(20\d{2})\s*年")
_UNIT_LINE = re.compile(r"(?:金额|资金)?单位[：:](亿元|万元|元)")
_CODE = re.compile(r"^[\[【(（]?\s*\d{3,}\s*[\]】)）]?\s*[-_－—:：.]?\s*|\s*[\[【(（]\s*\d{3,}\s*[\]】)）]$")
_GOAL_SPLIT = re.compile(
    r"目标\s*[0-9０-９]+\s*[：:、.．]?|(?:^|(?<=[\n；;。]))\s*[（(]?[0-9０-９]{1,2}\s*[)）.．、](?![0-9])"
)
_OP_WORDS = {"≥": "≥", ">=": "≥", "≧": "≥", "≤": "≤", "<=": "≤", "≦": "≤", ">": ">", "<": "<", "=": "=",
             "＝": "=", "＞": ">", "＜": "<", "大于等于": "≥", "小于等于": "≤", "等于": "=", "大于": ">",
             "小于": "<", "定性": None, "定量": "="}
_QUAL_WORDS = sorted(
    ["当年完成", "按时完成", "及时完成", "全部完成", "有效提升", "明显提升", "显著提升", "稳步提升",
     "逐步提高", "有所提高", "明显提高", "显著提高", "有效改善", "明显改善", "持续改善", "大幅提升",
     "进一步提升", "提高", "提升", "加强", "增强", "改善", "及时", "准确", "达标", "合格", "良好",
     "优良", "显著", "明显", "有效", "降低", "减少", "完成", "是", "否", "长期", "持续"],
    key=len, reverse=True,
)
_TAIL_NUMBER = re.compile(
    r"(?:[≥≤<>=≧≦＞＜＝]|>=|<=|不低于|不少于|不高于|不超过|大于|小于|低于|高于)?\s*[-+]?[0-9０-９]+(?:[.．][0-9０-９]+)?"
    r"\s*(?:[%％‰]|[^\s0-9０-９]{0,4}?)(?:以上|以下|以内)?$"
)


# ---------------------------------------------------------------------------------------------
# Helpers


def _labels(regex: re.Pattern, kinds: list, text: str):
    """(kind, label_start, label_end, match) for every label in text, in order."""
    for m in regex.finditer(text):
        i = next(int(k[1:]) for k, v in m.groupdict().items() if v is not None and not k.startswith("q"))
        yield kinds[i][0], m.start(), m.end(), m


class _Joined:
    """A row's cells joined into one string, with the way back from an offset to its cell."""

    SEP = "\x1f"

    def __init__(self, row: Row):
        self.cells = row.cells
        self.starts: list[int] = []
        parts, pos = [], 0
        for c in row.cells:
            self.starts.append(pos)
            parts.append(c.text)
            pos += len(c.text) + 1
        self.text = self.SEP.join(parts)

    def cell_at(self, offset: int) -> Cell:
        i = 0
        for k, s in enumerate(self.starts):
            if s <= offset:
                i = k
        return self.cells[i]


def _at_cell_start(text: str, offset: int) -> bool:
    """Labels count only where a cell or a space-separated piece starts, not inside a sentence."""
    return offset == 0 or text[offset - 1] in (_Joined.SEP, " ", "　", "\t")


def _clean_value(text: str) -> str:
    return squash(text.replace(_Joined.SEP, " ")).lstrip("：:").strip()


def _strip_code(name: str) -> str:
    return _CODE.sub("", name).strip() or name


def split_goals(text: str) -> list[str]:
    """One string per goal: numbering (目标N：, N., （N）) starts a goal; wrapped lines join."""
    pieces = _GOAL_SPLIT.split(text)
    out = []
    for p in pieces:
        s = squash(p).strip("：:").rstrip("；;。，,")
        if s:
            out.append(s)
    return out


def split_name_value(text: str) -> tuple[str, str | None]:
    """'name value' -> (name, value): at the last space, else a trailing value run together."""
    text = text.strip()
    if re.search(r"\s", text):
        name, value = re.split(r"\s+(?=\S+$)", text, maxsplit=1)
        return name, value
    m = _TAIL_NUMBER.search(text)
    if m and m.start() > 0:
        return text[: m.start()], text[m.start():]
    for w in _QUAL_WORDS:
        if text.endswith(w) and len(text) > len(w):
            return text[: -len(w)], w
    return text, None


def _evidence(cell: Cell | None) -> Evidence | None:
    if cell is None or not cell.lines:
        return None
    ln: Line = cell.lines[0]
    box = cell.page_bbox if cell.page_bbox is not None else ln.bbox
    confs = [x.conf for x in cell.lines if x.conf is not None]
    # built by this code from PyMuPDF's floats: no validation needed (this runs per value)
    return Evidence.model_construct(page=ln.page, bbox=(round(box[0], 2), round(box[1], 2), round(box[2], 2),
                                                        round(box[3], 2)) if box else None, line=ln.lineno,
                                    confidence=min(confs) if confs else None, cell=ln.cell)


def _merge_fragments(rows: list[Row]) -> list[Row]:
    """Join runs of one-cell lines that together spell a label: 产/出/指/标, 经济效益/指标, 一级/指标."""
    out: list[Row] = []
    i = 0
    while i < len(rows):
        r = rows[i]
        if len(r.cells) == 1 and not r.ruled and is_label_prefix(r.cells[0].text):
            acc, cells, j = fold(r.cells[0].text), [r.cells[0]], i + 1
            while j < len(rows) and len(rows[j].cells) == 1 and not rows[j].ruled:
                nxt = acc + fold(rows[j].cells[0].text)
                if not (is_label_prefix(nxt) or _is_whole_label(nxt)):
                    break
                acc, cells, j = nxt, cells + [rows[j].cells[0]], j + 1
            if j > i + 1 and _is_whole_label(acc):
                lines = [ln for c in cells for ln in c.lines]
                out.append(Row([Cell(acc, lines, None)], r.page))
                i = j
                continue
        out.append(r)
        i += 1
    return out


def _is_whole_label(s: str) -> bool:
    return bool(level1_of(s) or level2_of(s) or s in _ROLE_NAMES)


def _roles_of(texts: list[str]) -> list[str]:
    roles = []
    for t in texts:
        f = fold(t)
        role = _ROLE_NAMES.get(f) or _ROLE_NAMES.get(re.sub(r"[（(].*?[）)]", "", f))
        roles.append(role or "other")
    return roles


def _is_indicator_header(texts: list[str]) -> bool:
    if not any("指标" in t or "目标值" in t for t in texts):
        return False  # cheap rejection: this runs on every row
    roles = set(_roles_of(texts))
    joined = fold("".join(texts))
    if {"l1", "l2"} <= roles or ("name" in roles and "value" in roles) or ("l2" in roles and "value" in roles):
        return True
    return sum(k in joined for k in ("一级指标", "二级指标", "三级指标", "指标值", "指标名称", "指标内容")) >= 2


# ---------------------------------------------------------------------------------------------
# The parser


@dataclass
class _Pending:
    l1: str | None
    l2: str | None
    name: str
    name_cell: Cell | None
    value_text: str | None = None
    value_cell: Cell | None = None
    op_text: str | None = None
    unit_text: str | None = None
    has_op_column: bool = False


@dataclass
class Result:
    table: TableData
    evidence: dict[str, Evidence]
    notes: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, chunk: Chunk):
        self.chunk = chunk
        self.done: list[Result] = []  # earlier projects of a table that lists several
        self.section = "head"
        self.fund_unit = "万元"
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
        # indicators
        self.block = "annual"  # which indicator block (中期 or 年度) the rows belong to
        self.indicator_blocks: list[str] = []
        self.l1: str | None = None
        self.l2: str | None = None
        self.pending: _Pending | None = None
        self.indicators: list[Indicator] = []

    # -- entry --------------------------------------------------------------------------------
    def run(self) -> list[Result]:
        if self.chunk.inherited_title is not None:
            self._title(self.chunk.inherited_title, inherited=True)
        for row in _merge_fragments(self.chunk.rows):
            self._row(row)
        self._flush()
        return self.done + [self._result()]

    def _finish_record(self) -> None:
        self._flush()
        self.done.append(self._result())
        self._new_record()

    def _row(self, row: Row) -> None:
        texts = [c.text for c in row.cells]
        first = fold(texts[0])
        if not any(t.strip() for t in texts):
            return
        if _NOTE.match(first) and not row.ruled:
            self._flush()
            self.section = "done"
            return
        if self.section == "done":
            return
        if (m := _BLOCK.match(first)) and (m.group("period") or m.group("annual")):
            self.block = "period" if m.group("period") else "annual"
            if len(texts) == 1:
                return
        if self._indicator_header(row, texts):
            return
        if self.section == "indicators":
            self._indicator_row(row)
            return
        if self.section == "head" and (m := _UNIT_LINE.search(fold(row.text))):
            self.fund_unit = m.group(1)  # "金额单位：元" under the heading
        if self.pending_head and not self._starts_with_label(first):
            kind, self.pending_head = self.pending_head, None
            value = squash(texts[0])
            self.head[kind] = _strip_code(value) if kind in ("competent_department", "implementing_unit") else value
            self._cite(kind, row.cells[0])
            return
        self.pending_head = None
        if is_title(row):
            self._title(row)
        elif _HEAD_START.match(first):
            self._head(row)
        elif _GOAL.match(first) or (len(texts) > 1 and any(_GOAL.match(fold(t)) for t in texts)):
            self._goals(row)
        elif _FUND_START.search(fold(row.text)) or (self.section == "funds" and _FUND.match(first)):
            self._funds(row)
        elif self.section == "goals":
            self._goal_continuation(row)
        elif self.section == "head" and self.head["year"] is None and (m := _YEAR.search(first)):
            self.head["year"] = int(m.group(1))  # e.g. a "（2024年度）" line under the heading

    # -- heading and header fields -------------------------------------------------------------
    @staticmethod
    def _starts_with_label(first: str) -> bool:
        return bool(_HEAD_START.match(first) or _GOAL.match(first) or _FUND.match(first)
                    or _FUND_START.search(first) or first.startswith(("项目资金", "绩效指标", "一级")))

    def _title(self, row: Row, inherited: bool = False) -> None:
        if self.head["title"] is not None:
            return
        self.head["title"] = squash(row.cells[0].text)
        self._cite("title", row.cells[0])
        if m := _YEAR.search(self.head["title"]):
            self.head["year"] = int(m.group(1))
        if inherited:
            self.notes.append("title: shared heading above several tables")

    def _head(self, row: Row) -> None:
        j = _Joined(row)
        hits = list(_labels(_HEAD, _HEAD_LABELS, j.text))
        for n, (kind, _s, end, _m) in enumerate(hits):
            stop = hits[n + 1][1] if n + 1 < len(hits) else len(j.text)
            value = _clean_value(j.text[end:stop])
            if kind is not None and not value and n == len(hits) - 1 and self.head[kind] is None:
                self.pending_head = kind  # "项目名称" alone on its line: the value follows
            if kind is None or not value:
                continue
            if kind in ("competent_department", "implementing_unit"):
                value = _strip_code(value)
            if self.head[kind] is None:
                self.head[kind] = value
                self._cite(kind, j.cell_at(end + (1 if j.text[end:end + 1] == j.SEP else 0)))

    # -- funds ---------------------------------------------------------------------------------
    def _funds(self, row: Row) -> None:
        self.section = "funds"
        j = _Joined(row)
        text = j.text
        if m := _FUND_UNIT.search(fold(text)):
            self.fund_unit = m.group(1) or m.group(2)
        hits = [h for h in _labels(_FUND, _FUND_LABELS, text)
                if _at_cell_start(text, h[1]) or not _BARE_OTHER.fullmatch(text[h[1]:h[2]])
                or text[h[1] - 1] in "0123456789万元"]
        totals = [h for h in hits if h[0] == "total"]
        if totals:
            columns = [self._fund_column(h[3], text[h[1]:h[2]]) for h in totals]
            # totals one per line (cells exported one per line) add up to the column list
            self.fund_columns = self.fund_columns + columns if self.fund_totals_only else columns
            self.fund_seen = {}
        self.fund_totals_only = bool(hits) and all(h[0] == "total" for h in hits)
        for n, (kind, _s, end, m) in enumerate(hits):
            stop = hits[n + 1][1] if n + 1 < len(hits) else len(text)
            if kind is None:
                continue
            i = self.fund_seen.get(kind, 0)
            self.fund_seen[kind] = i + 1
            qual = self._qualifier_column(m)
            col = qual or (self.fund_columns[i] if i < len(self.fund_columns) else "all")
            if kind == "total":
                col = self._fund_column(m, text[_s:end])
            raw = text[end:stop].replace(j.SEP, " ")
            amount = parse_amount(raw, self.fund_unit) if re.search(r"\d", raw) else None
            if col not in self.funds:
                continue
            if amount is not None or kind not in self.funds[col]:
                self.funds[col][kind] = amount
                if amount is not None:
                    self.fund_cells[(col, kind)] = j.cell_at(end)

    @staticmethod
    def _qualifier_column(m: re.Match) -> str | None:
        q = next((v for k, v in m.groupdict().items() if k.startswith("q") and v), "")
        if "市县" in q or "全市" in q or "全省" in q:
            return "all"
        if "本级" in q:
            return "own"
        return None

    def _fund_column(self, m: re.Match, label: str) -> str:
        q = self._qualifier_column(m)
        if q:
            return q
        if re.match(r"(中长期|中期|长期|项目期|实施期)", fold(label)):
            return "period"
        return "all"

    # -- goals ---------------------------------------------------------------------------------
    def _goals(self, row: Row) -> None:
        self.section = "goals"
        j = _Joined(row)
        hits = [h for h in _labels(_GOAL, _GOAL_LABELS, j.text) if _at_cell_start(j.text, h[1])]
        spans = []
        for n, (kind, _s, end, _m) in enumerate(hits):
            stop = hits[n + 1][1] if n + 1 < len(hits) else len(j.text)
            spans.append((kind, end, j.text[end:stop]))
        labelled = [s for s in spans if s[0] != "group"]
        if labelled and all(not _clean_value(t) for _k, _e, t in labelled):
            # a header row (总体目标 | 中期目标 | 年度目标): the goal text is in the row(s) below
            self.goal_columns = [(k, j.cell_at(e - 1)) for k, e, _t in labelled]
            self.goal_kind = None
            return
        self.goal_columns = []
        for kind, end, text in spans:
            if kind == "group":
                continue
            self.goal_kind = kind
            self.goal_cell.setdefault(kind, j.cell_at(end - 1))
            self._add_goal_text(kind, text)

    def _add_goal_text(self, kind: str, text: str) -> None:
        text = text.replace(_Joined.SEP, "\n").strip().lstrip("：:")
        if text:
            self.goal_text[kind].append(text)

    def _goal_continuation(self, row: Row) -> None:
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
            return [(_best_column(c, columns), c) for c in cells if _best_column(c, columns)]
        if len(cells) == 1 and len(columns) > 1:
            # one goal cell under a 总体目标 | 年度目标 header is the annual goal (contract)
            kinds = [k for k, _c in columns]
            return [("annual" if "annual" in kinds else kinds[-1], cells[0])]
        kinds = [k for k, _c in columns][-len(cells):]  # merged cells drop leftmost columns
        return list(zip(kinds, cells))

    # -- indicators ----------------------------------------------------------------------------
    def _indicator_header(self, row: Row, texts: list[str]) -> bool:
        if len(texts) == 1 and not row.ruled:
            tokens = texts[0].split()
            if _is_indicator_header(tokens):
                self._enter_indicators()
                flat = ({"op", "unit"} | _RECORD_ROLES) & set(_roles_of(tokens))
                self.roles = [(r, Cell(t, [], None)) for r, t in zip(_roles_of(tokens), tokens)] if flat else []
                return True
            if fold(texts[0]) in ("绩效指标", "一级指标", "一级", "二级指标", "三级指标", "指标值"):
                self._enter_indicators()
                return True
            return False
        if not _is_indicator_header(texts):
            return False
        self._enter_indicators()
        roles = _roles_of(texts)
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

    def _enter_indicators(self) -> None:
        self._flush()
        self.section = "indicators"

    def _indicator_row(self, row: Row) -> None:
        cells = [c for c in row.cells]
        texts = [c.text for c in cells]
        if self.roles and (row.ruled and all(c.bbox for _r, c in self.roles)):
            assigned = [(_best_column(c, self.roles), c) for c in cells if c.text.strip()]
            self._columnar(assigned)
        elif self.roles and len(cells) > 1:
            self._columnar(self._align(cells))
        elif self.roles and len(cells) == 1 and len(texts[0].split()) > 1 and not _SLOT.match(texts[0]):
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
        if len(cells) == len(roles):
            return list(zip(roles, cells))
        for k, cell in enumerate(cells):
            role = "l1" if level1_of(cell.text) else "l2" if level2_of(cell.text) else None
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
            elif level1_of(text) and "l1" in roles:
                out.append(("l1", cells[i]))
                i += 1
            elif level2_of(text) and "l2" in roles:
                out.append(("l2", cells[i]))
                i += 1
            else:
                break
        after = roles[roles.index("name"):] if "name" in roles else roles
        out.extend(zip(after, cells[i:]))
        return out

    def _set_levels(self, l1: str | None = None, l2: str | None = None) -> None:
        if l1:
            self._flush()
            self.l1, self.l2 = l1, None
        if l2:
            self._flush()
            self.l2 = l2

    def _columnar(self, assigned: list[tuple[str | None, Cell]]) -> None:
        by_role: dict[str, Cell] = {}
        for role, cell in assigned:
            if role and role not in by_role:
                by_role[role] = cell
        if _RECORD_ROLES & by_role.keys():
            self._record_cells(by_role)
        if "l1" in by_role:
            self._set_levels(l1=level1_of(by_role["l1"].text) or self._unknown_level(by_role["l1"].text, 1))
        if "l2" in by_role:
            self._set_levels(l2=level2_of(by_role["l2"].text) or self._unknown_level(by_role["l2"].text, 2))
        if "name" not in by_role:
            return
        self._flush()
        name_cell = by_role["name"]
        name = _SLOT.sub("", name_cell.text, count=1)
        value_cell = by_role.get("value")
        self.pending = _Pending(
            self.l1, self.l2, name, name_cell,
            value_cell.text if value_cell else None, value_cell,
            by_role["op"].text if "op" in by_role else None,
            by_role["unit"].text if "unit" in by_role else None,
            has_op_column=any(r == "op" for r, _c in self.roles),
        )
        self._flush()

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
                self.head[key] = _strip_code(squash(cell.text))
                self._cite(key, cell)
        for role, kind in (("goal", "annual"), ("goal_overall", "overall")):
            cell = by_role.get(role)
            if cell is not None and squash(cell.text) and cell.text not in self.goal_text[kind]:
                self.goal_cell.setdefault(kind, cell)
                self.goal_text[kind].append(cell.text)  # exports repeat a merged goal on every row
        if (cell := by_role.get("amount")) is not None and "total" not in self.funds["all"]:
            header = next((c.text for r, c in self.roles if r == "amount"), "")
            unit = m.group(1) if (m := _FUND_UNIT.search(fold(header))) else self.fund_unit
            self.funds["all"]["total"] = parse_amount(cell.text, unit or "万元")
            self.fund_cells[("all", "total")] = cell

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
            while tokens and (level1_of(tokens[0]) or level2_of(tokens[0])) and not _SLOT.match(tokens[0]):
                tok = tokens.pop(0)
                if l1 := level1_of(tok):
                    self._set_levels(l1=l1)
                else:
                    self._set_levels(l2=level2_of(tok))
            if not tokens:
                continue
            text = " ".join(tokens)
            if m := _SLOT.match(text):
                self._flush()
                rest = text[m.end():].strip()
                if queue and not _SLOT.match(queue[0].text):  # the value is the next cell
                    vcell = queue.pop(0)
                    self.pending = _Pending(self.l1, self.l2, rest, cell, vcell.text, vcell)
                    self._flush()
                    continue
                name, value = split_name_value(rest)
                self.pending = _Pending(self.l1, self.l2, name, cell, value, cell if value else None)
                if value is not None:
                    self._flush()
            elif self.pending is not None and self.pending.value_text is None and self.pending.name.strip():
                self.pending.value_text, self.pending.value_cell = text, cell  # value on its own line
                self._flush()
            elif self.l2 is not None:
                # an indicator row without a 指标N： slot: "name value"
                name, value = split_name_value(text)
                if value is None:
                    self.notes.append(f"line not understood in the indicator block: {text}")
                    continue
                self._flush()
                self.pending = _Pending(self.l1, self.l2, name, cell, value, cell)
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
            operator = _OP_WORDS.get(op_key, parse_value(op_key + "0").operator if op_key else None)
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
    def _cite(self, key: str, cell: Cell | None) -> None:
        if (ev := _evidence(cell)) is not None:
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
        return Result(table, self.evidence, self.notes)

    def _funds_result(self) -> Funds:
        all_, own, period = self.funds["all"], self.funds["own"], self.funds["period"]
        if not all_ and period:  # only a project-period block: it is the single funding block
            all_ = period
            self.fund_cells.update({("all", k): c for (col, k), c in self.fund_cells.items() if col == "period"})
        out = {}
        for col, src, suffix in (("all", all_, "all_levels"), ("own", own, "own_level")):
            for kind in ("total", "fiscal", "other"):
                out[f"{kind}_{suffix}"] = src.get(kind)
                if (col, kind) in self.fund_cells and src.get(kind) is not None:
                    self._cite(f"funds.{kind}_{suffix}", self.fund_cells[(col, kind)])
        return Funds(**out)


def _best_column(cell: Cell, columns: list[tuple[str, Cell]]) -> str | None:
    x0, _y0, x1, _y1 = cell.bbox
    best, best_overlap = None, 0.0
    for role, head in columns:
        if head.bbox is None:
            continue
        overlap = min(x1, head.bbox[2]) - max(x0, head.bbox[0])
        if overlap > best_overlap:
            best, best_overlap = role, overlap
    return best


def extract(chunk: Chunk) -> list[Result]:
    """Read one table chunk into the contract, with evidence for each value and notes on anything
    dropped: one result, or one per project where the table lists several."""
    return _Parser(chunk).run()
