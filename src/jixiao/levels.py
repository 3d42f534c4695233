"""Indicator levels (一级/二级指标): the canonical names of the contract and how printed names map to them."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, get_args

from .values import fold

Level1 = Literal["产出指标", "效益指标", "满意度指标"]
Level2 = Literal[
    "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标",
    "生态效益指标", "可持续影响指标", "服务对象满意度指标",
]
LEVEL1_NAMES: tuple[str, ...] = get_args(Level1)
LEVEL2_NAMES: tuple[str, ...] = get_args(Level2)

# Which level 1 each level 2 belongs to (the 2021 framework's 成本指标 group sits under 产出指标).
PARENT: dict[str, str] = {
    "数量指标": "产出指标", "质量指标": "产出指标", "时效指标": "产出指标", "成本指标": "产出指标",
    "经济效益指标": "效益指标", "社会效益指标": "效益指标", "生态效益指标": "效益指标",
    "可持续影响指标": "效益指标", "服务对象满意度指标": "满意度指标",
}

# Printed level-1 names, folded, and what they mean.  A vertical label clipped by its cell
# ("满意度指") is still the label; 成本指标 as a level-1 group is the 2021 framework.
_LEVEL1_ALIASES = {
    "产出指标": "产出指标", "产出": "产出指标", "产出指": "产出指标",
    "效益指标": "效益指标", "效益": "效益指标", "效益指": "效益指标",
    "满意度指标": "满意度指标", "满意度": "满意度指标", "满意度指": "满意度指标",
    "成本指标": "成本指标", "成本": "成本指标", "成本指": "成本指标",
}

# Keywords that decide a level-2 name, tried in order (经济成本指标 is a cost, not an economic benefit).
_LEVEL2_KEYWORDS = [
    ("满意", "服务对象满意度指标"), ("成本", "成本指标"), ("数量", "数量指标"), ("质量", "质量指标"),
    ("时效", "时效指标"), ("进度", "时效指标"), ("经济", "经济效益指标"), ("社会", "社会效益指标"),
    ("生态", "生态效益指标"), ("环境", "生态效益指标"), ("可持续", "可持续影响指标"),
]


@lru_cache(maxsize=4096)
def level1_of(text: str) -> str | None:
    """The level-1 meaning of a printed label ("成本指标" for the 2021 cost group), else None."""
    return _LEVEL1_ALIASES.get(fold(text).rstrip("：:"))


@lru_cache(maxsize=4096)
def level2_of(text: str) -> str | None:
    """The canonical level-2 name of a printed label, else None.

    Only short labels that end like a label are accepted, so an indicator name such as
    "群众满意度" is never taken for the level-2 label 服务对象满意度指标.
    """
    s = fold(text).rstrip("：:")
    if not s or len(s) > 14:
        return None
    if s in LEVEL2_NAMES:
        return s
    if not (s.endswith("指标") or s.endswith("指") or s in {"数量", "质量", "时效", "成本", "满意度"}):
        return None
    for key, name in _LEVEL2_KEYWORDS:
        if key in s:
            return name
    return None


@lru_cache(maxsize=4096)
def is_label_prefix(text: str) -> bool:
    """True when text could be the start of a level label that wraps onto the next line."""
    s = fold(text)
    if not s:
        return False
    names = list(_LEVEL1_ALIASES) + list(LEVEL2_NAMES) + [
        "经济效益", "社会效益", "生态效益", "环境效益指标", "可持续影响指标", "服务对象满意度指标",
        "社会公众或服务对象满意度指标", "一级指标", "二级指标", "三级指标", "绩效指标",
    ]
    return any(n.startswith(s) and n != s for n in names)
