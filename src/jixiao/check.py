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

from .extract import doubts
from .chunk import Chunk
from .findings import Finding, ReviewConfig, Source, make_finding
from .ground import Status, cell_of, locate, source_text, strings, where
from .models import ExtractedTable, Location, TableData, indicator_index, indicator_path, value_at
from .values import parse_value

_SLOT = re.compile(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:]")  # an 指标N： slot of the template
_SLOT_FILLED = re.compile(_SLOT.pattern + r"\s*\S")


class Grounding(Location):
    """A value that is not found exactly in its source: what the source says where it is closest."""

    field: str  # e.g. "indicators[3].value_text"
    text: str
    status: Status
    source_text: str | None  # what the source says there (for fuzzy matches)


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
    i = indicator_index(key)
    if i is not None:
        return "三级指标" if key.endswith(".name") else f"“{table.indicators[i].name}”的指标值"
    return key


@dataclass
class Verification:
    groundings: list[Grounding] = field(default_factory=list)  # values not found exactly in the source
    findings: list[Finding] = field(default_factory=list)


def _finding(rule: str, table: ExtractedTable, ref: str, indicator: str | None, sources: list[Source], **ctx) -> Finding:
    return make_finding(rule, table.project_name, ref, indicator, sources, **ctx)


def _indicator_name(table: TableData, key: str) -> str | None:
    i = indicator_index(key)
    return table.indicators[i].name if i is not None else None


def verify(table: ExtractedTable, ref: str, chunk: Chunk | None, config: ReviewConfig,
           rules: list[TableData] | None = None) -> Verification:
    """Cross-verify one table against its source chunk and the rules reading of that chunk.

    `rules` is what the rules reader read from the same chunk (one table per project it found),
    None when it is not at hand.  A rules-backend table is its own rules reading.
    """
    v = Verification()
    # values read by OCR: (least sure character, page, box, line) for each field
    unsure = {k: (e.confidence, e.page, e.bbox, e.line) for k, e in table.evidence.items() if e.confidence is not None}
    if (r := table.reading) is not None and doubts(r):
        # the reading did not account for its source: everything below rests on it
        v.findings.insert(0, make_finding(
            "EXTRACT-01", table.project_name, ref, None,
            [Source(text=x, page=None, bbox=None, line=None) for x in r.lost_values + r.unknown_labels],
            severity="错误" if r.lost_values else "警告",
            coverage=f"{r.coverage:.0%}", unknown="、".join(r.unknown_labels), lost="、".join(r.lost_values)))
    if chunk is not None:
        src = source_text(chunk)
        for key, text in strings(table):
            status, start, end = locate(src, text, config.fuzzy_threshold)
            page, bbox, line, conf = where(src, start, end) if end > start else (None, None, None, None)
            cell = cell_of(src, start, end) if end > start else None
            if conf is not None:  # the value's own characters, more precise than its cell's
                unsure[key] = (conf, page, bbox, line)
            seen = src.text[start:end] if status == "fuzzy" else None
            if status != "exact":  # exact ones are in the table's evidence already: keep what needs a look
                v.groundings.append(Grounding(field=key, text=text, status=status, source_text=seen,
                                              page=page, bbox=bbox, line=line, cell=cell))
            indicator = _indicator_name(table, key)
            if status == "not_found":
                v.findings.append(_finding("GROUND-01", table, ref, indicator,
                                           [Source(text=text, page=None, bbox=None, line=None)],
                                           field=_label(key, table), text=text))
            elif status == "fuzzy":
                v.findings.append(_finding("GROUND-02", table, ref, indicator,
                                           [Source(text=seen, page=page, bbox=bbox, line=line, cell=cell)],
                                           field=_label(key, table), text=text, source=seen))
        ocr_lines = [ln.conf for r in chunk.rows if r.ocr for c in r.cells for ln in c.lines if ln.conf is not None]
        low = sum(conf < config.ocr_min_confidence for conf in ocr_lines)
        if ocr_lines and low >= config.ocr_poor_share * len(ocr_lines):
            # a scan too poor to read (too low a resolution, heavy blur): no single value can be
            # trusted, and values may be missing altogether
            v.findings.append(_finding("OCR-02", table, ref, None, [], lines=len(ocr_lines), low=low,
                                       confidence=f"{config.ocr_min_confidence:.0%}"))
        expected = _filled_count(chunk, table, rules)
        if expected is not None and expected != len(table.indicators):
            v.findings.append(_finding("COUNT-01", table, ref, None, [], extracted=len(table.indicators), source=expected))
    for key, (conf, page, bbox, line) in unsure.items():
        if conf < config.ocr_min_confidence:
            text = value_at(table, key)
            indicator = _indicator_name(table, key)
            v.findings.append(_finding("OCR-01", table, ref, indicator, [Source(text=text, page=page, bbox=bbox, line=line)],
                                       field=_label(key, table), text=text, confidence=f"{conf:.0%}"))
    own = table.provenance.backend == "rules"
    second = table if own else (rules[0] if rules and len(rules) == 1 else None)
    reference = {i.name: i for i in second.indicators} if second is not None else {}
    for i, ind in enumerate(table.indicators):
        derived = parse_value(ind.value_text)
        ref_ind = reference.get(ind.name)
        if ref_ind is not None and ref_ind.value_text == ind.value_text:
            # the second extraction read separate 指标性质/度量单位 columns where the table has them
            derived = (ref_ind.operator, ref_ind.value, ref_ind.unit)
        got = (ind.operator, ind.value, ind.unit)
        if tuple(derived) != got:
            ev = table.evidence.get(indicator_path(i, "value_text"))
            v.findings.append(_finding(
                "PARSE-01", table, ref, ind.name,
                [Source(text=ind.value_text or "", page=ev.page if ev else None, bbox=ev.bbox if ev else None,
                        line=ev.line if ev else None, cell=ev.cell if ev else None)],
                name=ind.name, value_text=ind.value_text or "", extracted=_triple(got), derived=_triple(tuple(derived))))
    # the model's disagreements with the rules reading were found once, when the table was read
    if table.llm is not None and table.llm.status == "ok":
        for d in table.llm.disagreements:
            v.findings.append(_finding("DIFF-01", table, ref, None, [], field=d.field, rules=d.rules, model=d.llm))
    return v


def _triple(t: tuple) -> str:
    op, value, unit = t
    return "、".join(str(x) if x is not None else "空" for x in (op, value, unit))


def _filled_count(chunk: Chunk, table: ExtractedTable, rules: list[TableData] | None) -> int | None:
    """Filled 指标N： slots in the source; for tables without slots, the rules reader's rows (which a
    rules-backend table is itself, so there is nothing to count then)."""
    slots = [c for r in chunk.rows for c in r.cells if _SLOT.match(c.text)]
    if slots:
        return sum(1 for c in slots if _SLOT_FILLED.match(c.text))
    if table.provenance.backend == "rules" or not rules or len(rules) != 1:
        return None
    return len(rules[0].indicators)


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


def check(items: list[tuple[ExtractedTable, Chunk | None, list[TableData] | None]],
          config: ReviewConfig | None = None) -> list[Checked]:
    """Check a batch: (table, its source chunk or None, the rules reading of that chunk or None) each."""
    config = config or ReviewConfig()
    per_file: dict[str, int] = {}
    verified = []
    for t, chunk, second in items:
        n = per_file.get(t.provenance.source_file, 0)
        per_file[t.provenance.source_file] = n + 1
        ref = table_ref(t, n)
        verified.append((ref, t, verify(t, ref, chunk, config, second)))
    return conclude(verified, config)
