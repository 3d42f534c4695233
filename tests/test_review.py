"""The checker: the seed's findings equal review-rules.md §6, and every rule has a case where it
fires and a near miss where it must not."""

import copy
import json
from collections import Counter

import pytest

from conftest import FIXTURES
from jixiao.check import check
from jixiao.findings import RULES, ReviewConfig
from jixiao.models import ExtractedTable
from jixiao.pipeline import extract_with_chunks
from jixiao.review_rules import review


@pytest.mark.parametrize("name", ["seed-tables.txt", "seed-tables.pdf", "seed-tables-messy.pdf"])
def test_seed_findings_equal_the_catalogue(name):
    gold = json.loads((FIXTURES / "seed-findings.json").read_text(encoding="utf-8"))
    items = [(t, c, None) for c, t in extract_with_chunks(FIXTURES / name)]
    checked = check(items)
    got = Counter((f.table, f.rule, f.indicator) for c in checked for f in c.findings)
    want = Counter((g["table"], g["rule"], g["indicator"]) for g in gold)
    assert got == want  # no more, no less
    severities = {(f.table, f.rule, f.indicator): f.severity for c in checked for f in c.findings}
    assert all(severities[(g["table"], g["rule"], g["indicator"])] == g["severity"] for g in gold)
    # every value of the seed is found exactly in its source
    assert all(g.status == "exact" for c in checked for g in c.groundings)


def I(l1, l2, name, vt, op, value, unit):  # noqa: E743 - an indicator row, as a table prints it
    return {"level1": l1, "level2": l2, "name": name, "value_text": vt, "operator": op, "value": value, "unit": unit}


CLEAN = {
    "title": "2024年项目支出绩效目标表", "year": 2024, "project_name": "社区养老服务补助",
    "competent_department": "县民政局", "implementing_unit": "县养老服务中心",
    "project_attribute": "经常性项目", "project_period": "一年",
    "funds": {"total_all_levels": 50, "fiscal_all_levels": 50, "other_all_levels": None,
              "total_own_level": None, "fiscal_own_level": None, "other_own_level": None},
    "overall_goals": [], "annual_goals": ["为全县1200名高龄老人提供居家养老服务，服务满意度达到90%以上"],
    "indicators": [
        I("产出指标", "数量指标", "居家养老服务人数", "≥1200人", "≥", 1200, "人"),
        I("产出指标", "质量指标", "服务质量合格率", "≥95%", "≥", 95, "%"),
        I("产出指标", "时效指标", "补助发放时限", "≤15个工作日", "≤", 15, "个工作日"),
        I("产出指标", "成本指标", "人均服务成本", "≤400元", "≤", 400, "元"),
        I("效益指标", "社会效益指标", "高龄老人居家养老服务覆盖率", "≥80%", "≥", 80, "%"),
        I("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "≥", 90, "%"),
    ],
}
PROV = {"source_file": "t.pdf", "sha256": "0" * 64, "pages": [1], "table_index": 0, "backend": "rules", "tool_version": "0"}


def _table(data: dict, n: int = 0) -> ExtractedTable:
    return ExtractedTable.model_validate({**data, "provenance": {**PROV, "table_index": n}, "evidence": {}, "notes": []})


def _rules_fired(data: dict) -> set[str]:
    return {f.rule for f in review([("t", _table(data))])}


def test_clean_table_has_no_findings():
    assert _rules_fired(CLEAN) == set()


def _with(**changes):
    def apply(d):
        for path, value in changes.items():
            target = d
            keys = path.split("__")
            for k in keys[:-1]:
                target = target[int(k)] if k.isdigit() else target[k]
            last = keys[-1]
            if last.isdigit():
                target[int(last)] = value
            else:
                target[last] = value
        return d
    return apply


def _ind(n, *fields):
    return _with(**{f"indicators__{n}": I(*fields)})


def _add(*fields):
    def apply(d):
        d["indicators"].append(I(*fields))
        return d
    return apply


def _drop(pred):
    def apply(d):
        d["indicators"] = [i for i in d["indicators"] if not pred(i)]
        return d
    return apply


OWN = {"total_all_levels": 50, "fiscal_all_levels": 50, "other_all_levels": None,
       "total_own_level": 50, "fiscal_own_level": 50, "other_own_level": None}

# rule: (a change that makes it fire, a near miss that must not)
CASES = {
    "COMP-01": (_with(implementing_unit=None), _with(implementing_unit="县民政局")),
    "COMP-02": (_with(funds__total_all_levels=0), _with(funds__total_all_levels=50.5, funds__fiscal_all_levels=50.5)),
    "COMP-03": (_with(annual_goals=[]), _with(annual_goals=[], overall_goals=CLEAN["annual_goals"])),
    "COMP-04": (_drop(lambda i: i["level2"] == "质量指标"), _ind(1, "产出指标", "质量指标", "服务达标率", "≥90%", "≥", 90, "%")),
    "COMP-05": (_drop(lambda i: i["level1"] == "效益指标"),
                _ind(4, "效益指标", "可持续影响指标", "居家养老服务覆盖率", "≥80%", "≥", 80, "%")),
    "COMP-06": (_drop(lambda i: i["level1"] == "满意度指标"), _with(indicators__5__name="老人满意度")),
    "COMP-07": (_ind(0, "产出指标", "数量指标", "居家养老服务人数", None, None, None, None),
                _ind(0, "产出指标", "数量指标", "居家养老服务人数", "1200人", "=", 1200, "人")),
    "GOAL-01": (_with(annual_goals=["社区养老服务补助"]), _with(annual_goals=["社区养老服务补助发放到1200名老人"])),
    "GOAL-02": (_with(annual_goals=["做好居家养老服务"]), _with(annual_goals=["做好1200名老人居家养老服务"])),
    "GOAL-03": (_with(funds=OWN, overall_goals=["为老人服务"], annual_goals=["为高龄老人服务"]),
                _with(funds=OWN, overall_goals=CLEAN["annual_goals"])),
    "CONS-01": (_with(funds__fiscal_all_levels=40), _with(funds__fiscal_all_levels=40, funds__other_all_levels=10)),
    "CONS-02": (_with(funds={**OWN, "total_own_level": 60, "fiscal_own_level": 60}),
                _with(funds={**OWN, "total_own_level": 40, "fiscal_own_level": 40})),
    "CONS-03": (_ind(3, "产出指标", "成本指标", "服务购买费", "≤60万元", "≤", 60, "万元"),
                _ind(3, "产出指标", "成本指标", "服务购买费", "≤45万元", "≤", 45, "万元")),
    "CONS-04": (lambda d: _add("产出指标", "成本指标", "场地租赁成本", "≤25万元", "≤", 25, "万元")(
                    _add("产出指标", "成本指标", "设备购置成本", "≤30万元", "≤", 30, "万元")(d)),
                _add("产出指标", "成本指标", "设备购置成本", "≤10万元", "≤", 10, "万元")),
    "CONS-05": (lambda d: _add("产出指标", "质量指标", "系统日均运行时长", "≥22小时", "≥", 22, "小时")(
                    _add("产出指标", "数量指标", "热线日均服务时长", "24小时", "=", 24, "小时")(d)),
                _add("产出指标", "数量指标", "热线日均服务时长", "24小时", "=", 24, "小时")),
    "MEAS-01": (_ind(4, "效益指标", "社会效益指标", "老年人生活质量", "提高", None, None, None),
                _ind(4, "效益指标", "社会效益指标", "老年人生活质量", "达标", None, None, None)),
    "MEAS-02": (_ind(2, "产出指标", "时效指标", "补助发放时间", "及时", None, None, None),
                _ind(2, "产出指标", "时效指标", "补助发放时间", "年底前", None, None, None)),
    "MEAS-03": (_ind(1, "产出指标", "质量指标", "服务质量合格率", "1", "=", 1, None),
                _ind(1, "产出指标", "质量指标", "服务质量合格率", "100%", "=", 100, "%")),
    "MEAS-04": (_ind(1, "产出指标", "质量指标", "服务质量合格率", "提高", None, None, None),
                _ind(1, "产出指标", "质量指标", "服务质量", "良好", None, None, None)),
    "MEAS-05": (_ind(1, "产出指标", "质量指标", "服务质量合格率", "95人", "=", 95, "人"),
                _ind(1, "产出指标", "质量指标", "服务质量合格率", "95‰", "=", 95, "‰")),
    "MEAS-06": (_ind(1, "产出指标", "质量指标", "服务及时性", "≥95%", "≥", 95, "%"),
                _ind(1, "产出指标", "质量指标", "服务及时率", "≥95%", "≥", 95, "%")),
    "MEAS-07": (_with(indicators__4__name="提高老人居家养老服务覆盖率"), _with(indicators__4__name="老人居家养老服务覆盖率提高值")),
    "MEAS-08": (_with(indicators__0__name="居家养老、助餐服务人数"), _with(indicators__0__name="居家养老助餐服务人数")),
    "DIR-01": (_add("产出指标", "质量指标", "服务投诉率", "≤60%", "≤", 60, "%"),
               _add("产出指标", "质量指标", "服务投诉率", "≤5%", "≤", 5, "%")),
    "DIR-02": (_ind(1, "产出指标", "质量指标", "服务质量合格率", "≤95%", "≤", 95, "%"),
               _ind(1, "产出指标", "质量指标", "服务质量合格率", "≥95%", "≥", 95, "%")),
    "DIR-03": (_ind(2, "产出指标", "时效指标", "补助发放时限", "≥15个工作日", "≥", 15, "个工作日"),
               _ind(2, "产出指标", "时效指标", "系统无故障时限", "≥15天", "≥", 15, "天")),
    "DIR-04": (_ind(3, "产出指标", "成本指标", "人均服务成本", "≥400元", "≥", 400, "元"),
               _ind(3, "产出指标", "成本指标", "人均服务成本", "=400元", "=", 400, "元")),
    "RANGE-01": (_ind(1, "产出指标", "质量指标", "服务质量合格率", "≥105%", "≥", 105, "%"),
                 _ind(1, "产出指标", "质量指标", "服务质量合格率", "=100%", "=", 100, "%")),
    "RANGE-02": (_add("产出指标", "数量指标", "热线日均服务时长", "26小时", "=", 26, "小时"),
                 _add("产出指标", "数量指标", "热线日均服务时长", "24小时", "=", 24, "小时")),
    "COST-01": (_ind(3, "产出指标", "成本指标", "养老服务补助经费", "50万元", "=", 50, "万元"),
                _ind(3, "产出指标", "成本指标", "养老服务补助经费", "≥50万元", "≥", 50, "万元")),
    "COST-02": (_ind(3, "产出指标", "成本指标", "成本控制率", "≤100%", "≤", 100, "%"),
                _add("产出指标", "成本指标", "成本控制率", "≤100%", "≤", 100, "%")),
    "SAT-01": (_with(indicators__5__value_text="≥70%", indicators__5__value=70),
               _with(indicators__5__value_text="≥85%", indicators__5__value=85)),
    "SAT-02": (_with(indicators__5__value_text="100%", indicators__5__value=100, indicators__5__operator="="),
               _with(indicators__5__value_text="≥98%", indicators__5__value=98)),
    "REL-01": (_with(annual_goals=["完成全县农田水利设施改造"]), _with(annual_goals=["完成全县高龄老人居家养老服务"])),
    "REL-02": (_with(annual_goals=["为全县高龄老人提供居家养老服务，并建设乡镇日间照料中心"]),
               _with(annual_goals=["为全县高龄老人提供居家养老服务，并提高服务质量合格率"])),
    "REL-03": (_ind(4, "效益指标", "社会效益指标", "老人满意度", "≥90%", "≥", 90, "%"),
               _ind(4, "效益指标", "社会效益指标", "老人服务覆盖率", "≥90%", "≥", 90, "%")),
    "APPR-01": (_ind(0, "产出指标", "数量指标", "培训次数", "≥1次", "≥", 1, "次"),
                _ind(0, "产出指标", "数量指标", "培训次数", "≥4次", "≥", 4, "次")),
    "FEAS-01": (_with(project_attribute="一次性项目", project_name="养老服务平台运维费"),
                _with(project_attribute="经常性项目", project_name="养老服务平台运维费")),
}


def test_every_catalogue_rule_has_cases():
    catalogue = {r for r in RULES if not r.startswith(("GROUND", "COUNT", "PARSE", "DIFF", "BATCH", "OCR", "EXTRACT", "SRC"))}
    assert catalogue == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires(rule):
    fire, _ = CASES[rule]
    assert rule in _rules_fired(fire(copy.deepcopy(CLEAN)))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_near_miss_does_not_fire(rule):
    _, miss = CASES[rule]
    assert rule not in _rules_fired(miss(copy.deepcopy(CLEAN)))


def test_precedence_rate_without_target_supersedes_trend_word():
    data = _ind(1, "产出指标", "质量指标", "服务质量合格率", "提升", None, None, None)(copy.deepcopy(CLEAN))
    fired = _rules_fired(data)
    assert "MEAS-04" in fired and "MEAS-01" not in fired


def _batch(*tables):
    return review([(f"t{n}", _table(t, n)) for n, t in enumerate(tables)])


def test_batch_rules():
    other = copy.deepcopy(CLEAN)
    other["project_name"] = "养老机构运营补助"
    # BATCH-01: the same indicator name in two projects, on both
    same = [f for f in _batch(CLEAN, other) if f.rule == "BATCH-01"]
    assert {f.table for f in same} == {"社区养老服务补助", "养老机构运营补助"}
    # BATCH-02: one name contained in another's
    for i, ind in enumerate(other["indicators"]):
        ind["name"] = f"机构{ind['name']}" if i == 0 else f"另{i}{ind['name']}"
    near = [f for f in _batch(CLEAN, other) if f.rule == "BATCH-02"]
    assert {(f.table, f.indicator) for f in near} >= {("社区养老服务补助", "居家养老服务人数"),
                                                      ("养老机构运营补助", "机构居家养老服务人数")}
    # names shorter than 4 characters are not compared
    short = copy.deepcopy(other)
    short["indicators"][0]["name"] = "人数"
    assert not [f for f in _batch(CLEAN, short) if f.rule == "BATCH-02" and f.indicator == "人数"]


def test_thresholds_are_configurable():
    data = _with(indicators__5__value_text="≥85%", indicators__5__value=85)(copy.deepcopy(CLEAN))
    strict = ReviewConfig(satisfaction_floor=90)
    assert "SAT-01" in {f.rule for f in review([("t", _table(data))], strict)}
    assert "SAT-01" not in _rules_fired(data)


def test_comments_are_formal_chinese_from_templates():
    data = _ind(1, "产出指标", "质量指标", "服务质量合格率", "1", "=", 1, None)(copy.deepcopy(CLEAN))
    (f,) = [f for f in review([("t", _table(data))]) if f.rule == "MEAS-03"]
    assert f.message == "“服务质量合格率”指标值“1”未注明计量单位，含义不明确（如是否为100%），请补充计量单位并规范填写。"
    assert f.severity == "错误" and f.dimension == "规范性" and "88号" in f.basis
