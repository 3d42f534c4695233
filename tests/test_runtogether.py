"""Pages whose capture ran a row's cells together (no separator at all): cut by the vocabulary's
labels and by the shapes of values.  Gold written by hand for made-up tables of that shape."""

from __future__ import annotations


from jixiao.extract.rules.runtogether import cut_value, peel_levels, split_labels
from jixiao.pipeline import extract_file


from conftest import indicator_rows as rows, read_one_table as read  # noqa: E402


def test_labels_run_together_are_cut_into_labels():
    assert split_labels("总体目标年度目标") == ["总体目标", "年度目标"]
    assert split_labels("一级指标二级指标指标内容指标值") == ["一级指标", "二级指标", "指标内容", "指标值"]
    assert split_labels("项目名称某区道路养护") is None  # a value is no label


def test_level_labels_run_together_with_the_name():
    assert peel_levels("效益指标社会效益指标群众出行便利度明显提升") == (["效益指标", "社会效益指标"], "群众出行便利度明显提升")
    assert peel_levels("社会公众或服务对象满意度指标居民满意度≥85%") == (["社会公众或服务对象满意度指标"], "居民满意度≥85%")
    assert peel_levels("道路养护里程30公里") == ([], "道路养护里程30公里")


def test_value_is_cut_out_of_a_row_with_scoring_columns():
    assert cut_value("养护补助标准12元/平方米.每年反映养护标准按标准发放得10分-定量") == (
        "养护补助标准", "12元/平方米.每年", "反映养护标准按标准发放得10分-定量")
    assert cut_value("巡查完成时间2024年11月30日反映完成时间按期完成得5分") == (
        "巡查完成时间", "2024年11月30日", "反映完成时间按期完成得5分")
    assert cut_value("群众出行负担有所减轻对负担减轻情况较大得10分,一般得6分") == (
        "群众出行负担", "有所减轻", "对负担减轻情况较大得10分,一般得6分")


HUBEI_RUN_TOGETHER = """绩效目标表
(2022年度)
项目名称某区农村公路养护资金
项目主管部门某区交通运输局项目执行单位某区公路养护中心
资金情况
(万元)
年度资金总额:48
总体目标年度目标
完成农村公路日常养护,保障道路安全畅通。
绩效指标一级指标二级指标指标内容指标值
产出指标数量指标农村公路养护里程≥120公里
质量指标养护路段优良率90%
时效指标养护任务完成率100%
效益指标社会效益指标群众出行便利度明显提升
满意度指标服务对象满意度指标沿线群众满意度≥90%
"""


def test_hubei_table_with_cells_run_together(tmp_path):
    t = read(tmp_path, HUBEI_RUN_TOGETHER)
    assert (t.title, t.year, t.project_name) == ("绩效目标表", 2022, "某区农村公路养护资金")
    assert (t.competent_department, t.implementing_unit) == ("某区交通运输局", "某区公路养护中心")
    assert t.funds.total_all_levels == 48
    assert t.overall_goals == [] and t.annual_goals == ["完成农村公路日常养护,保障道路安全畅通"]
    assert rows(t) == [
        ("产出指标", "数量指标", "农村公路养护里程", "≥120公里", "≥", 120, "公里"),
        ("产出指标", "质量指标", "养护路段优良率", "90%", "=", 90, "%"),
        ("产出指标", "时效指标", "养护任务完成率", "100%", "=", 100, "%"),
        ("效益指标", "社会效益指标", "群众出行便利度", "明显提升", None, None, None),
        ("满意度指标", "服务对象满意度指标", "沿线群众满意度", "≥90%", "≥", 90, "%"),
    ]


HUNAN_FLAT_SCORING = """2024年项目支出绩效目标表公开
部门:612_某县交通运输局金额单位:万元
单位代码单位(专项)名称资金总额实施期绩效目标绩效指标
一级指标二级指标三级指标指标值指标值内容评(扣分标准) 度量单位指标值类型备注
612003某县公路养护站56.50
  612003  农村公路养护经费56.50
成本指标经济成本指标养护补助标准12元/平方米.每年反映养护标准按标准发放得10分,每少1元扣1分-定量
社会成本指标
-定性
产出指标数量指标养护里程120公里以上反映养护里程养护到位得10分,每减少1%扣1分-定量
时效指标完成时间2024年11月30日反映完成时间按期完成得10分-定量
效益指标社会效益指标通行条件有所改善对通行条件改善情况较大得10分,一般得6分-定性
满意度指标服务对象满意度指标沿线群众满意度95%以上群众满意程度95%以上得10分-定性
"""


def test_hunan_flat_export_with_scoring_columns_run_together(tmp_path):
    t = read(tmp_path, HUNAN_FLAT_SCORING)
    assert (t.title, t.year) == ("2024年项目支出绩效目标表公开", 2024)
    assert (t.competent_department, t.implementing_unit, t.project_name) == (
        "某县交通运输局", "某县公路养护站", "农村公路养护经费")
    assert t.funds.total_all_levels == 56.5
    assert rows(t) == [
        ("产出指标", "成本指标", "养护补助标准", "12元/平方米.每年", "=", 12, "元/平方米.每年"),
        ("产出指标", "数量指标", "养护里程", "120公里以上", "≥", 120, "公里"),
        ("产出指标", "时效指标", "完成时间", "2024年11月30日", None, None, None),
        ("效益指标", "社会效益指标", "通行条件", "有所改善", None, None, None),
        ("满意度指标", "服务对象满意度指标", "沿线群众满意度", "95%以上", "≥", 95, "%"),
    ]


def test_page_headline_above_the_table_heading_is_not_the_title(tmp_path):
    t = read(tmp_path, """某区城管局2023年道路保洁项目支出绩效目标申报表
发布时间:2023-10-13
2023年项目支出绩效目标申报表
项目名称 | 道路保洁 |
主管部门 | 某区城管局 |
一级指标 | 二级指标 | 三级指标 | 指标值 |
产出指标 | 数量指标 | 保洁面积 | 20万平方米 |
""")
    assert (t.title, t.year, t.project_name) == ("2023年项目支出绩效目标申报表", 2023, "道路保洁")


def test_several_projects_of_one_unit_in_a_flat_export(tmp_path):
    """The unit's row (its code, name and total), then each project's row repeating the code."""
    text = HUNAN_FLAT_SCORING.replace("56.50\n  612003  农村公路养护经费56.50", "66.50\n  612003  农村公路养护经费56.50") + (
        "  612003  桥梁检测经费10.00\n"
        "产出指标数量指标检测桥梁数量12座反映检测数量完成得10分-定量\n"
        "质量指标检测报告合格率100%反映报告质量合格得10分-定量\n")
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    first, second = list(extract_file(path))
    assert (first.project_name, first.funds.total_all_levels, len(first.indicators)) == ("农村公路养护经费", 56.5, 5)
    assert (second.project_name, second.implementing_unit, second.competent_department) == (
        "桥梁检测经费", "某县公路养护站", "某县交通运输局")
    assert second.funds.total_all_levels == 10
    assert rows(second) == [("产出指标", "数量指标", "检测桥梁数量", "12座", "=", 12, "座"),
                            ("产出指标", "质量指标", "检测报告合格率", "100%", "=", 100, "%")]
    # the unit's own total, budget codes and scoring text are left out on purpose: nothing is lost
    assert not first.reading.lost_values and not second.reading.lost_values
