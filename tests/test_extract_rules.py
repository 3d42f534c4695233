"""The rules reader section by section, on page shapes real exports have (gold written by hand),
and its vocabulary: a new spelling is a data entry, nothing else."""

from __future__ import annotations

from pathlib import Path

from jixiao.check import check
from jixiao.extract.rules import vocabulary
from jixiao.pipeline import extract_file


def read(tmp_path: Path, text: str, name: str = "t.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    tables = list(extract_file(path))
    assert len(tables) == 1
    return tables[0]


ONE_CELL_PER_LINE = """首页 > 信息公开
项目支出绩效目标表
(2024年度)
项目名称
社区养老服务补助
主管部门
及编码
[015001]某区民政局
实施单位
某区养老服务中心
项目起
止时间
202401-202412
资金总额
120万元
当年资金总额:
100万元
其中:财政拨款
100万元
其他资金
总体目标
年度目标
提升社区养老服务水平
为300名老人提供助餐服务
绩效指标
一级指标
二级指标
三级指标
指标值
绩效标准
产出指标
数量指标
助餐服务人数
300人
计划标准
质量指标
助餐合格率
>=98%
计划标准
满意度指标
服务对象满意度指标
老人满意度
90%以上
计划标准
"""


def test_segmentation_joins_labels_broken_over_lines_and_pairs_keys_with_values(tmp_path):
    t = read(tmp_path, ONE_CELL_PER_LINE)
    assert t.competent_department == "某区民政局"  # 主管部门/及编码 joined, budget code stripped
    assert t.project_period == "202401-202412"  # 项目起/止时间 joined
    assert t.implementing_unit == "某区养老服务中心"


def test_head_takes_the_heading_year_and_project_name(tmp_path):
    t = read(tmp_path, ONE_CELL_PER_LINE)
    assert (t.title, t.year, t.project_name) == ("项目支出绩效目标表", 2024, "社区养老服务补助")


def test_funds_prefer_the_current_year_column_over_the_period_total(tmp_path):
    t = read(tmp_path, ONE_CELL_PER_LINE)
    assert (t.funds.total_all_levels, t.funds.fiscal_all_levels, t.funds.total_own_level) == (100, 100, None)


def test_goals_one_per_line_under_their_labels_split_overall_and_annual(tmp_path):
    t = read(tmp_path, ONE_CELL_PER_LINE)
    assert t.overall_goals == ["提升社区养老服务水平"]
    assert t.annual_goals == ["为300名老人提供助餐服务"]


def test_indicators_one_per_line_skip_the_standard_column_and_parse_ascii_operators(tmp_path):
    t = read(tmp_path, ONE_CELL_PER_LINE)
    got = [(i.level1, i.level2, i.name, i.value_text, i.operator, i.value, i.unit) for i in t.indicators]
    assert got == [
        ("产出指标", "数量指标", "助餐服务人数", "300人", "=", 300, "人"),
        ("产出指标", "质量指标", "助餐合格率", ">=98%", "≥", 98, "%"),
        ("满意度指标", "服务对象满意度指标", "老人满意度", "90%以上", "≥", 90, "%"),
    ]


PIPE_ROWS = """2023年项目支出绩效目标申报表
项目支出名称 | 道路保洁服务 | 预算部门 | 某市环境卫生管理处 |
年度本级 预算金额 | 80万 | 该项目支出上级资金 | 0 |
本年度绩效目标 | 完成主干道保洁 |
本年度 绩效指标 | 一级指标 | 二级指标 | 三级指标 | 指标值及单位 | 备注 |
产出指标 | 数量指标 | 保洁道路长度 | 120公里 | |
效益指标 | 环境效益指标 | 道路洁净度 | 明显提升 | |
满意度指标 | 满意度指标 | 市民满意度 | >=90% | |
"""


def test_pipe_rows_own_level_amount_and_variant_level_labels(tmp_path):
    t = read(tmp_path, PIPE_ROWS)
    assert (t.project_name, t.implementing_unit, t.competent_department) == ("道路保洁服务", "某市环境卫生管理处", None)
    assert (t.funds.total_own_level, t.funds.total_all_levels) == (80, None)
    assert t.annual_goals == ["完成主干道保洁"]
    assert [(i.level1, i.level2, i.name) for i in t.indicators] == [
        ("产出指标", "数量指标", "保洁道路长度"), ("效益指标", "生态效益指标", "道路洁净度"),
        ("满意度指标", "服务对象满意度指标", "市民满意度")]


def test_a_new_label_spelling_is_a_vocabulary_entry_only(tmp_path, monkeypatch):
    text = PIPE_ROWS.replace("项目支出名称", "项目称谓")
    assert read(tmp_path, text).project_name != "道路保洁服务"  # unknown spelling: not read
    monkeypatch.setitem(vocabulary.HEAD_KEYS, "project_name", vocabulary.HEAD_KEYS["project_name"] + ["项目称谓"])
    assert read(tmp_path, text, "again.txt").project_name == "道路保洁服务"


def test_an_unsure_reading_gets_extract_01_first_and_a_clean_one_none(tmp_path):
    # a number in a column the reader does not take (here 备注) went nowhere: a lost value
    lost = PIPE_ROWS.replace("保洁道路长度 | 120公里 | |", "保洁道路长度 | 120公里 | 另有辅路35公里 |")
    for text, expected in ((PIPE_ROWS, None), (lost, "错误")):
        t = read(tmp_path, text, f"{expected}.txt")
        [checked] = check([(t, None, None)])
        extract = [f for f in checked.findings if f.rule == "EXTRACT-01"]
        if expected is None:
            assert extract == []
        else:
            assert extract and extract[0].severity == expected and checked.findings[0].rule == "EXTRACT-01"
