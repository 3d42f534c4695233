"""The output contract (docs/contract.md) as pydantic models.

`TableData` is what any extractor -- rules or model -- must produce, and it is strict-mode
compatible for OpenAI structured outputs: every field required (optional ones are `X | None`),
no extra keys, enums as Literal, verbatim fields before the ones derived from them.
`ExtractedTable` adds provenance and per-field evidence beside the contract fields.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .levels import Level1, Level2

Operator = Literal["≥", "≤", ">", "<", "="]
Number = int | float


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Indicator(Strict):
    level1: Level1 = Field(description="一级指标")
    level2: Level2 = Field(description="二级指标")
    name: str = Field(description="三级指标 name as printed, without the 指标N： prefix")
    value_text: str | None = Field(description="the 指标值 cell exactly as printed, whitespace removed")
    operator: Operator | None = Field(description="derived from value_text; null when qualitative")
    value: Number | None = Field(description="derived from value_text; null when qualitative")
    unit: str | None = Field(description="derived from value_text; null when none")

    @model_validator(mode="after")
    def _qualitative_or_quantified(self) -> Indicator:
        # A semantic rule JSON Schema cannot state: a model breaking it is re-asked.
        if (self.operator is None) != (self.value is None):
            raise ValueError("operator and value must both be null (qualitative value) or both be set")
        return self


class Funds(Strict):
    """Amounts in 万元; null where the table has no such cell or it is blank."""

    total_all_levels: Number | None = Field(description="年度资金总额（含本级和市县）, or the single total")
    fiscal_all_levels: Number | None = Field(description="其中：财政拨款 (含本级和市县 column)")
    other_all_levels: Number | None = Field(description="其他资金 (含本级和市县 column)")
    total_own_level: Number | None = Field(description="年度资金总额（含本级）")
    fiscal_own_level: Number | None = Field(description="财政拨款 (含本级 column)")
    other_own_level: Number | None = Field(description="其他资金 (含本级 column)")


class TableData(Strict):
    """One performance-target table (绩效目标表) in the output contract."""

    title: str | None = Field(description="the table's own heading")
    year: int | None = Field(description="the budget year the table states")
    project_name: str | None = Field(description="项目名称")
    competent_department: str | None = Field(description="主管部门, without budget codes")
    implementing_unit: str | None = Field(description="实施单位, without budget codes")
    project_attribute: str | None = Field(description="项目属性")
    project_period: str | None = Field(description="项目期")
    funds: Funds
    overall_goals: list[str] = Field(description="总体/中期/长期 goals, one string per goal")
    annual_goals: list[str] = Field(description="年度 goals, one string per goal")
    indicators: list[Indicator] = Field(description="filled indicator slots in page order")


class Location(Strict):
    """A place in a source document: 1-based page (null for text files), box in unrotated page
    points (for an image file, the points of the image page PyMuPDF opens), the 1-based line of a
    text file, and the cell of a spreadsheet, web page or Word table.  Evidence, the sources of
    findings and groundings are all locations."""

    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None
    cell: str | None = Field(default=None, description=(
        "Spreadsheets, web pages and Word documents: the cell the value was read from, as sheet and "
        "address ('项目1!D12') or as table, row and column, 1-based ('表2 R5C3'); null for PDFs, "
        "images and text files"))


class Evidence(Location):
    """Where a value was read: 1-based page (null for text files), box in unrotated page points
    (for an image file, the points of the image page PyMuPDF opens), and the 1-based line of a
    text file."""

    confidence: float | None = Field(default=None, description=(
        "OCR only: the probability of the least sure character of the text the value was read from; "
        "null for a text layer, a text file, or an engine that gives none"))


class Provenance(Strict):
    source_file: str
    sha256: str
    pages: list[int] = Field(description="1-based pages the table spans; empty for text files")
    table_index: int = Field(description="0-based index of the table among those starting on its first page")
    backend: str
    tool_version: str


class FieldDiff(Strict):
    """A contract field where the model's and the rules' readings of one table differ."""

    field: str
    llm: str
    rules: str


class LLMInfo(Strict):
    """How a model produced (or failed to produce) a table; never holds a key or a header."""

    model: str
    base_url: str = Field(description="the endpoint, without any user:password part")
    structured_mode: str | None = Field(description="json_schema, tools, json_object or prompt")
    prompt_hash: str = Field(description="sha256 of the prompt templates and worked example used")
    status: Literal["ok", "failed"]
    cache_hit: bool
    calls: int = Field(description="HTTP requests made for this table (0 when served from the cache)")
    attempts: int = Field(description="answers asked for, re-asks included")
    prompt_tokens: int
    completion_tokens: int
    errors: list[str] = Field(description="why a table failed, or what was re-asked")
    disagreements: list[FieldDiff] = Field(description="fields where the rules extractor read otherwise")
    routed: str | None = Field(default=None, description="why the hybrid backend sent this table to the model "
                               "(the rules reading's doubts); null when every table goes to the model")


class ReadingQuality(Strict):
    """How much of its source text a rules reading accounted for (EXTRACT-01 when unsure)."""

    coverage: float = Field(description="share of the source's characters that are extracted values or known labels")
    unknown_labels: list[str] = Field(description="label-like text the extractor did not know")
    lost_values: list[str] = Field(description="numbers in the funds or indicator grid that reached no field")


class ExtractedTable(TableData):
    provenance: Provenance
    evidence: dict[str, Evidence] = Field(
        description="field path (e.g. 'indicators[0].value_text') -> where it was read"
    )
    notes: list[str] = Field(description="what the extractor dropped or was unsure of, for a person to check")
    llm: LLMInfo | None = Field(default=None, description="the model run behind this table, when one ran")
    reading: ReadingQuality | None = Field(default=None, description="the rules reading's coverage of its source, when it ran")

    def contract(self) -> TableData:
        return TableData.model_validate(self.model_dump(include=set(TableData.model_fields)))


# -- field paths ------------------------------------------------------------------------------
# Evidence and groundings are keyed by the path of the field they belong to, e.g. "title",
# "funds.total_own_level", "annual_goals[1]", "indicators[3].value_text".

_PATH_PART = re.compile(r"[a-z_0-9]+|\[\d+\]")


HEADER_LABELS = {"title": "表名", "project_name": "项目名称", "competent_department": "主管部门",
                 "implementing_unit": "实施单位", "project_attribute": "项目属性", "project_period": "项目期"}
FUND_LABELS = {"total_all_levels": "年度资金总额（含本级和市县）", "fiscal_all_levels": "财政拨款（含本级和市县）",
               "other_all_levels": "其他资金（含本级和市县）", "total_own_level": "年度资金总额（含本级）",
               "fiscal_own_level": "财政拨款（含本级）", "other_own_level": "其他资金（含本级）"}


def field_label(path: str, table: TableData) -> str:
    """What a reviewer calls the field at a path: 项目名称, 年度资金总额（含本级）, 年度目标2, “…”的指标值."""
    parts = path_parts(path)
    if path in HEADER_LABELS:
        return HEADER_LABELS[path]
    if parts[0] == "funds" and len(parts) == 2 and parts[1] in FUND_LABELS:
        return FUND_LABELS[parts[1]]
    if parts[0] in ("overall_goals", "annual_goals") and len(parts) == 2:
        return ("总体目标" if parts[0] == "overall_goals" else "年度目标") + f"{parts[1] + 1}"
    i = indicator_index(path)
    if i is not None and i < len(table.indicators):
        return "三级指标" if path.endswith(".name") else f"“{table.indicators[i].name}”的指标值"
    return path


def indicator_path(i: int, field: str) -> str:
    return f"indicators[{i}].{field}"


def path_parts(path: str) -> list[str | int]:
    """'indicators[3].value_text' -> ['indicators', 3, 'value_text']."""
    return [int(p[1:-1]) if p.startswith("[") else p for p in _PATH_PART.findall(path)]


def indicator_index(path: str) -> int | None:
    """The indicator a path belongs to, or None for header, fund and goal fields."""
    parts = path_parts(path)
    return parts[1] if len(parts) > 1 and parts[0] == "indicators" and isinstance(parts[1], int) else None


def value_at(table: TableData, path: str) -> str:
    """The extracted value at a path, as text ('' when there is none)."""
    value = table
    for part in path_parts(path):
        try:
            value = value[part] if isinstance(part, int) else getattr(value, part, None)
        except IndexError:
            return ""
        if value is None:
            return ""
    return str(value)


SCHEMAS = {"table.schema.json": TableData, "extracted_table.schema.json": ExtractedTable}


def schema_text(model: type[BaseModel]) -> str:
    """The committed form of a model's JSON Schema (stable key order, UTF-8, trailing newline)."""
    return json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
