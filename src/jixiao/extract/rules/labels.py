"""What a printed level label means (一级/二级指标), from the vocabulary."""

from __future__ import annotations

import re
from functools import lru_cache

from ...levels import LEVEL2_NAMES
from ...values import fold
from . import vocabulary as V


def _bare(text: str) -> str:
    s = fold(text).rstrip("：:")
    return re.sub(V.LEVEL_SUFFIX, "", s) if "(" in s else s  # (必填硬性指标)


def level1_of(text: str) -> str | None:
    """The level-1 meaning of a printed label ("成本指标" for the 2021 cost group), else None."""
    return _level1(_bare(text), len(V.LEVEL1))


@lru_cache(maxsize=4096)
def _level1(s: str, _size: int) -> str | None:
    return V.LEVEL1.get(s)


def level2_of(text: str) -> str | None:
    """The canonical level-2 name of a printed label, else None.

    Only short labels that end like a label are accepted, so an indicator name such as
    "群众满意度" is never taken for the level-2 label 服务对象满意度指标.
    """
    return _level2(_bare(text), len(V.LEVEL2_KEYWORDS))


@lru_cache(maxsize=4096)
def _level2(s: str, _size: int) -> str | None:
    if not s or len(s) > 16:
        return None
    if s in LEVEL2_NAMES:
        return s
    if not (s.endswith(V.LEVEL2_ENDINGS) or s in V.LEVEL2_BARE):
        return None
    if s.endswith("值") and len(s) > 4:
        return None  # 产出值 / 数量值 are labels; a longer "…值" is an indicator name (合格产值)
    for key, name in V.LEVEL2_KEYWORDS:
        if key in s:
            return name
    return None


def is_level_label(text: str) -> bool:
    """level1_of(text) or level2_of(text) or foreign_level(text), with the label made bare once."""
    s = _bare(text)
    return bool(_level1(s, len(V.LEVEL1)) or _level2(s, len(V.LEVEL2_KEYWORDS)) or V.FOREIGN_LEVELS.get(s))


def foreign_level(text: str) -> tuple[str, str] | None:
    """A level of another framework (实施效果指标): the contract levels it is kept under."""
    return V.FOREIGN_LEVELS.get(_bare(text))


@lru_cache(maxsize=4096)
def is_label_prefix(text: str) -> bool:
    """True when text could be the start of a level label that wraps onto the next line."""
    s = fold(text)
    if not s:
        return False
    names = list(V.LEVEL1) + list(LEVEL2_NAMES) + V.LABEL_PREFIX_WORDS
    return any(n.startswith(s) and n != s for n in names)


def reset() -> None:
    _level1.cache_clear()
    _level2.cache_clear()
    is_label_prefix.cache_clear()
