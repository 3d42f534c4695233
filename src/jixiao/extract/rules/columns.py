"""Cells of a flat export put under their columns by what they look like.

Flat exports (one row per indicator: 三级指标 | 指标性质 | 指标值 | 度量单位 | 权重) leave blank cells
out when a page is captured as text split by spaces, so the cells after the name no longer line
up with the header.  They are put back by shape: an operator column takes only operator words
(≥, 定性), a unit column no bare number, and the value column is filled whenever it can be.
"""

from __future__ import annotations

import re
from itertools import combinations

from ...values import fold
from . import vocabulary as V
from .sections import Role

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*%?")


def _fits(role: str, text: str, has_op: bool) -> bool:
    f = fold(text)
    is_op = f in V.OPERATOR_WORDS
    if role == Role.OP:
        return is_op
    if role == Role.VALUE:
        return not (has_op and is_op)
    if role == Role.UNIT:
        return not is_op and not _NUMBER.fullmatch(f) and len(f) <= 8
    return True


def fit_by_shape(roles: list[str], texts: list[str]) -> list[str] | None:
    """The column of each text (in order, blank columns skipped), or None when they cannot fit.

    Of the fits, the one that fills the value column and then the operator and unit columns is
    taken; among equals, the one leaving the last columns blank (a wrapped row continues there).
    """
    if len(texts) > len(roles):
        return None
    has_op = Role.OP in roles
    best, best_score = None, -1
    for cols in combinations(range(len(roles)), len(texts)):
        if not all(_fits(roles[c], t, has_op) for c, t in zip(cols, texts)):
            continue
        chosen = {roles[c] for c in cols}
        score = 4 * (Role.VALUE in chosen) + 2 * (Role.OP in chosen) + (Role.UNIT in chosen)
        if score > best_score:
            best, best_score = [roles[c] for c in cols], score
    return best


def column_for(roles: list[str], text: str) -> str | None:
    """The first of roles a lone text can stand under (the wrapped end of a row)."""
    return next((r for r in roles if _fits(r, text, Role.OP in roles)), None)
