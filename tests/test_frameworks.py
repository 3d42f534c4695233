"""Levels of other frameworks (中央预算内投资 tables: 过程管理指标, 实施效果指标): every indicator under
them is kept, under the nearest level of the contract, with a note naming the printed level, and
the table is flagged for a person's look.  Gold written by hand."""

from __future__ import annotations

import pytest

from jixiao.check import check
from jixiao.pipeline import extract_file

GRID = """2024年中央预算内投资项目绩效目标表
项目名称 | 某县污水管网改造工程 |
主管部门 | 某县发展和改革局 |
一级指标 | 二级指标 | 三级指标 | 指标值 |
产出指标 | 数量指标 | 新建污水管网长度 | ≥12公里 |
过程管理指标 | 资金管理 | 中央预算内投资到位率 | 100% |
过程管理指标 | 项目管理 | 按期开工率 | 100% |
实施效果指标 | 社会效益 | 污水收集率 | ≥85% |
满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥90% |
"""

SPACES = GRID.replace(" | ", " ").replace(" |", "")

ONE_PER_LINE = "\n".join(c.strip() for line in GRID.splitlines() for c in line.split("|") if c.strip()) + "\n"


@pytest.mark.parametrize("text", [GRID, SPACES, ONE_PER_LINE], ids=["pipes", "spaces", "one-per-line"])
def test_indicators_under_levels_of_another_framework_are_kept_and_flagged(text, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    [t] = list(extract_file(path))
    assert [(i.name, i.value_text) for i in t.indicators] == [
        ("新建污水管网长度", "≥12公里"), ("中央预算内投资到位率", "100%"), ("按期开工率", "100%"),
        ("污水收集率", "≥85%"), ("群众满意度", "≥90%")]
    levels = {i.name: (i.level1, i.level2) for i in t.indicators}
    assert levels["新建污水管网长度"] == ("产出指标", "数量指标")
    assert levels["群众满意度"] == ("满意度指标", "服务对象满意度指标")
    assert levels["中央预算内投资到位率"][0] == "产出指标" and levels["污水收集率"][0] == "效益指标"
    assert any("过程管理指标" in n for n in t.notes) and any("实施效果指标" in n for n in t.notes)
    [checked] = check([(t, None, None)])
    assert any(f.rule == "EXTRACT-01" for f in checked.findings)
