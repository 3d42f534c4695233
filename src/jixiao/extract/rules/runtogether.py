"""Cells run together: pages whose capture dropped the separators between a row's cells.

Such a line is cut by what the vocabulary knows -- its labels (一级指标二级指标指标内容指标值 is
four column headers; 产出指标数量指标… starts with two level labels) -- and by the shapes of
values: a number with its operator and unit (≥90%, 17元/人.每天, 90%以上), a date, or a
qualitative word (稳步提高).  What follows a value in a flat export with scoring columns
(指标值内容, 评(扣)分标准, 度量单位, 指标值类型) is outside the contract and is left out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ...values import fold
from . import vocabulary as V
from .labels import foreign_level, level1_of, level2_of
from .patterns import patterns


def split_labels(text: str) -> list[str] | None:
    """The labels a cell is made of, when it is nothing but two or more labels run together
    ("总体目标年度目标", "一级指标二级指标三级指标指标值"); else None."""
    s = fold(text)
    if len(s) < 6 or not ("指标" in s or "目标" in s or "名称" in s):
        return None
    rx = patterns().any_label
    out, pos = [], 0
    while pos < len(s):
        m = rx.match(s, pos)
        if m is None or m.end() == pos:
            return None
        out.append(s[pos:m.end()])
        pos = m.end()
    return out if len(out) >= 2 else None


def _is_level(s: str) -> bool:
    return bool(level1_of(s) or level2_of(s) or foreign_level(s))


def peel_levels(text: str) -> tuple[list[str], str]:
    """Level labels at the start of a run-together cell, and the rest:
    "产出指标数量指标农村学校覆盖率100%" -> (["产出指标", "数量指标"], "农村学校覆盖率100%")."""
    s = text.strip()
    found: list[str] = []
    while True:
        cut = next((m.end() for m in re.finditer("指标", s) if _is_level(s[:m.end()])), None)
        if cut is None:
            return found, s
        found.append(s[:cut])
        s = s[cut:].lstrip()
        if not s:
            return found, s


@lru_cache(maxsize=1)
def _value_shape(_sig: int) -> re.Pattern:
    unit_piece = "|".join(sorted(V.UNIT_WORDS, key=len, reverse=True))
    unit = rf"(?:[%‰]|(?:每)?(?:{unit_piece})(?:[/.·](?:每)?(?:{unit_piece}))*)"
    ops = "|".join(sorted((re.escape(w) for w in V.VALUE_PREFIXES), key=len, reverse=True))
    date = r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?(?:底前|前|底)?"
    number = rf"(?:{ops})?\d+(?:\.\d+)?{unit}?(?:以上|以下|以内)?"
    return re.compile(rf"{date}|{number}")


def cut_value(text: str) -> tuple[str, str, str] | None:
    """(name, value, rest) of a run-together 'name value extra columns' cell, else None.

    The value is the first number-like shape after the name that is no score (得10分), else the
    first qualitative word; the rest is what the row prints after it.
    """
    s = text.strip()
    if re.search(r"\s", s) or len(s) < 4:
        return None
    rx = _value_shape(len(V.UNIT_WORDS) + len(V.VALUE_PREFIXES))
    for m in rx.finditer(s, 2):
        before = s[max(0, m.start() - 1):m.start()]
        if before in ("得", "扣", "减", "第") or re.match(r"\d+(?:\.\d+)?分", s[m.start():]):
            break  # the scoring text has begun: no numeric value before it
        if before.isdigit() or before == ".":
            continue
        return s[:m.start()], m.group(), s[m.end():]
    best = None
    for w in patterns().qualitative_words:
        k = s.find(w, 2)
        if k > 0 and (best is None or k < best[0] or (k == best[0] and len(w) > len(best[1]))):
            best = (k, w)
    if best is not None:
        k, w = best
        start = with_degree(s, k)
        return s[:start], s[start:k + len(w)], s[k + len(w):]
    return None


def with_degree(s: str, k: int) -> int:
    """Where a qualitative value starting at k really starts: a degree word before it (有所改善)."""
    for d in sorted(V.DEGREE_WORDS, key=len, reverse=True):
        if k - len(d) >= 2 and s[k - len(d):k] == d:
            return k - len(d)
    return k


@lru_cache(maxsize=1)
def _scoring(_sig: int) -> re.Pattern:
    return re.compile("|".join(V.SCORING_MARKS[:2]))


def has_scoring(text: str) -> bool:
    """The text holds a scoring rule (得10分, 扣1分): a flat export's 评(扣)分标准 column."""
    return bool(_scoring(len(V.SCORING_MARKS)).search(text))


def is_blank_row(text: str) -> bool:
    """A row of an empty indicator slot in a flat export: only blank marks and type words ('-定性')."""
    s = fold(text).strip("-—/|")
    return not s or s in V.BLANK_ROW_WORDS
