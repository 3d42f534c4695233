"""Flat exports (one row per indicator) captured as text split by spaces, and level labels in the
places real pages print them.  Gold written by hand for made-up tables of those shapes."""

from __future__ import annotations

from pathlib import Path

from jixiao.extract.rules.columns import fit_by_shape
from jixiao.pipeline import extract_file


def read(tmp_path: Path, text: str):
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    tables = list(extract_file(path))
    assert len(tables) == 1
    return tables[0]


def rows(table):
    return [(i.level1, i.level2, i.name, i.value_text, i.operator, i.value, i.unit) for i in table.indicators]


def test_blank_cells_left_out_are_put_back_by_shape():
    roles = ["op", "value", "unit", "ignored"]
    assert fit_by_shape(roles, ["≥", "95", "%", "10"]) == roles
    assert fit_by_shape(roles, ["470", "人/天", "2"]) == ["value", "unit", "ignored"]
    assert fit_by_shape(roles, ["1", "5"]) == ["value", "ignored"]  # a unit is no bare number
    assert fit_by_shape(roles, ["定性", "高中低"]) == ["op", "value"]


SICHUAN_SPACES = """绩效目标表
单位信息: 512001-某县农业农村局 项目名称: 耕地地力保护
主管部门: 512-某县农业农村部门 项目经办人:
整体目标: 落实耕地地力保护补贴政策,保护耕地地力。
一级指标 二级指标 三级指标 指标性质 指标值 度量单位 权重(%)
产出指标 数量指标 补贴发放面积 ≥ 12000 亩 20
产出指标 成本指标 每亩补贴标准 105 元/亩 10
产出指标 时效指标 发放时限 1 15
产出指标 质量指标 补贴发放准确率 100 % 15
效益指标 社会效益指标 农民种粮积极性 定性 提高
10
满意度指标 服务对象满意度指标 农户满意度 ≥ 90 % 10
"""


def test_sichuan_flat_rows_split_by_spaces_with_blank_cells(tmp_path):
    t = read(tmp_path, SICHUAN_SPACES)
    assert (t.project_name, t.competent_department, t.implementing_unit) == ("耕地地力保护", "某县农业农村部门", "某县农业农村局")
    assert rows(t) == [
        ("产出指标", "数量指标", "补贴发放面积", "12000", "≥", 12000, "亩"),
        ("产出指标", "成本指标", "每亩补贴标准", "105", "=", 105, "元/亩"),
        ("产出指标", "时效指标", "发放时限", "1", "=", 1, None),
        ("产出指标", "质量指标", "补贴发放准确率", "100", "=", 100, "%"),
        ("效益指标", "社会效益指标", "农民种粮积极性", "提高", None, None, None),
        ("满意度指标", "服务对象满意度指标", "农户满意度", "90", "≥", 90, "%"),
    ]
    assert t.reading is not None and not t.reading.lost_values  # the wrapped 权重 is no lost value


def test_cost_label_under_output_is_a_level_two(tmp_path):
    t = read(tmp_path, """绩效目标申报表
项目名称 村道硬化
绩效指标 一级指标 二级指标 三级指标 指标值 备注
产出指标 数量指标 硬化里程 >=3公里
成本指标 硬化单价 <=60万元/公里
效益指标 社会效益指标 受益群众 >=800人
""")
    assert rows(t) == [
        ("产出指标", "数量指标", "硬化里程", ">=3公里", "≥", 3, "公里"),
        ("产出指标", "成本指标", "硬化单价", "<=60万元/公里", "≤", 60, "万元/公里"),
        ("效益指标", "社会效益指标", "受益群众", ">=800人", "≥", 800, "人"),
    ]


def test_two_labels_one_under_the_other_stay_two_and_a_bare_word_under_them_is_a_name(tmp_path):
    t = read(tmp_path, """项目支出绩效目标表
项目名称
街道保洁
一级指标
二级指标
三级指标
指标值
产出指标
数量指标
保洁面积
5万平方米
效益指标
可持续影响
指标
服务对象满意度指标
满意度
90%
""")
    assert rows(t) == [
        ("产出指标", "数量指标", "保洁面积", "5万平方米", "=", 5, "万平方米"),
        ("满意度指标", "服务对象满意度指标", "满意度", "90%", "=", 90, "%"),
    ]
