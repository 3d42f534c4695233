"""Check: cross-verify an extracted table against its source, whoever extracted it.

- grounding: every extracted string is located in the chunk's text (NFKC, whitespace removed;
  exact first, then a character-level fuzzy match), with its page and box;
- the number of indicators against the filled slots or rows of the source;
- operator/value/unit re-derived from value_text with the project's own parser;
- field-by-field differences between two extractions (the model's and the rules'), where both ran.
The review rules (review_rules.py) then judge the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from . import extract_rules
from .chunk import Chunk
from .findings import RULES, Finding, ReviewConfig, Source, comment
from .diff import diff_tables
from .ground import Status, locate, source_text, strings, where
from .models import ExtractedTable, TableData
from .values import parse_value

_SLOT_FILLED = re.compile(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:]\s*\S")


class Grounding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str  # e.g. "indicators[3].value_text"
    text: str
    status: Status
    source_text: str | None  # what the source says there (for fuzzy matches)
    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None


_LABELS = {"title": "表名", "project_name": "项目名称", "competent_department": "主管部门", "implementing_unit": "实施单位",
           "project_attribute": "项目属性", "project_period": "项目期"}
_FUNDS = {"total": "年度资金总额", "fiscal": "财政拨款", "other": "其他资金"}


def _label(key: str, table: TableData) -> str:
    if key in _LABELS:
        return _LABELS[key]
    if m := re.match(r"funds\.(total|fiscal|other)_(all_levels|own_level)", key):
        return _FUNDS[m.group(1)] + ("（含本级和市县）" if m.group(2) == "all_levels" else "（含本级）")
    if m := re.match(r"(overall|annual)_goals\[(\d+)\]", key):
        return ("总体目标" if m.group(1) == "overall" else "年度目标") + f"{int(m.group(2)) + 1}"
    if m := re.match(r"indicators\[(\d+)\]\.(name|value_text)", key):
        ind = table.indicators[int(m.group(1))]
        return "三级指标" if m.group(2) == "name" else f"“{ind.name}”的指标值"
    return key


@dataclass
class Verification:
    groundings: list[Grounding] = field(default_factory=list)  # values not found exactly in the source
    findings: list[Finding] = field(default_factory=list)


def _finding(rule: str, table: ExtractedTable, ref: str, indicator: str | None, sources: list[Source], **ctx) -> Finding:
    meta = RULES[rule]
    return Finding(rule=rule, dimension=meta.dimension, severity=meta.severity, table=table.project_name,
                   table_ref=ref, indicator=None if meta.table_level else indicator,
                   message=comment(rule, **ctx), evidence=sources, basis=meta.basis)


def verify(table: ExtractedTable, ref: str, chunk: Chunk | None, config: ReviewConfig,
           second: TableData | None = None) -> Verification:
    """Cross-verify one table against its source chunk (and a second extraction, if any)."""
    v = Verification()
    # values read by OCR: (least sure character, page, box, line) for each field
    unsure = {k: (e.confidence, e.page, e.bbox, e.line) for k, e in table.evidence.items() if e.confidence is not None}
    if chunk is not None:
        src = source_text(chunk)
        for key, text in strings(table):
            status, start, end = locate(src, text, config.fuzzy_threshold)
            page, bbox, line, conf = where(src, start, end) if end > start else (None, None, None, None)
            if conf is not None:  # the value's own characters, more precise than its cell's
                unsure[key] = (conf, page, bbox, line)
            seen = src.text[start:end] if status == "fuzzy" else None
            if status != "exact":  # exact ones are in the table's evidence already: keep what needs a look
                v.groundings.append(Grounding(field=key, text=text, status=status, source_text=seen,
                                              page=page, bbox=bbox, line=line))
            indicator = table.indicators[int(re.match(r"indicators\[(\d+)\]", key).group(1))].name \
                if key.startswith("indicators[") else None
            if status == "not_found":
                v.findings.append(_finding("GROUND-01", table, ref, indicator,
                                           [Source(text=text, page=None, bbox=None, line=None)],
                                           field=_label(key, table), text=text))
            elif status == "fuzzy":
                v.findings.append(_finding("GROUND-02", table, ref, indicator,
                                           [Source(text=seen, page=page, bbox=bbox, line=line)],
                                           field=_label(key, table), text=text, source=seen))
        ocr_lines = [ln.conf for r in chunk.rows if r.ocr for c in r.cells for ln in c.lines if ln.conf is not None]
        low = sum(conf < config.ocr_min_confidence for conf in ocr_lines)
        if ocr_lines and low >= config.ocr_poor_share * len(ocr_lines):
            # a scan too poor to read (too low a resolution, heavy blur): no single value can be
            # trusted, and values may be missing altogether
            v.findings.append(_finding("OCR-02", table, ref, None, [], lines=len(ocr_lines), low=low,
                                       confidence=f"{config.ocr_min_confidence:.0%}"))
        expected = _filled_count(chunk)
        if expected is not None and expected != len(table.indicators):
            v.findings.append(_finding("COUNT-01", table, ref, None, [], extracted=len(table.indicators), source=expected))
    for key, (conf, page, bbox, line) in unsure.items():
        if conf < config.ocr_min_confidence:
            text = _value_at(table, key)
            indicator = table.indicators[int(re.match(r"indicators\[(\d+)\]", key).group(1))].name \
                if key.startswith("indicators[") else None
            v.findings.append(_finding("OCR-01", table, ref, indicator, [Source(text=text, page=page, bbox=bbox, line=line)],
                                       field=_label(key, table), text=text, confidence=f"{conf:.0%}"))
    if second is table:  # the rules backend: its own second opinion, nothing to compare twice
        second, reference = None, {i.name: i for i in table.indicators}
    else:
        reference = {i.name: i for i in second.indicators} if second is not None else {}
    for i, ind in enumerate(table.indicators):
        derived = parse_value(ind.value_text)
        ref_ind = reference.get(ind.name)
        if ref_ind is not None and ref_ind.value_text == ind.value_text:
            # the second extraction read separate 指标性质/度量单位 columns where the table has them
            derived = (ref_ind.operator, ref_ind.value, ref_ind.unit)
        got = (ind.operator, ind.value, ind.unit)
        if tuple(derived) != got:
            ev = table.evidence.get(f"indicators[{i}].value_text")
            v.findings.append(_finding(
                "PARSE-01", table, ref, ind.name,
                [Source(text=ind.value_text or "", page=ev.page if ev else None, bbox=ev.bbox if ev else None,
                        line=ev.line if ev else None, cell=ev.cell if ev else None)],
                name=ind.name, value_text=ind.value_text or "", extracted=_triple(got), derived=_triple(tuple(derived))))
    if second is not None:
        for path, mine, theirs in diff_tables(second, table):
            v.findings.append(_finding("DIFF-01", table, ref, None, [], field=path, rules=theirs, model=mine))
    return v


def _value_at(table: TableData, key: str) -> str:
    """The extracted value at an evidence key such as 'funds.total_own_level' or 'indicators[2].name'."""
    value = table
    for part in re.findall(r"[a-z_]+|\[\d+\]", key):
        value = value[int(part[1:-1])] if part.startswith("[") else getattr(value, part, None)
        if value is None:
            return ""
    return str(value)


def _triple(t: tuple) -> str:
    op, value, unit = t
    return "、".join(str(x) if x is not None else "空" for x in (op, value, unit))


def _filled_count(chunk: Chunk) -> int | None:
    """Filled 指标N： slots in the source; for tables without slots, the rules extractor's rows."""
    slots = [c for r in chunk.rows for c in r.cells if re.match(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:]", c.text)]
    if slots:
        return sum(1 for c in slots if _SLOT_FILLED.match(c.text))
    results = extract_rules.extract(chunk)
    return len(results[0].table.indicators) if len(results) == 1 else None


@dataclass
class Checked:
    """One table after checking: its findings (verification and review rules) and groundings."""

    ref: str
    table: ExtractedTable
    groundings: list[Grounding]
    findings: list[Finding]
    grade: str


def table_ref(table: ExtractedTable, n: int) -> str:
    """A table's name within a run: its file and its place in that file (stable across resumes)."""
    return f"{table.provenance.source_file}#{n}"


def conclude(verified: list[tuple[str, ExtractedTable, Verification]], config: ReviewConfig) -> list[Checked]:
    """The review rules (batch rules included) over verified tables, and each table's grade."""
    from .findings import suggested_grade
    from .review_rules import review

    by_ref: dict[str, list[Finding]] = {ref: list(v.findings) for ref, _t, v in verified}
    for f in review([(ref, t) for ref, t, _v in verified], config):
        by_ref[f.table_ref].append(f)
    return [Checked(ref, t, v.groundings, by_ref[ref], suggested_grade(by_ref[ref], config)) for ref, t, v in verified]


def check(items: list[tuple[ExtractedTable, Chunk | None, TableData | None]],
          config: ReviewConfig | None = None) -> list[Checked]:
    """Check a batch: (table, its source chunk or None, a second extraction or None) each.

    The rules extractor's own output is its own second opinion, so a rules-only run compares
    nothing twice; a model's output is compared with the rules reading of the same chunk.
    """
    config = config or ReviewConfig()
    per_file: dict[str, int] = {}
    verified = []
    for t, chunk, second in items:
        n = per_file.get(t.provenance.source_file, 0)
        per_file[t.provenance.source_file] = n + 1
        ref = table_ref(t, n)
        verified.append((ref, t, verify(t, ref, chunk, config, second if second is not None else t)))
    return conclude(verified, config)
