"""Findings: what the checker reports, the rule catalogue behind them, and their wording.

Conditions live in check.py and review_rules.py; the wording of every comment lives in
templates/comments/<RULE>.j2 so a reviewer can adjust it without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from .models import Location
from .settings import ReviewConfig

Severity = Literal["错误", "警告", "建议"]
SEVERITY_ORDER = {"错误": 0, "警告": 1, "建议": 2}
DIMENSIONS = ("完整性", "相关性", "适当性", "可行性", "规范性", "数据核对")

_88 = "财预〔2015〕88号《中央部门预算绩效目标管理办法》"
_285 = "财预〔2011〕285号《财政支出绩效评价管理暂行办法》第十四条"
_34 = "中发〔2018〕34号《关于全面实施预算绩效管理的意见》"
_101 = "财预〔2021〕101号《中央部门项目支出核心绩效目标和指标设置及取值指引（试行）》"
_10 = "财预〔2020〕10号《项目支出绩效评价管理办法》"
_LOCAL = "地方财政部门审核实务（指标性质、指标方向、目标值、计量单位）"


@dataclass(frozen=True)
class Rule:
    dimension: str
    severity: Severity
    basis: str
    table_level: bool  # attaches to the table (indicator null) rather than to one indicator
    condition: str = ""  # when it fires, in words (docs/rules.md is generated from this table)


# The catalogue (docs/rules.md is generated from it).  Families COMP, GOAL, CONS, REL and FEAS attach to
# the table (§4.3); the verification checks (GROUND, COUNT, PARSE, DIFF) compare the extraction
# with its source and belong to no official dimension.
RULES: dict[str, Rule] = {
    "COMP-01": Rule("完整性", "错误", f"{_88} 完整性审核", True,
                     "Any header field empty: 项目名称、主管部门、实施单位、项目属性、项目期"),
    "COMP-02": Rule("完整性", "错误", f"{_88} 完整性审核", True,
                     "年度资金总额 missing or ≤0 in any column present"),
    "COMP-03": Rule("完整性", "错误", f"{_88} 完整性审核", True,
                     "`overall_goals` and `annual_goals` both empty, or one empty while its fund column is non-empty"),
    "COMP-04": Rule("完整性", "警告", f"{_34}“不仅要包括产出、成本”；{_88}", True,
                     "Under 产出指标, any of 数量/质量/时效/成本 has no filled 三级指标 (in 101号-style tables, 成本 is checked at level 1)"),
    "COMP-05": Rule("完整性", "警告", f"{_34}；{_88}", True,
                     "None of the four 效益 二级指标 has a filled indicator"),
    "COMP-06": Rule("完整性", "警告", f"{_34}“服务对象满意度”；{_10} 满意度定义", True,
                     "服务对象满意度指标 has no filled indicator"),
    "COMP-07": Rule("完整性", "错误", f"{_88} 完整性审核", True,
                     "A row has an indicator name but no value, or a value but no name"),
    "GOAL-01": Rule("完整性", "警告", f"{_88}“明确、清晰”；{_285}“具体细化”", True,
                     "Normalised goal equals, or is a substring of, the project name (leading “20xx年” removed)"),
    "GOAL-02": Rule("完整性", "建议", f"{_88} 完整性审核；{_285}", True,
                     "Every goal of the table is ≤12 汉字 and contains no digit; suppressed if GOAL-01 fired"),
    "GOAL-03": Rule("完整性", "建议", f"{_88} 完整性审核", True,
                     "The two fund columns are identical but the 含本级和市县 goals differ from the 含本级 goals"),
    "CONS-01": Rule("规范性", "错误", f"{_88} 完整性审核；项目资金填写要求", True,
                     "For a fund column: total ≠ fiscal + other (blank = 0; tolerance 0.005 万元)"),
    "CONS-02": Rule("规范性", "错误", f"{_88} 完整性审核；项目资金填写要求", True,
                     "`total_own_level` > `total_all_levels`, or fiscal > total within the same column"),
    "CONS-03": Rule("适当性", "错误", f"{_88} 适当性审核“资金规模与绩效目标之间是否匹配”", True,
                     "Any monetary 成本指标, converted to 万元, > `total_all_levels`"),
    "CONS-04": Rule("适当性", "错误", f"{_88} 适当性审核", True,
                     "Sum of monetary 成本指标 with operator = or ≤ > `total_all_levels`"),
    "CONS-05": Rule("规范性", "建议", f"{_88} 可行性审核“合理测算”", True,
                     "Two indicators in one table with unit 小时 and names containing 日均/日平均/每日/每天: one is =24 (or ≥24), the other ≥x with x<24"),
    "MEAS-01": Rule("相关性", "警告", f"{_88} 相关性审核“绩效指标是否细化、量化”；{_285}“定性的分级分档形式”", False,
                     "`operator == null`, `value_text` has no digit and contains a trend word (提高/提升/加强/增强/改善/优化/促进/推进/完善/加快/扩大/降低/减少/好转)"),
    "MEAS-02": Rule("相关性", "警告", f"{_88} 相关性审核；时效指标定义", False,
                     "`level2 == 时效指标`, `operator == null`, no digit in `value_text`, and not a named period (年底前/年末前/月底前/上半年/下半年)"),
    "MEAS-03": Rule("规范性", "错误", f"{_88}“明确、清晰”；{_LOCAL}", False,
                     "Numeric value with no unit (`value != null && unit == null`)"),
    "MEAS-04": Rule("相关性", "警告", f"{_88} 相关性审核；{_285}", False,
                     "Name ends in “率” and `operator == null`"),
    "MEAS-05": Rule("规范性", "错误", _LOCAL, False,
                     "Unit contradicts the name: name ends 率/满意度 with a non-null unit other than %/‰; or name ends 次数/人数/期数/个数/数量/人次/场次 with unit %"),
    "MEAS-06": Rule("规范性", "建议", "定量指标应说明考核计算公式（地方评价实务）", False,
                     "Name ends in “性” (及时性/时效性/有效性…) but the value is numeric"),
    "MEAS-07": Rule("相关性", "建议", f"{_88} 相关性审核", False,
                     "Name starts with (有效/进一步/全面/切实)?(提升/提高/加强/增强/弘扬/引导/促进/推动/确保/改善/优化)"),
    "MEAS-08": Rule("规范性", "建议", f"{_101}“重点突出、量化易评”", False,
                     "Name contains “，”, “、” or “,”"),
    "DIR-01": Rule("规范性", "错误", f"{_88} 适当性/可行性审核；{_LOCAL}", False,
                    "Lower-is-better name (ends 故障率/差错率/错误率/投诉率/流失率/事故率/发生率/失误率/不合格率/超支率/损耗率/中断率/误报率/漏报率) with operator ≥/>, or ≤/< with value ≥50 (%)"),
    "DIR-02": Rule("规范性", "错误", _LOCAL, False,
                    "Higher-is-better rate (合格率/完成率/覆盖率/满意度/满意率/可用率/畅通率/出席率/出勤率/参与率/及时率/使用率/监测率/知晓率/达标率/通过率/到位率/执行率/响应率/处置率/办结率) with operator ≤/<"),
    "DIR-03": Rule("规范性", "错误", _LOCAL, False,
                    "Time-limit name (时限/响应时间/处置时间/维修时间/修复时间/办结时间/处理时间/维修时效/处置时效, unit a time unit; excluding names containing 无故障/运行时长/日均时长) with operator ≥/>"),
    "DIR-04": Rule("规范性", "错误", f"{_88} 适当性审核；{_101} 成本控制", False,
                    "`level2 == 成本指标` (or `level1 == 成本指标`) with operator ≥/>"),
    "RANGE-01": Rule("可行性", "错误", f"{_88} 可行性审核", False,
                      "Unit % and value >100 (错误); or “≥100%”/“>100%” (建议)"),
    "RANGE-02": Rule("可行性", "错误", f"{_88} 可行性审核“如期实现”", False,
                      "Hours-per-day indicator (unit 小时, name has 日均/每日/每天) >24; or a 时效 value names a year later than the budget year while 项目期 = 一年"),
    "COST-01": Rule("适当性", "建议", f"{_101} 经济成本指标；成本指标可填总成本（填报说明）", False,
                     "A monetary 成本指标 with operator = or ≤ whose value, converted to 万元, equals the annual total (tolerance 0.005)"),
    "COST-02": Rule("适当性", "建议", f"成本指标填报说明；{_101}", False,
                     "All 成本指标 are in % (成本控制率, 预算执行率…), none in money"),
    "SAT-01": Rule("适当性", "警告", f"{_10} 满意度定义（80%为实务惯例，非正式标准）", False,
                    "Satisfaction indicator (name contains 满意) with operator ≤/<, or value <80 (%)"),
    "SAT-02": Rule("适当性", "建议", "实务惯例", False,
                    "Satisfaction indicator (name contains 满意) with value =100% or ≥100%"),
    "REL-01": Rule("相关性", "警告", f"{_88} 相关性审核“是否对申报的绩效目标设定了相关联的绩效指标”", True,
                    "A whole goal shares no content bigram with any indicator name in the table (algorithm §4.5)"),
    "REL-02": Rule("相关性", "建议", f"{_88} 相关性审核", True,
                    "Clause-level coverage (§4.5): a ≥6-character clause with no shared content bigram"),
    "REL-03": Rule("相关性", "警告", "指标分类定义（填报说明）", True,
                    "Misfiled indicator: name contains 满意 but `level2` ≠ 服务对象满意度指标; name under 满意度 lacks 满意; or name ends 成本/费用/经费/费 with a money unit but `level2` ≠ 成本指标"),
    "APPR-01": Rule("适当性", "建议", f"{_88} 适当性审核“绩效目标是否过高或过低”；{_10} 历史标准", False,
                     "`level2 == 数量指标`, operator ≥/>, value ≤1, unit 次/个/场/期/项/件/篇/批"),
    "FEAS-01": Rule("规范性", "建议", f"{_88} 完整性审核（实务惯例）", True,
                     "项目属性 = 一次性项目 while the project name contains 运维/运营维护/运行维护/维护费/服务费/租用/租赁/物业费/年费"),
    "BATCH-01": Rule("适当性", "建议", f"{_88} 可行性审核“是否有必要安排财政资金”（实务惯例）", False,
                      "Two projects in one batch have an identical normalised 三级指标 name"),
    "BATCH-02": Rule("适当性", "建议", f"{_88} 可行性审核（实务惯例）", False,
                      "An indicator name (≥4 字) of one project is contained in an indicator name of another project in the batch"),
    "GROUND-01": Rule("数据核对", "错误", "提取结果与原件核对", False,
                       "An extracted string (header, goal, indicator name or value) is not found in the table's source text, exactly or fuzzily"),
    "GROUND-02": Rule("数据核对", "建议", "提取结果与原件核对", False,
                       "An extracted string is found only approximately (character-level similarity ≥ `fuzzy_threshold`)"),
    "COUNT-01": Rule("数据核对", "错误", "提取结果与原件核对", True,
                      "The number of extracted indicators differs from the filled `指标N：` slots of the source (or, for a model's reading, from the rules reading's rows)"),
    "PARSE-01": Rule("数据核对", "警告", "提取结果与原件核对", False,
                      "operator/value/unit differ from those re-derived from `value_text` by the project's parser"),
    "DIFF-01": Rule("数据核对", "警告", "两种提取方式互相核对", False,
                     "The model's reading and the rules reading of the same table differ on a field"),
    "OCR-01": Rule("数据核对", "警告", "扫描件识别结果与原件核对", False,
                    "A value read by OCR whose least sure character is below `ocr_min_confidence`, "
                    "or whose number starts with a bare point (`.95`: a speck read as a decimal point)"),
    "OCR-02": Rule("数据核对", "错误", "扫描件识别结果与原件核对", True,
                    "At least `ocr_poor_share` of a table's OCR'd lines are unsure: the scan is too poor to trust"),
    # the reading itself is unsure: 错误 when values were lost, else 警告 (check.py sets it)
    "EXTRACT-01": Rule("数据核对", "警告", "提取结果与原件核对（提取覆盖率）", True,
                       "The rules reading accounts for too little of its source text (coverage under the threshold), "
                       "or meets labels it does not know, or leaves numbers of the funds or indicator grid unread; "
                       "错误 when values were lost"),
    # the source itself is damaged: what is missing was lost with it (batch.py drops 完整性 comments then)
    "SRC-01": Rule("数据核对", "错误", "提取结果与原件核对（原件完好性）", True,
                   "The source is damaged: the PDF had to be repaired, a page's content could not be decoded, "
                   "or every cell of the table was read empty; replaces the table's 完整性 comments"),
    # -- checks reviewers already automate (issue #15) ---------------------------------------------
    "PLACE-01": Rule("规范性", "警告", "财预〔2015〕88号《中央部门预算绩效目标管理办法》“明确、清晰”；填报说明（模板示例须替换）", False,
                      "A template remnant left in a header, goal, indicator name or value: “**”, “XX/××/×××”, “（≥**%）”, "
                      "“…”/“...”, or 示例/例如/举例 text copied from the form (a single leading “*” core-indicator mark is not one)"),
    "DATE-01": Rule("规范性", "错误", f"{_88} 可行性审核“如期实现”", True,
                     "项目期 prints a start and an end date (年月, 年.月, YYYYMM) and the start is after the end"),
    "DATE-02": Rule("可行性", "警告", f"{_88} 可行性审核“如期实现”；时效指标定义", False,
                     "A 时效指标 value names a date (年/月) after the end printed in 项目期, or (without one) outside the "
                     "budget year when 项目期 is one year"),
    "DATE-03": Rule("规范性", "警告", f"{_88} 完整性审核“明确、清晰”", True,
                     "项目期 states a duration (一年, 3年, 24个月) and printed start/end dates that span a different "
                     "number of months (±1). The contract has no separate start/end fields: both are read from 项目期"),
    "ATTR-01": Rule("规范性", "建议", "项目属性填报口径（一次性/经常性、新增/延续；实务惯例）", True,
                     "项目属性 is not one of `project_attributes` (ReviewConfig; 一次性项目, 经常性项目, 延续性项目, "
                     "新增项目, 阶段性项目, 持续性项目 …, several may be joined by “、/,”)"),
    "FUND-01": Rule("规范性", "错误", f"{_88} 完整性审核；项目资金填写要求", True,
                     "The annual amount (年度/当年资金总额) is larger than the multi-year total (资金总额/中期资金总额/"
                     "项目总预算) when both are printed. The contract has no multi-year field: it is read from the "
                     "table's source text (needs the source)"),
    "FUND-02": Rule("规范性", "警告", f"{_88} 完整性审核；项目资金填写要求", True,
                     "上年结转 (结转资金) larger than the annual amount. The contract has no carry-over field: it is read "
                     "from the table's source text (needs the source)"),
    "DUP-01": Rule("数据核对", "警告", "重复报送（同一表格内容以不同文件报送）", True,
                    "The same table (identical contract fields) was submitted twice in the batch under another file "
                    "name; one finding on each repeated copy, and no BATCH finding between a table and its copy"),
    # -- a model's second opinion (--review-model), held to the table --------------------------------
    "AI-01": Rule("相关性", "建议", f"{_88} 相关性审核（模型意见，须人工确认）", False,
                   "Model second opinion: an indicator unrelated to the project or its goals; kept only when every "
                   "name, number and quotation it cites is found in the table"),
    "AI-02": Rule("完整性", "建议", f"{_88}“明确、清晰”；{_285}（模型意见，须人工确认）", True,
                   "Model second opinion: a goal that is a slogan rather than an output (held to the table as AI-01)"),
    "AI-03": Rule("相关性", "建议", f"{_88} 相关性审核（模型意见，须人工确认）", False,
                   "Model second opinion: an indicator that restates the goal instead of measuring it (held as AI-01)"),
    "AI-04": Rule("规范性", "建议", "文字规范（模型意见，须人工确认）", False,
                   "Model second opinion: likely wrong characters (错别字) in a name (held as AI-01)"),
}

# outcome of each rule on each table (findings.json `tables[].rules`)
OUTCOMES = ("passed", "failed", "not_applicable", "could_not_check", "error")
# why a rule could not be checked: code -> the words the reports use
REASONS = {"unit_unclear": "单位不明", "level_missing": "层级缺失", "value_not_parsed": "数值未解析",
           "reading_unsure": "识别存疑", "no_source": "无原文", "error": "规则运行出错"}

# §4.3: a rule that fires suppresses another on the same indicator (or table)
SUPERSEDES = {"MEAS-04": "MEAS-01", "MEAS-03": "MEAS-05", "GOAL-01": "GOAL-02", "RANGE-02": "DATE-02"}


@dataclass
class TableFacts:
    """What the checker learnt about a table beyond its contract fields, for the review rules.

    `unsure`: field path (or prefix: "funds", "indicators[3]", "@absence" for rules resting on
    something being absent) -> reason code of REASONS; `funds_unit_known`: whether the source
    prints the unit of its amounts (None: no source at hand, the contract's 万元 is trusted);
    `multi_year_total`/`carryover`: amounts (万元) the contract has no field for, read from the source.
    """

    unsure: dict[str, str] = field(default_factory=dict)
    funds_unit_known: bool | None = None
    multi_year_total: float | None = None
    carryover: float | None = None
    has_source: bool = False
    ocr: bool = False


class Source(Location):
    """The text a finding rests on, and where it stands in the source document."""

    text: str


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str
    dimension: str
    severity: Severity
    table: str | None = Field(description="project name of the table")
    table_ref: str = Field(description="source file and table index, unique within a run")
    indicator: str | None = Field(description="the indicator's name; null for table-level rules")
    message: str = Field(description="the drafted 审核意见")
    evidence: list[Source]
    basis: str = Field(description="the document the rule rests on")
    drafted_by: Literal["rules", "model"] = Field(default="rules", description=(
        "who drafted the comment: the deterministic rules, or a model's second opinion (AI-*, to be confirmed)"))


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("jixiao", "templates/comments"),
    autoescape=False,  # plain text: escaping happens in each report's own format
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    auto_reload=False,  # templates ship with the package: a finding need not stat its file to be drafted
)


def comment(rule: str, **context) -> str:
    return _env.get_template(f"{rule}.j2").render(**context).strip()


def catalogue_markdown() -> str:
    """The rule catalogue as the Markdown table of docs/rules.md (the code is its source)."""
    from importlib.resources import files

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    rows = ["| ID | 维度 | 严重度 | 对象 | 条件 (when it fires) | 审核意见模板 (templates/comments) | 依据 |",
            "|---|---|---|---|---|---|---|"]
    for rule, meta in RULES.items():
        template = (files("jixiao") / "templates" / "comments" / f"{rule}.j2").read_text(encoding="utf-8")
        rows.append(f"| {rule} | {meta.dimension} | {meta.severity} | {'表' if meta.table_level else '指标'} | "
                    f"{cell(meta.condition)} | {cell(template)} | {cell(meta.basis)} |")
    return "\n".join(rows) + "\n"


GENERATED = ("<!-- generated from the code by `jixiao rules --write docs/rules.md`: edit RULES in "
             "src/jixiao/findings.py and templates/comments, not this table -->", "<!-- end of generated table -->")


def with_catalogue(doc: str) -> str:
    """docs/rules.md with its generated table replaced by the current catalogue."""
    start, end = doc.index(GENERATED[0]), doc.index(GENERATED[1])
    return doc[:start] + GENERATED[0] + "\n\n" + catalogue_markdown() + "\n" + doc[end:]


def make_finding(rule: str, table_name: str | None, ref: str, indicator: str | None, sources: list[Source],
                 severity: Severity | None = None, **context) -> Finding:
    """The one place a finding is made: the catalogue's dimension, severity and basis, the drafted comment."""
    meta = RULES[rule]
    return Finding(rule=rule, dimension=meta.dimension, severity=severity or meta.severity, table=table_name,
                   table_ref=ref, indicator=None if meta.table_level else indicator,
                   message=comment(rule, **context), evidence=sources, basis=meta.basis,
                   drafted_by="model" if rule.startswith("AI-") else "rules")


def severity_counts(findings) -> dict[str, int]:
    """错误/警告/建议 counts, in that order, for any iterable of findings."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def sort_key(finding: Finding) -> tuple[int, int]:
    """Report order: an unsure reading (EXTRACT) first -- every other finding rests on it -- then by severity."""
    return (0 if finding.rule.startswith("EXTRACT") else 1, SEVERITY_ORDER[finding.severity])


def held_severities(outcomes: dict[str, dict] | None) -> list[str]:
    """Severities of the findings held back because the value they rest on was read unsurely."""
    return [s for o in (outcomes or {}).values() for s in o.get("held", ())]


def suggested_grade(findings: list[Finding], config: ReviewConfig, held: list[str] = ()) -> str:
    """优/良/中/差 from the severities: a suggestion for the reviewer, never a verdict.

    `held`: severities of findings held back for an unsure reading (no finding, but the grade counts them:
    an unsure reading neither lowers nor raises the grade)."""
    # an unsure OCR reading says nothing about the table itself: it does not lower the grade
    severities = [f.severity for f in findings if not f.rule.startswith("OCR-")] + list(held)
    errors = sum(s == "错误" for s in severities)
    warnings = sum(s == "警告" for s in severities)
    if errors >= config.grade_error_for_poor:
        return "差"
    if errors or warnings >= config.grade_warnings_for_fair:
        return "中"
    if warnings:
        return "良"
    return "优"


def table_score(findings: list[Finding], config: ReviewConfig, held: list[str] = ()) -> int:
    """A table's score for ranking a batch: 100 − score_error per 错误 − score_warning per 警告 − score_suggestion
    per 建议 (10/5/1 by default, ReviewConfig), never below 0.  Verification findings (OCR, DUP) and a
    model's second opinion (AI) do not count: they say nothing certain about the table itself."""
    counted = [f.severity for f in findings if not f.rule.startswith(("OCR-", "DUP-", "AI-"))] + list(held)
    c = {s: counted.count(s) for s in SEVERITY_ORDER}
    score = 100 - config.score_error * c["错误"] - config.score_warning * c["警告"] - config.score_suggestion * c["建议"]
    return max(0, round(score))


CONCLUSIONS = {"优": "通过", "良": "修改后通过", "中": "修改后通过", "差": "不予通过"}


def conclusion(grade: str) -> str:
    """The 审核结论 of the official 审核表, from the suggested grade (优 通过; 良/中 修改后通过; 差 不予通过)."""
    return CONCLUSIONS.get(grade, "修改后通过")
