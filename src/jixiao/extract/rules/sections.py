"""The sections of a table and the roles its cells play, named once.

StrEnum members compare equal to their values, so a role read from the vocabulary ("name") and
Role.NAME are the same thing.
"""

from __future__ import annotations

from enum import StrEnum


class Section(StrEnum):
    HEAD = "head"  # heading and key/value header fields
    FUNDS = "funds"
    GOALS = "goals"
    INDICATORS = "indicators"
    DONE = "done"  # notes and signatures under the table


class Role(StrEnum):
    """What a column of the indicator grid holds."""

    L1 = "l1"  # 一级指标
    L2 = "l2"  # 二级指标
    NAME = "name"  # 三级指标
    VALUE = "value"  # 指标值
    OP = "op"  # 指标性质 (the operator in its own column)
    UNIT = "unit"  # 度量单位
    GROUP = "group"  # the 绩效指标 row label spanning the grid
    IGNORED = "ignored"  # a known column outside the contract that may hold notes: 备注, 绩效标准 …
    # a known column whose content is outside the contract by its nature (权重, 评分标准, 指标方向性,
    # 指标值类型): read past, and its text is no lost value
    OUTSIDE = "outside"
    SKIP = "skip"  # a column of a block that is left out (the 中期 block beside the 年度 one)
    OTHER = "other"  # a header cell not in the vocabulary
    # a project's own cells, in tables that list several projects one row per indicator
    PROJECT = "project"
    DEPT = "dept"
    IMPL = "impl"
    GOAL = "goal"
    GOAL_OVERALL = "goal_overall"
    AMOUNT = "amount"
    CODE = "code"  # 单位代码: the budget code that starts a unit's or a project's row
    # 单位(专项)名称: the unit's name on its own row, then each project's (专项) name on the rows
    # under it that repeat the unit's code
    UNIT_OR_PROJECT = "unit_or_project"


RECORD_ROLES = {Role.PROJECT, Role.DEPT, Role.IMPL, Role.GOAL, Role.GOAL_OVERALL, Role.AMOUNT, Role.CODE,
                Role.UNIT_OR_PROJECT}

# columns read past (no field of the contract)
PASSED_ROLES = {Role.IGNORED, Role.OUTSIDE}
