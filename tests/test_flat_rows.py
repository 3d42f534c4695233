"""Flat exports (one row per indicator) captured as text split by spaces, and level labels in the
places real pages print them.  Gold written by hand for made-up tables of those shapes."""

from __future__ import annotations


from jixiao.extract.rules.columns import fit_by_shape


from conftest import indicator_rows as rows, read_one_table as read  # noqa: E402


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


def _pipe_page(cells: list[str]) -> str:
    """An HTML table flattened one cell a line, each ending ' |' (a wrapped cell's first lines do not)."""
    return "\n".join(c if c.endswith("|") else c + " |" for c in cells) + "\n"


ANHUI_PIPES = ["项目支出绩效目标表", "(2024年度)", "项目名称", "全民健身赛事", "主管部门及代码", "[042]某区体育局",
               "实施单位", "某区体育局", "年度资金总额:", "50.00", "其中:财政拨款", "50.00", "年度\n目标",
               "举办全民健身赛事。", "绩\n效\n指\n标", "一级\n指标", "二级指标", "三级指标", "指标值",
               "产出指标", "数量指标", "举办赛事场次", "3场", "效益指标", "可持续影响指标",
               "打造全民健身\n品牌赛事", "影响可持续", "满意度指标", "满意度指标", "群众满意度", "≥95%", "", ""]


def test_a_cell_wrapped_over_two_lines_stays_one_cell_and_a_repeated_level_one_label_is_the_level_two(tmp_path):
    t = read(tmp_path, _pipe_page(ANHUI_PIPES))
    assert (t.project_name, t.competent_department, t.funds.total_all_levels) == ("全民健身赛事", "某区体育局", 50)
    assert rows(t) == [
        ("产出指标", "数量指标", "举办赛事场次", "3场", "=", 3, "场"),
        ("效益指标", "可持续影响指标", "打造全民健身品牌赛事", "影响可持续", None, None, None),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%", "≥", 95, "%"),
    ]


def test_a_level_label_printed_around_its_row_and_a_form_heading_between_sections(tmp_path):
    t = read(tmp_path, """某区部门专项(绩效目标)申报表2022年度
项目名称
创新券补助资金
总体目标
中期目标
年度目标
推动企业创新
发放创新券200万元
绩效项目指标表
一级指标
二级指标
指标内容
指标值
备 注
产出指标
数量指标
发放创新券企业数
40家
社会公众或服务
企业满意度
≥90%
对象满意度指标
""")
    assert (t.overall_goals, t.annual_goals) == (["推动企业创新"], ["发放创新券200万元"])
    assert rows(t) == [
        ("产出指标", "数量指标", "发放创新券企业数", "40家", "=", 40, "家"),
        ("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "≥", 90, "%"),
    ]


def test_page_lines_above_a_pipe_grid_and_a_closing_question_block(tmp_path):
    """Cells one a line between separator lines ('|', '||||'): the lines above the first separator
    are the page's (headline, the table's heading), and 其他需说明的问题 under the grid ends it."""
    cells = [["填报单位:(盖章) 单位:万元"], ["项目支出名称", "道路洒水服务"], ["预算部门", "某市环卫处"],
             ["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "洒水车辆数", "6台"],
             ["满意度指标", "服务对象满意度指标", "市民满意度", "≥90%"], ["其他需说明的问题", "无"]]
    lines = ["某市环卫处2024年道路洒水服务项目支出绩效目标申报表", "某市城管局 发布时间:2024-03-01",
             "2024年项目支出绩效目标申报表", "|"]
    for row in cells:
        lines += [f"{c} |" for c in row] + ["|" * len(row)]
    t = read(tmp_path, "\n".join(lines) + "\n")
    assert (t.title, t.year, t.project_name, t.implementing_unit) == (
        "2024年项目支出绩效目标申报表", 2024, "道路洒水服务", "某市环卫处")
    assert rows(t) == [("产出指标", "数量指标", "洒水车辆数", "6台", "=", 6, "台"),
                       ("满意度指标", "服务对象满意度指标", "市民满意度", "≥90%", "≥", 90, "%")]
