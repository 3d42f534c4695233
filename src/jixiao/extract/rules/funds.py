"""The funds section: totals, 财政拨款 and 其他资金 per column, in 万元."""

from __future__ import annotations

import re

from ...document import Cell, Row
from ...models import Funds
from ...values import fold, parse_amount, squash
from .patterns import patterns
from .sections import Section
from .segment import Joined, at_cell_start, labels_in, qualifier_of

_BARE_OTHER = re.compile(r"(?:其中[：:]?)?其他")


class FundsReader:
    # -- funds ---------------------------------------------------------------------------------
    def _funds(self, row: Row) -> None:
        self.section = Section.FUNDS
        # a label wrapped inside its cell ("年度本级 预算金额") is still one label
        row = Row([Cell(squash(c.text), c.lines, c.bbox, c.page_bbox) for c in row.cells], row.page, row.ruled)
        j = Joined(row)
        text = j.text
        if m := patterns().fund_unit.search(fold(text)):
            self.fund_unit = m.group(1) or m.group(2)
        hits = [h for h in labels_in(patterns().fund, patterns().fund_kinds, text)
                if at_cell_start(text, h[1]) or not _BARE_OTHER.fullmatch(text[h[1]:h[2]])
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
        q = qualifier_of(m)
        if "市县" in q or "全市" in q or "全省" in q:
            return "all"
        if "本级" in q:
            return "own"
        return None

    def _fund_column(self, m: re.Match, label: str) -> str:
        q = self._qualifier_column(m)
        if q:
            return q
        if patterns().period.match(fold(label)):
            return "period"
        if patterns().own_level.search(fold(label)):
            return "own"  # 年度本级预算金额
        return "all"

    # -- goals ---------------------------------------------------------------------------------

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
