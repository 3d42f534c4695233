"""Findings: what the checker reports, the rule catalogue behind them, and their wording.

Conditions live in check.py and review_rules.py; the wording of every comment lives in
templates/comments/<RULE>.j2 so a reviewer can adjust it without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field

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


# The catalogue (docs/rules.md is generated from it).  Families COMP, GOAL, CONS, REL and FEAS attach to
# the table (§4.3); the verification checks (GROUND, COUNT, PARSE, DIFF) compare the extraction
# with its source and belong to no official dimension.
RULES: dict[str, Rule] = {
    "COMP-01": Rule("完整性", "错误", f"{_88} 完整性审核", True),
    "COMP-02": Rule("完整性", "错误", f"{_88} 完整性审核", True),
    "COMP-03": Rule("完整性", "错误", f"{_88} 完整性审核", True),
    "COMP-04": Rule("完整性", "警告", f"{_34}“不仅要包括产出、成本”；{_88}", True),
    "COMP-05": Rule("完整性", "警告", f"{_34}；{_88}", True),
    "COMP-06": Rule("完整性", "警告", f"{_34}“服务对象满意度”；{_10} 满意度定义", True),
    "COMP-07": Rule("完整性", "错误", f"{_88} 完整性审核", True),
    "GOAL-01": Rule("完整性", "警告", f"{_88}“明确、清晰”；{_285}“具体细化”", True),
    "GOAL-02": Rule("完整性", "建议", f"{_88} 完整性审核；{_285}", True),
    "GOAL-03": Rule("完整性", "建议", f"{_88} 完整性审核", True),
    "CONS-01": Rule("规范性", "错误", f"{_88} 完整性审核；项目资金填写要求", True),
    "CONS-02": Rule("规范性", "错误", f"{_88} 完整性审核；项目资金填写要求", True),
    "CONS-03": Rule("适当性", "错误", f"{_88} 适当性审核“资金规模与绩效目标之间是否匹配”", True),
    "CONS-04": Rule("适当性", "错误", f"{_88} 适当性审核", True),
    "CONS-05": Rule("规范性", "建议", f"{_88} 可行性审核“合理测算”", True),
    "MEAS-01": Rule("相关性", "警告", f"{_88} 相关性审核“绩效指标是否细化、量化”；{_285}“定性的分级分档形式”", False),
    "MEAS-02": Rule("相关性", "警告", f"{_88} 相关性审核；时效指标定义", False),
    "MEAS-03": Rule("规范性", "错误", f"{_88}“明确、清晰”；{_LOCAL}", False),
    "MEAS-04": Rule("相关性", "警告", f"{_88} 相关性审核；{_285}", False),
    "MEAS-05": Rule("规范性", "错误", _LOCAL, False),
    "MEAS-06": Rule("规范性", "建议", "定量指标应说明考核计算公式（地方评价实务）", False),
    "MEAS-07": Rule("相关性", "建议", f"{_88} 相关性审核", False),
    "MEAS-08": Rule("规范性", "建议", f"{_101}“重点突出、量化易评”", False),
    "DIR-01": Rule("规范性", "错误", f"{_88} 适当性/可行性审核；{_LOCAL}", False),
    "DIR-02": Rule("规范性", "错误", _LOCAL, False),
    "DIR-03": Rule("规范性", "错误", _LOCAL, False),
    "DIR-04": Rule("规范性", "错误", f"{_88} 适当性审核；{_101} 成本控制", False),
    "RANGE-01": Rule("可行性", "错误", f"{_88} 可行性审核", False),
    "RANGE-02": Rule("可行性", "错误", f"{_88} 可行性审核“如期实现”", False),
    "COST-01": Rule("适当性", "建议", f"{_101} 经济成本指标；成本指标可填总成本（填报说明）", False),
    "COST-02": Rule("适当性", "建议", f"成本指标填报说明；{_101}", False),
    "SAT-01": Rule("适当性", "警告", f"{_10} 满意度定义（80%为实务惯例，非正式标准）", False),
    "SAT-02": Rule("适当性", "建议", "实务惯例", False),
    "REL-01": Rule("相关性", "警告", f"{_88} 相关性审核“是否对申报的绩效目标设定了相关联的绩效指标”", True),
    "REL-02": Rule("相关性", "建议", f"{_88} 相关性审核", True),
    "REL-03": Rule("相关性", "警告", "指标分类定义（填报说明）", True),
    "APPR-01": Rule("适当性", "建议", f"{_88} 适当性审核“绩效目标是否过高或过低”；{_10} 历史标准", False),
    "FEAS-01": Rule("规范性", "建议", f"{_88} 完整性审核（实务惯例）", True),
    "BATCH-01": Rule("适当性", "建议", f"{_88} 可行性审核“是否有必要安排财政资金”（实务惯例）", False),
    "BATCH-02": Rule("适当性", "建议", f"{_88} 可行性审核（实务惯例）", False),
    "GROUND-01": Rule("数据核对", "错误", "提取结果与原件核对", False),
    "GROUND-02": Rule("数据核对", "建议", "提取结果与原件核对", False),
    "COUNT-01": Rule("数据核对", "错误", "提取结果与原件核对", True),
    "PARSE-01": Rule("数据核对", "警告", "提取结果与原件核对", False),
    "DIFF-01": Rule("数据核对", "警告", "两种提取方式互相核对", False),
    "OCR-01": Rule("数据核对", "警告", "扫描件识别结果与原件核对", False),
    "OCR-02": Rule("数据核对", "错误", "扫描件识别结果与原件核对", True),
}

# §4.3: a rule that fires suppresses another on the same indicator (or table)
SUPERSEDES = {"MEAS-04": "MEAS-01", "MEAS-03": "MEAS-05", "GOAL-01": "GOAL-02"}


class Source(BaseModel):
    """Where the evidence of a finding stands in the source document."""

    model_config = ConfigDict(extra="forbid")
    text: str
    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None
    cell: str | None = None  # spreadsheet, web or Word cell ('项目1!D12', '表2 R5C3')


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


class ReviewConfig(BaseModel):
    """Thresholds the catalogue marks as practice ([惯例]); override them in the [review] table of --config."""

    model_config = ConfigDict(extra="forbid")
    satisfaction_floor: float = 80  # SAT-01
    low_count_max: float = 1  # APPR-01
    inverse_rate_ceiling: float = 50  # DIR-01
    vague_goal_max_chars: int = 12  # GOAL-02
    funds_tolerance: float = 0.005  # CONS-01/03/04, COST-01 (万元)
    rel_min_clause_chars: int = 6  # REL-02
    rel_batch_min_tables: int = 4  # REL: batch-frequent bigrams
    fuzzy_threshold: float = 0.75  # grounding
    grade_error_for_poor: int = 3  # suggested grade 差 from this many 错误
    grade_warnings_for_fair: int = 3  # 中 from this many 警告 (or any 错误)
    max_crops: int = 400  # page images in review.html: enough for a reviewer, bounded for big runs
    ocr_min_confidence: float = 0.9  # OCR-01: values read with a less sure character are flagged
    ocr_poor_share: float = 0.2  # OCR-02: a table whose OCR'd lines are this often unsure is unreliable as a whole



_env = jinja2.Environment(
    loader=jinja2.PackageLoader("jixiao", "templates/comments"),
    autoescape=False,  # plain text: escaping happens in each report's own format
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
)


def comment(rule: str, **context) -> str:
    return _env.get_template(f"{rule}.j2").render(**context).strip()


def suggested_grade(findings: list[Finding], config: ReviewConfig) -> str:
    """优/良/中/差 from the severities: a suggestion for the reviewer, never a verdict."""
    # an unsure OCR reading says nothing about the table itself: it does not lower the grade
    findings = [f for f in findings if not f.rule.startswith("OCR-")]
    errors = sum(f.severity == "错误" for f in findings)
    warnings = sum(f.severity == "警告" for f in findings)
    if errors >= config.grade_error_for_poor:
        return "差"
    if errors or warnings >= config.grade_warnings_for_fair:
        return "中"
    if warnings:
        return "良"
    return "优"
