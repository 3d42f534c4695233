"""Indicator levels (一级/二级指标): the canonical names of the contract and how printed names map to them."""

from __future__ import annotations

from typing import Literal, get_args


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

# How printed labels map to these names is vocabulary: see extract/rules/vocabulary.py and labels.py.
