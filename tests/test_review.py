"""The checker: the seed's findings equal review-rules.md §6, and every rule has a case where it
fires and a near miss where it must not."""

import copy
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    "PLACE-01": (_with(indicators__0__name="居家养老服务人数(≥**人)"), _with(indicators__0__name="*居家养老服务人数")),
    "DATE-01": (_with(project_period="2024年12月-2024年1月"), _with(project_period="2024年1月-2024年12月")),
    "DATE-02": (lambda d: _ind(2, "产出指标", "时效指标", "补助发放完成时间", "2025年3月底前", None, None, None)(
                    _with(project_period="2024年1月-2024年12月")(d)),
                lambda d: _ind(2, "产出指标", "时效指标", "补助发放完成时间", "2024年10月底前", None, None, None)(
                    _with(project_period="2024年1月-2024年12月")(d))),
    "DATE-03": (_with(project_period="一年（2024年1月-2025年6月）"), _with(project_period="一年（2024年1月-2024年12月）")),
    "ATTR-01": (_with(project_attribute="基础建设类"), _with(project_attribute="新增项目、一次性项目")),
}


def test_every_catalogue_rule_has_cases():
    # FUND needs amounts read from the source, DUP a batch, AI a model: each has tests of its own below
    catalogue = {r for r in RULES if not r.startswith(("GROUND", "COUNT", "PARSE", "DIFF", "BATCH", "OCR", "EXTRACT", "SRC",
                                                       "FUND", "DUP", "AI-"))}
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


# -- fail-closed outcomes (issue #15) --------------------------------------------------------------

from jixiao.findings import OUTCOMES, TableFacts  # noqa: E402
from jixiao import review_rules  # noqa: E402
from jixiao.review_rules import review_outcomes  # noqa: E402


def _outcomes(data: dict, facts: TableFacts | None = None, table: ExtractedTable | None = None):
    findings, outcomes = review_outcomes([("t", table or _table(data))], facts={"t": facts} if facts else None)
    return {f.rule for f in findings}, outcomes["t"]


def test_every_rule_has_an_outcome_on_a_clean_table():
    fired, out = _outcomes(CLEAN)
    assert not fired
    assert all(o["outcome"] in OUTCOMES for o in out.values())
    assert {r for r, o in out.items() if o["outcome"] != "passed"} == {
        r for r, o in out.items() if o["outcome"] == "not_applicable"}
    assert out["SAT-01"]["outcome"] == "passed" and out["DIR-01"]["outcome"] == "not_applicable"
    assert out["BATCH-01"]["outcome"] == "not_applicable"  # one table: nothing to compare with


def test_no_finding_from_a_value_read_unsurely_by_ocr():
    data = _with(indicators__5__value_text="≥70%", indicators__5__value=70)(copy.deepcopy(CLEAN))
    table = ExtractedTable.model_validate({**_table(data).model_dump(), "evidence": {
        "indicators[5].value_text": {"page": 1, "bbox": None, "line": None, "confidence": 0.42}}})
    fired, out = _outcomes(data, table=table)
    assert "SAT-01" not in fired
    assert out["SAT-01"] == {"outcome": "could_not_check", "reasons": ["识别存疑：indicators[5].value_text"],
                             "held": ["警告"]}  # kept aside for the grade only
    assert "SAT-01" in _rules_fired(data)  # the same value read surely fires


def test_an_unsure_reading_holds_back_what_rests_on_absence():
    data = _drop(lambda i: i["level1"] == "满意度指标")(copy.deepcopy(CLEAN))
    unsure = ExtractedTable.model_validate({**_table(data).model_dump(), "reading": {
        "coverage": 0.5, "unknown_labels": ["绩效标准"], "lost_values": ["95"]}})
    fired, out = _outcomes(data, table=unsure)
    assert "COMP-06" not in fired and out["COMP-06"]["outcome"] == "could_not_check"
    assert out["CONS-01"]["outcome"] in ("passed", "could_not_check")
    assert "COMP-06" in _rules_fired(data)


def test_amount_rules_hold_back_when_a_unit_is_unclear():
    over = _ind(3, "产出指标", "成本指标", "服务购买费", "≤60万元", "≤", 60, "万元")(copy.deepcopy(CLEAN))
    # the funds' unit is not printed in the source: 60万元 against "50" may be 50元 or 50万元
    fired, out = _outcomes(over, TableFacts(funds_unit_known=False, has_source=True))
    assert "CONS-03" not in fired and out["CONS-03"]["reasons"] == ["单位不明：资金栏未注明金额单位"]
    # a bare number in a cost indicator: never a 错误 drawn from it
    bare = _ind(3, "产出指标", "成本指标", "服务购买费", "≤60", "≤", 60, None)(copy.deepcopy(CLEAN))
    fired, out = _outcomes(bare)
    assert "CONS-03" not in fired and out["CONS-03"]["outcome"] == "could_not_check"
    # 元 and 万元 both known: converted, 600000元 = 60万元 > 50万元 fires; 400元 does not
    assert "CONS-03" in _rules_fired(_ind(3, "产出指标", "成本指标", "服务购买费", "≤600000元", "≤", 600000, "元")(
        copy.deepcopy(CLEAN)))
    # a unit cost (元/亩) is not set against the total
    per = _ind(3, "产出指标", "成本指标", "补助标准", "≤600000元/亩", "≤", 600000, "元/亩")(copy.deepcopy(CLEAN))
    fired, out = _outcomes(per)
    assert "CONS-03" not in fired and out["CONS-03"]["outcome"] == "passed"


def test_a_rule_that_raises_is_an_error_for_that_table_not_a_crash(monkeypatch):
    def broken(c):
        c.emit("COMP-01", field="项目名称")
        raise RuntimeError("boom")
    rules_of = dict(review_rules.RULES_OF)
    comp = next(fn for fn in rules_of if fn.__name__ == "comp")
    rules_of[broken] = rules_of.pop(comp)
    monkeypatch.setattr(review_rules, "RULES_OF", rules_of)
    data = _with(annual_goals=["社区养老服务补助"])(copy.deepcopy(CLEAN))
    fired, out = _outcomes(data)
    assert out["COMP-01"] == {"outcome": "error", "reasons": ["RuntimeError: boom"]} and "COMP-01" not in fired
    assert "GOAL-01" in fired and out["GOAL-01"]["outcome"] == "failed"


def test_fund_rules_use_amounts_read_from_the_source():
    fired, out = _outcomes(CLEAN, TableFacts(multi_year_total=40, carryover=60, has_source=True))
    assert {"FUND-01", "FUND-02"} <= fired
    fired, out = _outcomes(CLEAN, TableFacts(multi_year_total=150, carryover=10, has_source=True))
    assert not fired & {"FUND-01", "FUND-02"} and out["FUND-01"]["outcome"] == "passed"
    _fired, out = _outcomes(CLEAN)
    assert out["FUND-01"]["outcome"] == out["FUND-02"]["outcome"] == "not_applicable"


def test_a_table_submitted_twice_is_one_duplicate_and_never_compared_with_itself():
    other = copy.deepcopy(CLEAN)
    other["project_name"] = "养老机构运营补助"
    a, b = _table(CLEAN, 0), _table(other, 1)
    copy_of_a = ExtractedTable.model_validate({**a.model_dump(), "provenance": {**PROV, "source_file": "t-copy.pdf"}})
    findings = review([("a", a), ("b", b), ("a2", copy_of_a)])
    dup = [f for f in findings if f.rule == "DUP-01"]
    assert [(f.table_ref, f.severity) for f in dup] == [("a2", "警告")] and "t.pdf" in dup[0].message
    batch = [f for f in findings if f.rule == "BATCH-01"]
    assert {f.table_ref for f in batch} == {"a", "b", "a2"}
    for f in batch:  # a and its copy name only the other project; b names the project once
        assert f.message.count("社区养老服务补助") == (0 if f.table_ref in ("a", "a2") else 1)
    assert not [f for f in review([("a", a), ("a2", copy_of_a)]) if f.rule.startswith("BATCH")]


def test_ocr_01_never_fires_on_the_table_title():
    from jixiao.check import verify

    table = ExtractedTable.model_validate({**_table(CLEAN).model_dump(), "evidence": {
        "title": {"page": 1, "bbox": None, "line": None, "confidence": 0.3},
        "indicators[0].value_text": {"page": 1, "bbox": None, "line": None, "confidence": 0.3}}})
    v = verify(table, "t", None, ReviewConfig())
    assert [(f.rule, f.indicator) for f in v.findings] == [("OCR-01", "居家养老服务人数")]
    assert "indicators[0].value_text" in v.facts.unsure  # and no finding is drawn from it


def test_a_dropped_indicator_without_level_holds_back_the_completeness_rules():
    data = _drop(lambda i: i["level2"] == "质量指标")(copy.deepcopy(CLEAN))
    table = ExtractedTable.model_validate({**_table(data).model_dump(),
                                           "notes": ["indicator without a level-2 label dropped: 服务达标率"]})
    fired, out = _outcomes(data, table=table)
    assert "COMP-04" not in fired and out["COMP-04"]["reasons"] == ["层级缺失：有指标未识别层级"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["甲项目", "乙项目", "丙项目", "丁项目", "戊项目", None])),
                min_size=1, max_size=14))
def test_batch_01_names_the_first_three_other_projects_and_counts_them(holders):
    """_others (worked out per group) against the rule as written: for each table holding a name,
    the distinct projects of the holders outside its group, in run order."""
    from jixiao.review_rules import _UNNAMED, _others

    got = _others([(k, g, p or _UNNAMED) for k, (g, p) in enumerate(holders)], {g for g, _p in holders})
    for k, (g, _p) in enumerate(holders):
        others = list(dict.fromkeys(p or _UNNAMED for b, (gb, p) in enumerate(holders) if gb != g))
        assert got[g] == ((others[:3], len(others)) if others else None), (k, holders)


_NAMES = ["居家养老服务人数", "养老服务人数", "服务人数", "服务对象满意度", "对象满意度", "群众满意度", "养老服务"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3), min_size=2, max_size=6),
       st.lists(st.booleans(), min_size=6, max_size=6))
def test_batch_rules_name_the_first_three_other_projects_in_run_order(batch, unnamed):
    """BATCH-01/02 through review() against the rules as written, pair by pair: for each indicator,
    the other projects holding the same name (01), or a name one contains in the other, 4+
    characters (02); named in run order, the first three, then counted."""
    from jixiao.findings import comment

    tables = []
    for k, names in enumerate(batch):
        data = copy.deepcopy(CLEAN)
        data["project_name"] = None if unnamed[k] else f"项目{k}"
        data["competent_department"] = f"部门{k}"  # each table a project of its own
        data["indicators"] = [{**CLEAN["indicators"][0], "name": n} for n in names]
        tables.append((f"t{k}", _table(data, k)))

    def near(x, y):
        short, long_ = sorted((x, y), key=len)
        return len(short) >= 4 and short != long_ and short in long_

    expected = set()
    for a, (ref, t) in enumerate(tables):
        for ind in t.indicators:
            for rule, related in (("BATCH-01", lambda y, x=ind.name: y == x), ("BATCH-02", lambda y, x=ind.name: near(x, y))):
                others = list(dict.fromkeys((u.project_name or "（未识别项目名称）", i.name) for b, (_r, u) in enumerate(tables)
                                            if b != a for i in u.indicators if related(i.name)))
                if not others:
                    continue
                if rule == "BATCH-01":
                    projects = list(dict.fromkeys(p for p, _n in others))
                    message = comment(rule, name=ind.name, others=projects[:3], count=len(projects))
                else:
                    other = others[0][1]
                    common = ind.name if ind.name in other else other
                    message = comment(rule, name=ind.name, others=others[:3], count=len(others), common=f"“{common}”")
                expected.add((ref, ind.name, rule, message))
    got = {(f.table_ref, f.indicator, f.rule, f.message) for f in review(tables) if f.rule in ("BATCH-01", "BATCH-02")}
    assert got == expected
