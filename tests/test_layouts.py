"""Layouts of the template family beyond the seed: MoF 申报表 style, flat one-row-per-indicator
exports, and the 2021 framework (成本指标 as a first-level group); as text exports and as ruled
PDFs with merged cells.  Expected values are written out by hand from the tables below."""

import pymupdf
import pytest

from conftest import draw_table
from jixiao.pipeline import extract_file

MOF_TEXT = """项目支出绩效目标申报表
（2024年度）
项目名称 | 农村饮水安全巩固提升工程
主管部门及代码 | [201]县水利局 | 实施单位 | 县农村供水管理站
项目负责人 | 张三 | 联系电话 | 0771-1234567
项目属性 | 延续项目 | 项目期 | 3年
项目资金（万元） | 中期资金总额： | 1500 | 年度资金总额： | 500
其中：财政拨款 | 1200 | 其中：财政拨款 | 400
其他资金 | 300 | 其他资金 | 100
总体目标 | 中期目标（2024年—2026年） | 年度目标
目标1：巩固提升农村饮水安全水平；目标2：完善长效管护机制 | 1.新建集中供水工程5处；2.改造管网20公里。
绩效指标 | 一级指标 | 二级指标 | 指标内容 | 指标值 | 绩效标准 | 备注
产出指标 | 数量指标 | 新建集中供水工程 | 5处 | 按设计完成 |
质量指标 | 工程验收合格率 | 100% | 验收规范 |
时效指标 | 工程完工时间 | 2024年12月底前 |  |
成本指标 | 单位供水成本 | ≤2.5元/吨 |  |
效益指标 | 社会效益指标 | 受益人口 | ≥1.2万人 |  |
可持续影响指标 | 工程使用年限 | ≥20年 |  |
满意度指标 | 服务对象满意度指标 | 受益群众满意度 | ≥90% |  |
"""

MOF_EXPECTED = {
    "title": "项目支出绩效目标申报表", "year": 2024, "project_name": "农村饮水安全巩固提升工程",
    "competent_department": "县水利局", "implementing_unit": "县农村供水管理站",
    "project_attribute": "延续项目", "project_period": "3年",
    # the project-period block (中期) is not used when a current-year block is given
    "funds": {"total_all_levels": 500, "fiscal_all_levels": 400, "other_all_levels": 100,
              "total_own_level": None, "fiscal_own_level": None, "other_own_level": None},
    "overall_goals": ["巩固提升农村饮水安全水平", "完善长效管护机制"],
    "annual_goals": ["新建集中供水工程5处", "改造管网20公里"],
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "新建集中供水工程", "value_text": "5处", "operator": "=", "value": 5, "unit": "处"},
        {"level1": "产出指标", "level2": "质量指标", "name": "工程验收合格率", "value_text": "100%", "operator": "=", "value": 100, "unit": "%"},
        {"level1": "产出指标", "level2": "时效指标", "name": "工程完工时间", "value_text": "2024年12月底前", "operator": None, "value": None, "unit": None},
        {"level1": "产出指标", "level2": "成本指标", "name": "单位供水成本", "value_text": "≤2.5元/吨", "operator": "≤", "value": 2.5, "unit": "元/吨"},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "受益人口", "value_text": "≥1.2万人", "operator": "≥", "value": 1.2, "unit": "万人"},
        {"level1": "效益指标", "level2": "可持续影响指标", "name": "工程使用年限", "value_text": "≥20年", "operator": "≥", "value": 20, "unit": "年"},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "受益群众满意度", "value_text": "≥90%", "operator": "≥", "value": 90, "unit": "%"},
    ],
}

MOF_PDF_ROWS = [
    [("项目支出绩效目标申报表", 500, 1)],
    [("（2024年度）", 500, 1)],
    [("项目名称", 100, 1), ("农村饮水安全巩固提升工程", 400, 1)],
    [("主管部门及代码", 100, 1), ("[201]县水利局", 150, 1), ("实施单位", 100, 1), ("县农村供水管理站", 150, 1)],
    [("项目负责人", 100, 1), ("张三", 150, 1), ("联系电话", 100, 1), ("0771-1234567", 150, 1)],
    [("项目属性", 100, 1), ("延续项目", 150, 1), ("项目期", 100, 1), ("3年", 150, 1)],
    [("项目资金（万元）", 100, 3), ("中期资金总额：", 100, 1), ("1500", 100, 1), ("年度资金总额：", 100, 1), ("500", 100, 1)],
    [("其中：财政拨款", 100, 1), ("1200", 100, 1), ("其中：财政拨款", 100, 1), ("400", 100, 1)],
    [("其他资金", 100, 1), ("300", 100, 1), ("其他资金", 100, 1), ("100", 100, 1)],
    [("总体目标", 100, 2), ("中期目标（2024年—2026年）", 200, 1), ("年度目标", 200, 1)],
    [("目标1：巩固提升农村饮水安全水平；目标2：完善长效管护机制", 200, 1), ("1.新建集中供水工程5处；2.改造管网20公里。", 200, 1)],
    [("绩效指标", 30, 8), ("一级指标", 60, 1), ("二级指标", 70, 1), ("指标内容", 140, 1), ("指标值", 80, 1), ("绩效标准", 70, 1), ("备注", 50, 1)],
    [("产出指标", 60, 4), ("数量指标", 70, 1), ("新建集中供水工程", 140, 1), ("5处", 80, 1), ("按设计完成", 70, 1), ("", 50, 1)],
    [("质量指标", 70, 1), ("工程验收合格率", 140, 1), ("100%", 80, 1), ("验收规范", 70, 1), ("", 50, 1)],
    [("时效指标", 70, 1), ("工程完工时间", 140, 1), ("2024年12月底前", 80, 1), ("", 70, 1), ("", 50, 1)],
    [("成本指标", 70, 1), ("单位供水成本", 140, 1), ("≤2.5元/吨", 80, 1), ("", 70, 1), ("", 50, 1)],
    [("效益指标", 60, 2), ("社会效益指标", 70, 1), ("受益人口", 140, 1), ("≥1.2万人", 80, 1), ("", 70, 1), ("", 50, 1)],
    [("可持续影响指标", 70, 1), ("工程使用年限", 140, 1), ("≥20年", 80, 1), ("", 70, 1), ("", 50, 1)],
    [("满意度指标", 60, 1), ("服务对象满意度指标", 70, 1), ("受益群众满意度", 140, 1), ("≥90%", 80, 1), ("", 70, 1), ("", 50, 1)],
]

FLAT_TEXT = """2025年项目支出绩效目标表
项目名称：职业技能提升培训
主管部门：[115]市人力资源和社会保障局
实施单位：市职业技能鉴定中心
项目资金（元） | 资金总额 | 1200000 | 其中：财政拨款 | 1000000 | 自有资金 | 100000 | 其他 | 100000
年度目标：完成职业技能培训5000人次，培训合格率达到90%以上
一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 | 权重 | 指标方向
产出指标 | 数量指标 | 培训人次 | ≥ | 5000 | 人次 | 20 | 正向
产出指标 | 质量指标 | 培训合格率 | ≥ | 90 | % | 20 | 正向
产出指标 | 时效指标 | 培训完成时间 | 定性 | 年底前完成 |  | 10 |
成本指标 | 经济成本指标 | 人均培训成本 | ≤ | 240 | 元 | 10 | 反向
效益指标 | 环境效益指标 | 培训场地节能率 | ≥ | 5 | % | 10 | 正向
效益指标 | 社会效益指标 | 就业率提升 | 定性 | 明显提升 |  | 10 | 正向
满意度指标 | 社会公众或服务对象满意度指标 | 学员满意度 | ≥ | 90 | % | 20 | 正向
"""

FLAT_EXPECTED = {
    "title": "2025年项目支出绩效目标表", "year": 2025, "project_name": "职业技能提升培训",
    "competent_department": "市人力资源和社会保障局", "implementing_unit": "市职业技能鉴定中心",
    "project_attribute": None, "project_period": None,
    # amounts in 元 become 万元; 自有资金 is not mapped
    "funds": {"total_all_levels": 120, "fiscal_all_levels": 100, "other_all_levels": 10,
              "total_own_level": None, "fiscal_own_level": None, "other_own_level": None},
    "overall_goals": [],
    "annual_goals": ["完成职业技能培训5000人次，培训合格率达到90%以上"],
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "培训人次", "value_text": "5000", "operator": "≥", "value": 5000, "unit": "人次"},
        {"level1": "产出指标", "level2": "质量指标", "name": "培训合格率", "value_text": "90", "operator": "≥", "value": 90, "unit": "%"},
        {"level1": "产出指标", "level2": "时效指标", "name": "培训完成时间", "value_text": "年底前完成", "operator": None, "value": None, "unit": None},
        # 2021 framework: 成本指标 as level 1 is 产出指标 / 成本指标
        {"level1": "产出指标", "level2": "成本指标", "name": "人均培训成本", "value_text": "240", "operator": "≤", "value": 240, "unit": "元"},
        {"level1": "效益指标", "level2": "生态效益指标", "name": "培训场地节能率", "value_text": "5", "operator": "≥", "value": 5, "unit": "%"},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "就业率提升", "value_text": "明显提升", "operator": None, "value": None, "unit": None},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "学员满意度", "value_text": "90", "operator": "≥", "value": 90, "unit": "%"},
    ],
}


def _contract(path):
    tables = list(extract_file(path))
    assert len(tables) == 1
    return tables[0].contract().model_dump(mode="json"), tables[0]


def test_mof_text(tmp_path):
    path = tmp_path / "mof.txt"
    path.write_text(MOF_TEXT, encoding="utf-8")
    got, table = _contract(path)
    assert got == MOF_EXPECTED
    assert table.notes == []


def test_mof_ruled_pdf_with_merged_cells(tmp_path):
    doc = pymupdf.open()
    draw_table(doc.new_page(), MOF_PDF_ROWS, row_h=24, fontsize=7)
    path = tmp_path / "mof.pdf"
    doc.save(path)
    got, table = _contract(path)
    assert got == MOF_EXPECTED
    assert table.evidence["funds.total_all_levels"].page == 1


def test_flat_export_text(tmp_path):
    path = tmp_path / "flat.txt"
    path.write_text(FLAT_TEXT, encoding="utf-8")
    got, _ = _contract(path)
    assert got == FLAT_EXPECTED


def test_flat_export_ruled_pdf(tmp_path):
    widths = [60, 110, 100, 40, 60, 40, 30, 40]
    rows = [[(line, 480, 1)] for line in FLAT_TEXT.splitlines()[:4]]
    rows += [[(line, 480, 1)] for line in FLAT_TEXT.splitlines()[4:6]]
    for line in FLAT_TEXT.splitlines()[6:]:
        cells = [c.strip() for c in line.split("|")]
        cells += [""] * (len(widths) - len(cells))
        rows.append([(c, w, 1) for c, w in zip(cells, widths)])
    doc = pymupdf.open()
    draw_table(doc.new_page(), rows, row_h=20, fontsize=6.5)
    path = tmp_path / "flat.pdf"
    doc.save(path)
    got, _ = _contract(path)
    assert got == FLAT_EXPECTED


def test_seed_layout_of_2021_framework_with_cost_group(tmp_path):
    """Slots under 成本指标 as a first-level group, level-2 names of the framework."""
    text = "\n".join([
        "2022年项目支出绩效目标表", "项目名称 道路养护", "主管部门 县交通运输局 实施单位 县公路养护中心",
        "一级指标 二级指标 三级指标 指标值",
        "产出指标", "数量指标", "指标1：养护里程 ≥120公里",
        "成本指标", "经济成本指标", "指标1：每公里养护成本 ≤0.8万元", "社会成本指标", "指标1：", "生态环境成本指标", "指标1：",
        "效益指标", "社会效益指标", "指标1：道路通行状况 改善",
    ])
    path = tmp_path / "cost.txt"
    path.write_text(text, encoding="utf-8")
    got, _ = _contract(path)
    assert [(i["level1"], i["level2"], i["name"], i["value_text"]) for i in got["indicators"]] == [
        ("产出指标", "数量指标", "养护里程", "≥120公里"),
        ("产出指标", "成本指标", "每公里养护成本", "≤0.8万元"),
        ("效益指标", "社会效益指标", "道路通行状况", "改善"),
    ]
    assert got["year"] == 2022 and got["implementing_unit"] == "县公路养护中心"
    assert got["funds"]["total_all_levels"] is None  # the table has no funds block: null, not guessed


@pytest.mark.parametrize("text,expected", [
    ("主管部门：[015001]县委网信办", "县委网信办"),
    ("主管部门 015001-县委网信办", "县委网信办"),
    ("主管部门 | 县委网信办（015001）", "县委网信办"),
])
def test_budget_codes_are_stripped(tmp_path, text, expected):
    path = tmp_path / "code.txt"
    path.write_text(f"2024年项目支出绩效目标表\n项目名称 甲\n{text}\n", encoding="utf-8")
    got, _ = _contract(path)
    assert got["competent_department"] == expected


MULTI_TEXT = """2024年度部门预算项目支出绩效目标表
部门名称：[301]县教育局 | 金额单位：元
项目名称 | 项目金额 | 年度绩效目标 | 一级指标 | 二级指标 | 三级指标 | 指标值
学生资助 | 1500000 | 资助家庭经济困难学生1200人次 | 产出指标 | 数量指标 | 资助学生人次 | ≥1200人次
 |  |  |  | 质量指标 | 资助资金发放准确率 | 100%
 |  |  | 效益指标 | 社会效益指标 | 因贫辍学率 | 0
满意度指标 | 服务对象满意度指标 | 受助学生满意度 | ≥95%
校舍维修 | 800000 | 完成3所学校校舍维修 | 产出指标 | 数量指标 | 维修学校数量 | 3所
时效指标 | 完工时间 | 2024年8月底前
 |  |  | 满意度指标 | 服务对象满意度指标 | 师生满意度 | ≥90%
"""

MULTI_EXPECTED = [
    ("学生资助", 150, ["资助家庭经济困难学生1200人次"], [
        ("产出指标", "数量指标", "资助学生人次", "≥1200人次", "≥", 1200, "人次"),
        ("产出指标", "质量指标", "资助资金发放准确率", "100%", "=", 100, "%"),
        ("效益指标", "社会效益指标", "因贫辍学率", "0", "=", 0, None),
        ("满意度指标", "服务对象满意度指标", "受助学生满意度", "≥95%", "≥", 95, "%"),
    ]),
    ("校舍维修", 80, ["完成3所学校校舍维修"], [
        ("产出指标", "数量指标", "维修学校数量", "3所", "=", 3, "所"),
        ("产出指标", "时效指标", "完工时间", "2024年8月底前", None, None, None),
        ("满意度指标", "服务对象满意度指标", "师生满意度", "≥90%", "≥", 90, "%"),
    ]),
]


def _check_multi(tables):
    assert len(tables) == len(MULTI_EXPECTED)
    for n, (t, (name, total, goals, indicators)) in enumerate(zip(tables, MULTI_EXPECTED)):
        assert (t.title, t.year, t.project_name) == ("2024年度部门预算项目支出绩效目标表", 2024, name)
        assert t.competent_department == "县教育局"
        assert t.funds.total_all_levels == total  # 元 in the table, 万元 in the contract
        assert t.annual_goals == goals
        assert [tuple(i.model_dump().values()) for i in t.indicators] == indicators
        assert t.provenance.table_index == n


def test_table_listing_several_projects_text(tmp_path):
    path = tmp_path / "multi.txt"
    path.write_text(MULTI_TEXT, encoding="utf-8")
    _check_multi(list(extract_file(path)))


def test_table_listing_several_projects_ruled_pdf(tmp_path):
    w = [60, 50, 110, 50, 70, 110, 70]
    head = [("项目名称", w[0], 1), ("项目金额", w[1], 1), ("年度绩效目标", w[2], 1), ("一级指标", w[3], 1),
            ("二级指标", w[4], 1), ("三级指标", w[5], 1), ("指标值", w[6], 1)]
    rows = [[("2024年度部门预算项目支出绩效目标表", 520, 1)], [("部门名称：[301]县教育局", 260, 1), ("金额单位：元", 260, 1)], head,
            [("学生资助", w[0], 4), ("1500000", w[1], 4), ("资助家庭经济困难学生1200人次", w[2], 4), ("产出指标", w[3], 2),
             ("数量指标", w[4], 1), ("资助学生人次", w[5], 1), ("≥1200人次", w[6], 1)],
            [("质量指标", w[4], 1), ("资助资金发放准确率", w[5], 1), ("100%", w[6], 1)],
            [("效益指标", w[3], 1), ("社会效益指标", w[4], 1), ("因贫辍学率", w[5], 1), ("0", w[6], 1)],
            [("满意度指标", w[3], 1), ("服务对象满意度指标", w[4], 1), ("受助学生满意度", w[5], 1), ("≥95%", w[6], 1)],
            [("校舍维修", w[0], 3), ("800000", w[1], 3), ("完成3所学校校舍维修", w[2], 3), ("产出指标", w[3], 2),
             ("数量指标", w[4], 1), ("维修学校数量", w[5], 1), ("3所", w[6], 1)],
            [("时效指标", w[4], 1), ("完工时间", w[5], 1), ("2024年8月底前", w[6], 1)],
            [("满意度指标", w[3], 1), ("服务对象满意度指标", w[4], 1), ("师生满意度", w[5], 1), ("≥90%", w[6], 1)]]
    doc = pymupdf.open()
    draw_table(doc.new_page(), rows, row_h=22, fontsize=7)
    path = tmp_path / "multi.pdf"
    doc.save(path)
    _check_multi(list(extract_file(path)))


STACKED_TEXT = """项目支出绩效目标申报表
项目名称 | 农村供水管网改造
长期绩效指标
一级指标 | 二级指标 | 指标内容 | 指标值 | 备注
产出指标 | 数量指标 | 建成供水工程 | 15处 |
年度绩效指标
一级指标 | 二级指标 | 指标内容 | 指标值 | 备注
产出指标 | 数量指标 | 新建集中供水工程 | 5处 |
效益指标 | 社会效益指标 | 受益人口 | ≥1.2万人 |
"""


def test_stacked_period_and_annual_blocks_keep_the_annual(tmp_path):
    path = tmp_path / "stacked.txt"
    path.write_text(STACKED_TEXT, encoding="utf-8")
    (t,) = list(extract_file(path))
    assert [(i.name, i.value_text) for i in t.indicators] == [("新建集中供水工程", "5处"), ("受益人口", "≥1.2万人")]
    assert t.evidence["indicators[0].name"].line == 8
    assert any("中期" in n for n in t.notes)  # what was left out is said


def test_side_by_side_period_and_annual_blocks_keep_the_annual(tmp_path):
    w = [30, 40, 50, 80, 40, 40, 50, 80, 40]
    head = ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "一级指标", "二级指标", "三级指标", "指标值"]
    rows = [[("项目支出绩效目标申报表", 450, 1)], [("项目名称", 100, 1), ("农村供水管网改造", 350, 1)],
            [("", 30 + 210, 1), ("", 210, 1)],
            [(h, wd, 3 if h == "绩效指标" else 1) for h, wd in zip(head, w)],
            [("产出指标", 40, 1), ("数量指标", 50, 1), ("建成供水工程", 80, 1), ("15处", 40, 1),
             ("产出指标", 40, 1), ("数量指标", 50, 1), ("新建集中供水工程", 80, 1), ("5处", 40, 1)],
            [("效益指标", 40, 1), ("社会效益指标", 50, 1), ("受益人口", 80, 1), ("≥3万人", 40, 1),
             ("效益指标", 40, 1), ("社会效益指标", 50, 1), ("受益人口", 80, 1), ("≥1.2万人", 40, 1)]]
    doc = pymupdf.open()
    draw_table(doc.new_page(), rows, row_h=22, fontsize=7)
    path = tmp_path / "side.pdf"
    doc.save(path)
    (t,) = list(extract_file(path))
    assert [(i.level2, i.name, i.value_text) for i in t.indicators] == [
        ("数量指标", "新建集中供水工程", "5处"), ("社会效益指标", "受益人口", "≥1.2万人")]
