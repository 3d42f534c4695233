"""Cells: how the text of a row is cut into cells and pieces, and the small helpers on them.

Rows arrive ruled (PDF grids: columns by position), separated (' | ' or tab exports: columns by
index) or as plain lines (labels, 'name value' splits, cells run together).  This module holds
what every section reader shares: a row's cells joined with the way back to each cell, 'name
value' splits, goal numbering, labels broken over lines, and where a value was read.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ...document import Cell, Line, Row
from ...models import Evidence
from ...values import fold, squash
from .labels import is_label_prefix, level1_of, level2_of
from .patterns import patterns
from .runtogether import cut_value, has_scoring, with_degree, split_labels as split_run_together_labels
from . import vocabulary as V

_CODE = re.compile(r"^[\[【(（]?\s*\d{3,}\s*[\]】)）]?\s*[-_－—:：.]?\s*|\s*[\[【(（]\s*\d{3,}\s*[\]】)）]$"
                   r"|(?<=[\u4e00-\u9fff])\s*\d{6}$")  # a budget code printed after the name
_GOAL_SPLIT = re.compile(
    r"目标\s*[0-9０-９]+\s*[：:、.．]?|(?:^|(?<=[\n；;。\s]))\s*[（(]?[0-9０-９]{1,2}\s*[)）.．、](?![0-9])"
)
_TAIL_NUMBER = re.compile(
    r"(?:[≥≤<>=≧≦＞＜＝]|>=|<=|不低于|不少于|不高于|不超过|大于|小于|低于|高于)?\s*[-+]?[0-9０-９]+(?:[.．][0-9０-９]+)?"
    r"\s*(?:[%％‰]|[^\s0-9０-９]{0,4}?)(?:以上|以下|以内)?$"
)
SLOT = re.compile(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:.．、]?\s*")

def labels_in(regex: re.Pattern, kinds: list, text: str):
    """(kind, label_start, label_end, match) for every label in text, in order."""
    kind_of = _kind_of_group(regex)
    for m in regex.finditer(text):
        # the label's group (h3) or its qualifier's (q3) closes last: its number is the kind's
        i = kind_of.get(m.lastindex)
        if i is None:
            i = next(int(k[1:]) for k, v in m.groupdict().items() if v is not None and not k.startswith("q"))
        yield kinds[i], m.start(), m.end(), m


def qualifier_of(m: re.Match) -> str:
    """The qualifier a label match of the fund pattern caught ((含本级), or "")."""
    # Only the alternative that matched has groups that are not None, and its qualifier's group
    # (q3) closes last, so it is the match's lastindex: no groupdict() of every alternative.
    i = _kind_of_group(m.re).get(m.lastindex)
    if i is None:
        return next((v for k, v in m.groupdict().items() if k.startswith("q") and v), "")
    return m.group(f"q{i}") or ""


@lru_cache(maxsize=32)
def _kind_of_group(regex: re.Pattern) -> dict[int, int]:
    """Group number -> kind number, for the named groups of a label pattern (h0, f0 and q0, g0 …)."""
    return {index: int(name[1:]) for name, index in regex.groupindex.items() if name[1:].isdigit()}


class Joined:
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


def at_cell_start(text: str, offset: int) -> bool:
    """Labels count only where a cell or a space-separated piece starts, not inside a sentence."""
    return offset == 0 or text[offset - 1] in (Joined.SEP, " ", "　", "\t", "|")


def clean_value(text: str) -> str:
    return squash(text.replace(Joined.SEP, " ")).lstrip("：:").strip()


def strip_code(name: str) -> str:
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
    if has_scoring(text) and (cut := cut_value(text)) is not None:
        return cut[0], cut[1]  # 'name value 指标值内容 评(扣)分标准 …' run together: the value is the first
    if re.search(r"\s", text):
        name, value = re.split(r"\s+(?=\S+$)", text, maxsplit=1)
        return name, value
    m = _TAIL_NUMBER.search(text)
    if m and m.start() > 0:
        return text[: m.start()], text[m.start():]
    for w in patterns().qualitative_words:
        if text.endswith(w) and len(text) > len(w):
            k = with_degree(text, len(text) - len(w))
            return text[:k], text[k:]
    return text, None


def evidence_of(cell: Cell | None) -> Evidence | None:
    if cell is None or not cell.lines:
        return None
    ln: Line = cell.lines[0]
    box = cell.page_bbox if cell.page_bbox is not None else ln.bbox
    confs = [x.conf for x in cell.lines if x.conf is not None]
    # this runs per value: pydantic's validating constructor (Rust) is twice as fast as its
    # model_construct (Python), and checks the types on top
    return Evidence(page=ln.page, bbox=(round(box[0], 2), round(box[1], 2), round(box[2], 2),
                                                        round(box[3], 2)) if box else None, line=ln.lineno,
                                    confidence=min(confs) if confs else None, cell=ln.cell)


def merge_fragments(rows: list[Row]) -> list[Row]:
    """Join runs of one-cell lines that together spell a label: 产/出/指/标, 经济效益/指标, 一级/指标."""
    out: list[Row] = []
    i = 0
    while i < len(rows):
        r = rows[i]
        if len(r.cells) == 1 and not r.ruled and is_label_prefix(r.cells[0].text):
            acc, cells, j = fold(r.cells[0].text), [r.cells[0]], i + 1
            while j < len(rows) and len(rows[j].cells) == 1 and not rows[j].ruled:
                nxt = acc + fold(rows[j].cells[0].text)
                if not (is_label_prefix(nxt) or is_whole_label(nxt)) or (
                        is_whole_label(acc) and is_whole_label(fold(rows[j].cells[0].text))):
                    break  # two whole labels one under the other stay two
                acc, cells, j = nxt, cells + [rows[j].cells[0]], j + 1
            if j > i + 1 and is_whole_label(acc):
                lines = [ln for c in cells for ln in c.lines]
                out.append(Row([Cell(acc, lines, None)], r.page))
                i = j
                continue
        out.append(r)
        i += 1
    return out


def is_whole_label(s: str) -> bool:
    return bool(level1_of(s) or level2_of(s) or s in V.COLUMNS)


_BRACKETED = re.compile(r"[（(].*?[）)]")


def roles_of(texts: list[str]) -> list[str]:
    P = patterns()
    return [_role_of(t, P) for t in texts]


# Keyed by the patterns too: they are made anew whenever the vocabulary changes (patterns.py),
# so a column added to V.COLUMNS is never answered from an older state.  Header cells and the
# cells of every indicator row are looked up here, the same few texts table after table.
@lru_cache(maxsize=8192)
def _role_of(text: str, _vocabulary) -> str:
    f = fold(text)
    # a bracketed qualifier (万元) is tried without; folded text has only ASCII brackets
    role = V.COLUMNS.get(f) or ("(" in f and V.COLUMNS.get(_BRACKETED.sub("", f)))
    return role or "other"


def is_indicator_header(texts: list[str]) -> bool:
    joined = "\x00".join(texts)  # the separator keeps a word from spanning two cells
    if "指标" not in joined and "目标值" not in joined:
        return False  # cheap rejection: this runs on every row
    return _is_indicator_header(tuple(texts), patterns())


@lru_cache(maxsize=4096)  # the grid's rows that pass the rejection above recur from table to table
def _is_indicator_header(texts: tuple[str, ...], P) -> bool:
    roles = {_role_of(t, P) for t in texts}
    joined = fold("".join(texts))
    if {"l1", "l2"} <= roles or ("name" in roles and "value" in roles) or ("l2" in roles and "value" in roles):
        return True
    return sum(k in joined for k in ("一级指标", "二级指标", "三级指标", "指标值", "指标名称", "指标内容")) >= 2


def column_spans(columns: list[tuple[str, Cell]]) -> list[tuple[str, float, float]]:
    """Each header column's role and its left and right edge (those with a box), for best_in."""
    return [(role, head.bbox[0], head.bbox[2]) for role, head in columns if head.bbox is not None]


def best_in(cell: Cell, spans: list[tuple[str, float, float]]) -> str | None:
    """The column (of column_spans) a cell overlaps most, or None when it overlaps none."""
    x0, x1 = cell.bbox[0], cell.bbox[2]
    best, best_overlap = None, 0.0
    for role, left, right in spans:
        overlap = min(x1, right) - max(x0, left)
        if overlap > best_overlap:
            best, best_overlap = role, overlap
    return best


def best_column(cell: Cell, columns: list[tuple[str, Cell]]) -> str | None:
    return best_in(cell, column_spans(columns))


# ---------------------------------------------------------------------------------------------
# Cells one per line: HTML tables flattened with a newline after every cell.


def _lone(row: Row) -> bool:
    return len(row.cells) == 1 and not row.ruled


def is_key(text: str) -> bool:
    """The whole text is one header or fund key (with an optional qualifier and colon)."""
    f = fold(text).rstrip(":：")
    P = patterns()
    return any((m := rx.match(f)) is not None and m.end() == len(f) for rx in (P.head, P.fund))


def is_label(text: str) -> bool:
    """The whole text is a label the vocabulary knows: a key, a goal label, a column or level name."""
    f = fold(text).rstrip(":：")
    if not f:
        return False
    if is_key(f) or f in V.COLUMNS or level1_of(f) or level2_of(f) or f in V.FOREIGN_LEVELS:
        return True
    m = patterns().goal.match(f)
    return m is not None and m.end() == len(f)


def starts_with_label(text: str) -> bool:
    f = fold(text)
    P = patterns()
    return bool(P.head_start.match(f) or P.fund.match(f) or P.goal.match(f))


def join_broken_labels(rows: list[Row]) -> list[Row]:
    """One-cell lines that only together spell a label: 项目起/止时间, 主管部门/及编码, 年度/目标."""
    out: list[Row] = []
    i = 0
    while i < len(rows):
        r = rows[i]
        if i + 1 < len(rows) and _lone(r) and _lone(rows[i + 1]) and r.cells[0].text.strip():
            a, b = r.cells[0], rows[i + 1].cells[0]
            joined = fold(a.text) + fold(b.text)
            if len(joined) <= 16 and is_label(joined) and not is_label(b.text) and (
                    not is_label(a.text) or is_key(joined)):
                out.append(Row([Cell(joined, a.lines + b.lines, None)], r.page))
                i += 2
                continue
        out.append(r)
        i += 1
    return out


def pair_keys(rows: list[Row]) -> list[Row]:
    """A header or fund key alone on its line, and its value on the next: one row of two cells.

    Only above the indicator grid, and only where the next line is not itself a label (an empty
    value is simply not printed in such exports).
    """
    out: list[Row] = []
    i = 0
    while i < len(rows):
        r = rows[i]
        texts = [c.text for c in r.cells]
        if is_indicator_header([fold(t) for t in texts]) or fold(texts[0]) in ("一级指标", "绩效指标"):
            out.extend(rows[i:])
            break
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if (nxt is not None and _lone(r) and _lone(nxt) and is_key(texts[0]) and nxt.cells[0].text.strip()
                and not starts_with_label(nxt.cells[0].text) and not is_label(nxt.cells[0].text)):
            out.append(Row([r.cells[0], nxt.cells[0]], r.page))
            i += 2
            continue
        out.append(r)
        i += 1
    return out


def split_run_together(rows: list[Row]) -> list[Row]:
    """A line that is only labels run together ("总体目标年度目标") becomes one cell per label.

    The indicator grid's header is left whole: its reader cuts it into columns itself.
    """
    out: list[Row] = []
    for r in rows:
        if _lone(r) and not re.search(r"\s", r.cells[0].text.strip()) and (
                labels := split_run_together_labels(r.cells[0].text)) and not is_indicator_header(labels):
            out.append(Row([Cell(t, r.cells[0].lines, None) for t in labels], r.page))
        else:
            out.append(r)
    return out


def regroup_pipe_rows(rows: list[Row]) -> list[Row]:
    """Cells one per line with a line of bare pipes between table rows ('x |' … '||'): the cells
    between two such lines are one row.  Recognised by those separator lines (an ingested row
    whose cells are all empty); other inputs are returned as they are."""
    def is_sep(r: Row) -> bool:
        return not r.ruled and all(not c.text.strip() for c in r.cells)

    if sum(is_sep(r) for r in rows) < 5:
        return rows
    out: list[Row] = []
    acc: list[Cell] = []
    seen_sep = False
    for r in rows:
        if is_sep(r):
            if acc and seen_sep:
                out.append(Row(acc, r.page))
            elif acc:  # lines above the first separator are the page's, above the table: each its own
                out.extend(Row([c], r.page) for c in acc)
            acc = []
            seen_sep = True
        elif _lone(r):
            acc.append(r.cells[0])
        else:
            if acc:
                out.append(Row(acc, r.page))
            acc = []
            out.append(r)
    if acc:
        out.append(Row(acc, rows[-1].page))
    if max(len(r.cells) for r in out) > 16:
        return rows  # the bare lines do not delimit table rows here (only a page's margins)
    return out
