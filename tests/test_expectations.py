"""Expectations per real table, and mutation tests (issue #15).

- For each table of tests/data/real/ the gold JSON is the table (so the reading's quality does not
  matter), reviewed alone: findings that must fire, and findings that must not.
- Mutations: one value of a clean table changed (a unit, an operator, a date, a placeholder, an
  attribute), and the matching rule, and only it, fires.
"""

import copy
import json
from pathlib import Path

import pytest

from jixiao.models import ExtractedTable
from jixiao.review_rules import review, review_outcomes
from test_review import CLEAN as REVIEW_CLEAN, I

REAL = Path(__file__).parent / "data" / "real"


def _gold(name: str, i: int = 0) -> dict:
    return json.loads((REAL / f"{name}.gold.json").read_text(encoding="utf-8"))[i]


def _table(data: dict) -> ExtractedTable:
    return ExtractedTable.model_validate({**data, "provenance": {
        "source_file": "gold", "sha256": "", "pages": [], "table_index": 0, "backend": "gold", "tool_version": "gold"},
        "evidence": {}, "notes": []})


def _fired(data: dict) -> set[tuple[str, str | None]]:
    return {(f.rule, f.indicator) for f in review([("t", _table(data))])}


# file -> (must fire: (rule, indicator or None for table-level), must not fire: a rule anywhere in the table, or
# (rule, indicator))
EXPECT = {
    "real-01": ({("MEAS-03", "重点建设工程安排数量"), ("MEAS-01", "基础教育巩固提高情况"), ("MEAS-01", "基础教育学校办学条件"),
                 ("MEAS-08", "学生、家长、社会满意度"), ("ATTR-01", None)},
                {"DATE-01", "DATE-03", "PLACE-01", "CONS-03", "COST-01"}),  # 202001-202012 is a sound period
    "real-02": ({("COMP-01", None), ("COST-02", "建设项目成本控制率"), ("MEAS-01", "义务教育优质均衡发展情况")},
                {"PLACE-01", "ATTR-01", "DATE-01"}),
    "real-03": ({("COMP-01", None), ("COMP-05", None), ("MEAS-03", "开设课程数量"), ("COST-02", "成本控制率"),
                 ("MEAS-08", "邀请校外名师、领导授课人次")},
                {"ATTR-01", "DATE-01", "DATE-03"}),  # 持续性项目 is a listed attribute; 项目期 “2022年” no range
    "real-04": ({("COMP-02", None), ("REL-03", None)}, {"DATE-01", "DATE-03", "DATE-02"}),  # 2023.07-2024.01
    "real-05": ({("MEAS-03", "服务周期"), ("REL-03", None)}, {"DATE-01", "DATE-03"}),  # 20246-202516: unreadable
    "real-06": ({("RANGE-01", "项目(工程)完成及时率")}, {"CONS-03", "COST-01", "CONS-04"}),  # 1600元/亩 is a unit cost
    "real-07": ({("PLACE-01", "贫困地区旅游景点开发数量(≥**个)"), ("PLACE-01", "受益建档立卡贫困人口数≥**人"),
                 ("PLACE-01", "游客满意度(≥**%)")},
                {"CONS-03", "CONS-04", "COST-01"}),  # 元/亩, 元/个, 元/平方米: unit costs, not amounts
    "real-08": ({("PLACE-01", "资产入股贫困人口总数(≥**人)"), ("PLACE-01", "*资产股权年收益率(≥**%)")},
                {"CONS-03", "COST-01"}),
    "real-09": ({("PLACE-01", "项目总成本(≤**万元)"), ("PLACE-01", "小区居民满意度(≥**%)"),
                 ("MEAS-01", "改善安置小区群众生活质量,提升安置小区生活水平。助力全县文明城市创建。")},
                {"CONS-03", "DATE-01"}),
    "real-10": ({("COST-01", "项目总成本"), ("MEAS-07", "提升六安城市知名度和美誉度,推动体育消费、“网球+”产业深度融合")},
                {"DATE-01", "DATE-03", "PLACE-01", "CONS-03"}),  # “3年” alone: no printed dates to compare
    "real-11": ({("COMP-04", None), ("GOAL-02", None), ("MEAS-07", "促进村集体经济发展")},
                {"CONS-01", "CONS-03", "COST-01"}),  # printed in 元, read as 万元: no false 错误
    "real-12": ({("COMP-02", None), ("MEAS-03", "召开食品安委会全体会议"), ("REL-02", None)}, {"PLACE-01", "DIR-03"}),
    "real-13": ({("COMP-03", None), ("MEAS-04", "残疾学生家庭负担率"), ("MEAS-03", "补助学生数量")},
                {("MEAS-01", "残疾学生家庭负担率"), "CONS-03", "COST-01"}),  # MEAS-04 supersedes MEAS-01 on a rate
    "real-14": ({("MEAS-01", "提升疫情防控期间民办幼儿园扶持力度"), ("MEAS-07", "促进学前教育普及普惠优质发展")},
                {"CONS-03", "COST-01", "PLACE-01"}),
    "real-15": ({("COMP-04", None), ("MEAS-03", "新增高新技术企业"), ("REL-01", None)},
                {"DATE-01", "DATE-03", "ATTR-01"}),  # 2021.1-2021.12, 延续性项目
}


def test_every_real_table_has_expectations():
    assert set(EXPECT) == {p.name.split(".")[0] for p in REAL.glob("real-*.gold.json")}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_table_expectations(name):
    must, must_not = EXPECT[name]
    fired = _fired(_gold(name))
    assert must <= fired, sorted(must - fired)
    wrong = {x for x in must_not if (x in fired if isinstance(x, tuple) else any(r == x for r, _i in fired))}
    assert not wrong, sorted(map(str, wrong))


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_tables_have_no_rule_errors(name):
    _findings, outcomes = review_outcomes([("t", _table(_gold(name)))])
    assert not [r for r, o in outcomes["t"].items() if o["outcome"] == "error"]


# -- mutations ------------------------------------------------------------------------------------

# test_review's clean table, with printed start/end dates and a dated 时效 indicator, so that
# the date rules have something to check
CLEAN = copy.deepcopy(REVIEW_CLEAN)
CLEAN["project_period"] = "一年（2024年1月-2024年12月）"
CLEAN["indicators"].insert(3, I("产出指标", "时效指标", "补助发放完成时间", "2024年12月底前", None, None, None))


def _set(d, n, **fields):
    d["indicators"][n].update(fields)
    return d


MUTATIONS = {
    # a unit: 400元 per person becomes 400万元, more than the whole 50万元 budget
    "unit 元→万元": (lambda d: _set(d, 4, value_text="≤400万元", unit="万元"), "CONS-03"),
    "unit %→人": (lambda d: _set(d, 1, value_text="≥95人", unit="人"), "MEAS-05"),
    "unit dropped": (lambda d: _set(d, 0, value_text="≥1200", unit=None), "MEAS-03"),
    # an operator
    "operator ≥→≤ on a rate": (lambda d: _set(d, 1, value_text="≤95%", operator="≤"), "DIR-02"),
    "operator ≤→≥ on a time limit": (lambda d: _set(d, 2, value_text="≥15个工作日", operator="≥"), "DIR-03"),
    "operator ≤→≥ on a cost": (lambda d: _set(d, 4, value_text="≥400元", operator="≥"), "DIR-04"),
    # a date
    "date: start after end": (lambda d: {**d, "project_period": "一年（2025年1月-2024年12月）"}, "DATE-01"),
    "date: duration vs dates": (lambda d: {**d, "project_period": "一年（2024年1月-2025年6月）"}, "DATE-03"),
    "date: 时效 after the end": (lambda d: _set(d, 3, value_text="2025年3月底前"), "DATE-02"),
    # a placeholder
    "placeholder in a name": (lambda d: _set(d, 0, name="居家养老服务人数(≥**人)"), "PLACE-01"),
    "placeholder as a value": (lambda d: _set(d, 0, value_text="≥**人", operator=None, value=None, unit=None), "PLACE-01"),
    "placeholder XX in a goal": (lambda d: {**d, "annual_goals": ["为全县XX名高龄老人提供居家养老服务，服务满意度达到90%以上"]},
                                 "PLACE-01"),
    # the 项目属性
    "attribute outside the list": (lambda d: {**d, "project_attribute": "基础设施类"}, "ATTR-01"),
    # a satisfaction target
    "satisfaction 90→70": (lambda d: _set(d, 6, value_text="≥70%", value=70), "SAT-01"),
}


def test_the_clean_table_is_clean():
    assert _fired(CLEAN) == set()
    _f, outcomes = review_outcomes([("t", _table(CLEAN))])
    assert all(o["outcome"] in ("passed", "not_applicable") for o in outcomes["t"].values())


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_one_mutation_fires_its_rule_and_only_it(what):
    mutate, rule = MUTATIONS[what]
    fired = {r for r, _i in _fired(mutate(copy.deepcopy(CLEAN)))}
    assert fired == {rule}


@pytest.mark.parametrize("name, mutate, rule", [
    ("real-15", lambda d: {**d, "project_period": "2021.12-2021.1"}, "DATE-01"),
    ("real-15", lambda d: {**d, "project_attribute": "科技类"}, "ATTR-01"),
    # 1000万元 printed as 1000元: a cost no longer equal to the total, and no false 错误 from the mix
    ("real-10", lambda d: _set(d, next(i for i, x in enumerate(d["indicators"]) if x["name"] == "项目总成本"),
                              value_text="≤1000元", unit="元"), "COST-01"),
])
def test_a_mutation_of_a_real_table_changes_only_its_rule(name, mutate, rule):
    before = {r for r, _i in _fired(_gold(name))}
    after = {r for r, _i in _fired(mutate(copy.deepcopy(_gold(name))))}
    assert after ^ before == {rule}


# -- FUND-01/02: amounts the contract has no field for, read from the source by the checker ------------

def _real_page(tmp_path, name, replace=None):
    lines = (REAL / f"{name}.txt").read_text(encoding="utf-8").splitlines(keepends=True)[3:]
    text = "".join(lines)
    for a, b in (replace or {}).items():
        assert a in text
        text = text.replace(a, b, 1)
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _check_page(path):
    from jixiao.check import check
    from jixiao.pipeline import extract_with_chunks

    return check([(t, c, None) for c, t in extract_with_chunks(path)])


def test_fund_01_reads_the_multi_year_total_from_the_source(tmp_path):
    (ok,) = _check_page(_real_page(tmp_path, "real-01"))  # 资金总额 10000万元, 当年 10000万元
    assert ok.outcomes["FUND-01"]["outcome"] == "passed" and ok.outcomes["FUND-02"]["outcome"] == "not_applicable"
    (bad,) = _check_page(_real_page(tmp_path, "real-01", {"资金总额\n\n10000万元": "资金总额\n\n8000万元"}))
    fund = [f for f in bad.findings if f.rule == "FUND-01"]
    assert len(fund) == 1 and "10000万元大于项目资金总额8000万元" in fund[0].message
