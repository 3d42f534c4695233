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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .extract import doubts
from .chunk import Chunk
from .findings import RULES, Finding, ReviewConfig, Source, TableFacts, make_finding
from .ground import Status, cell_of, locate, source_text, strings, where
from .models import ExtractedTable, Location, TableData, field_label, indicator_index, indicator_path, value_at
from .reading import table_ref
from .values import parse_amount, parse_value

_SLOT = re.compile(r"^\s*[*＊]?\s*指标\s*[0-9０-９]+\s*[：:]")  # an 指标N： slot of the template
_SLOT_FILLED = re.compile(_SLOT.pattern + r"\s*\S")


class Grounding(Location):
    """A value that is not found exactly in its source: what the source says where it is closest."""

    field: str  # e.g. "indicators[3].value_text"
    text: str
    status: Status
    source_text: str | None  # what the source says there (for fuzzy matches)


@dataclass
class Verification:
    groundings: list[Grounding] = field(default_factory=list)  # values not found exactly in the source
    findings: list[Finding] = field(default_factory=list)
    facts: TableFacts | None = None  # what the review rules may rely on (None: only what the table carries)

    def facts_json(self) -> dict | None:
        """The facts as stored in a run's manifest (a resumed run reviews with the same facts)."""
        from dataclasses import asdict

        return asdict(self.facts) if self.facts is not None else None

    @staticmethod
    def facts_from(data: dict | None) -> TableFacts | None:
        return TableFacts(**data) if data else None


# a number that starts with a bare point ('.95'): no table prints one (it writes 0.95), but OCR makes
# a point of a speck of dust before digits, and is sure of it; such a value is checked like an unsure one
_SPECK_POINT = re.compile(r"(?<![\d.])\.\d+")


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
    src = source_text(chunk) if chunk is not None else None  # made once: grounding and the facts read it
    if chunk is not None:
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
                                           field=field_label(key, table), text=text))
            elif status == "fuzzy":
                v.findings.append(_finding("GROUND-02", table, ref, indicator,
                                           [Source(text=seen, page=page, bbox=bbox, line=line, cell=cell)],
                                           field=field_label(key, table), text=text, source=seen))
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
    v.facts = _facts(table, chunk, unsure, config, src)
    for key, (conf, page, bbox, line) in unsure.items():
        if key == "title":  # the heading is no value a reviewer checks: an unsure title is no finding
            continue
        text = value_at(table, key)
        speck = _SPECK_POINT.search(text or "")
        if conf < config.ocr_min_confidence or speck:
            indicator = _indicator_name(table, key)
            v.findings.append(_finding("OCR-01", table, ref, indicator, [Source(text=text, page=page, bbox=bbox, line=line)],
                                       field=field_label(key, table), text=text, confidence=f"{conf:.0%}",
                                       speck=speck.group(0) if speck else ""))
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


# the unit of the amounts: a unit in the funds label ("项目资金（万元）", "单位：元") or printed after an amount
_FUNDS_UNIT = re.compile(r"[（(]\s*(?:单位[:：]?\s*)?(?:万元|元|亿元)\s*[)）]|单位[:：]\s*(?:万元|元|亿元)|"
                         r"(?:资金|金额|预算|拨款|总额|预算数)[^0-9]{0,12}?\d[\d,.]*\s*(?:万元|万|元|亿元)")
_NOT_LABEL = r"(?:(?!资金|年度|当年|本年)[^0-9])"
_MULTI_YEAR = re.compile(r"(?<![年度当本])(?:中期|项目期|实施期|项目)?资金总额" + _NOT_LABEL + r"{0,8}?([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿元|万元|万|元)?")
_CARRYOVER = re.compile(r"上年结转(?:资金)?" + _NOT_LABEL + r"{0,8}?([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿元|万元|万|元)?")


def _facts(table: ExtractedTable, chunk: Chunk | None, unsure: dict, config: ReviewConfig, src=None) -> TableFacts:
    """What the review rules may rely on: unsure fields (OCR, an unsure reading), whether the source prints the
    unit of its amounts, and the amounts the contract has no field for (multi-year total, 上年结转)."""
    from .review_rules import mark_unsure

    facts = TableFacts(has_source=chunk is not None, ocr=any(conf is not None for conf, *_ in unsure.values()))
    for key, (conf, *_rest) in unsure.items():
        if key != "title" and conf < config.ocr_min_confidence:
            facts.unsure[key] = "reading_unsure"
    mark_unsure(facts, table, config)
    if chunk is not None:
        text = (src or source_text(chunk)).text
        facts.funds_unit_known = bool(_FUNDS_UNIT.search(text))
        unit = next((u for u in ("万元", "亿元", "元") if re.search(r"[（(]\s*(?:单位[:：]?\s*)?" + u, text)), "万元")
        for attr, pattern in (("multi_year_total", _MULTI_YEAR), ("carryover", _CARRYOVER)):
            amounts = [parse_amount(m.group(1) + (m.group(2) or ""), unit) for m in pattern.finditer(text)]
            amounts = [a for a in amounts if a is not None]
            if len(set(amounts)) == 1:  # one amount, however often repeated: else it is not clear which
                setattr(facts, attr, amounts[0])
    return facts


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
    outcomes: dict[str, dict] = field(default_factory=dict)  # rule -> {"outcome": OUTCOMES, "reasons": [...]}
    score: int | None = None  # findings.table_score

    def summary(self) -> dict:
        """checked N (passed + failed), not applicable M, could not check K (why), errors."""
        return outcome_summary(self.outcomes)


def outcome_summary(outcomes: dict[str, dict]) -> dict:
    count = {o: 0 for o in ("passed", "failed", "not_applicable", "could_not_check", "error")}
    why: dict[str, int] = {}
    for o in outcomes.values():
        count[o["outcome"]] += 1
        if o["outcome"] == "could_not_check":
            for r in o["reasons"]:
                label = r.split("：")[0]
                why[label] = why.get(label, 0) + 1
    unchecked = [r for r, o in outcomes.items() if o["outcome"] == "could_not_check"]
    return {"checked": count["passed"] + count["failed"], **count, "could_not_check_rules": unchecked,
            "why": why, "text": (f"已核查{count['passed'] + count['failed']}项规则，不适用{count['not_applicable']}项，"
                                 f"无法核查{count['could_not_check']}项"
                                 + (f"（{'、'.join(f'{k}{v}' for k, v in why.items())}）" if why else "")
                                 + (f"，运行出错{count['error']}项" if count["error"] else ""))}


_VERIFY_RULES = ("GROUND-01", "GROUND-02", "COUNT-01", "PARSE-01", "DIFF-01", "OCR-01", "OCR-02", "EXTRACT-01",
                 "SRC-01")


def _verification_outcomes(t: ExtractedTable, v: Verification) -> dict[str, dict]:
    fired = {f.rule for f in v.findings}
    facts = v.facts or TableFacts()
    applies = {"GROUND-01": facts.has_source, "GROUND-02": facts.has_source, "COUNT-01": facts.has_source,
               "PARSE-01": bool(t.indicators), "DIFF-01": t.llm is not None and t.llm.status == "ok",
               "OCR-01": facts.ocr, "OCR-02": facts.ocr, "EXTRACT-01": t.reading is not None, "SRC-01": True}
    return {r: {"outcome": "failed" if r in fired else ("passed" if applies[r] else "not_applicable"), "reasons": []}
            for r in _VERIFY_RULES}


def conclude_stream(verified: Callable[[], Iterable[tuple[str, ExtractedTable, Verification]]],
                    config: ReviewConfig) -> Iterator[Checked]:
    """The review rules (batch rules included) over verified tables, each table's outcomes and grade.

    `verified()` gives (ref, table, verification) in order and is called twice: once to index every
    table for the batch rules (review_rules.BatchIndex, on disk), once to review each table and yield
    it, so a run of any size is never held whole.  A table whose source is damaged (SRC-01) gets no
    完整性 comments: what is missing was lost with the source, not left out by the department."""
    from .findings import held_severities, suggested_grade, table_score
    from .review_rules import batch_index, facts_of, review_table

    index, frequent, error = batch_index((t for _ref, t, _v in verified()), config)
    with index:
        for k, (ref, t, v) in enumerate(verified()):
            found, outcomes = review_table(ref, t, config, frequent, v.facts or facts_of(t, config), index.emitted(k),
                                           error, index.count)
            findings = list(v.findings) + found
            rules = {**_verification_outcomes(t, v), **outcomes}
            if any(f.rule == "SRC-01" for f in findings):
                for f in findings:
                    if f.dimension == "完整性":
                        rules[f.rule] = {"outcome": "could_not_check", "reasons": ["原件损坏"]}
                findings = [f for f in findings if f.dimension != "完整性"]
            rules.update({r: {"outcome": "not_applicable", "reasons": []} for r in RULES if r not in rules})  # AI-*: no model
            held = held_severities(rules)
            yield Checked(ref, t, v.groundings, findings, suggested_grade(findings, config, held),
                          {r: rules[r] for r in RULES}, table_score(findings, config, held))


def conclude(verified: list[tuple[str, ExtractedTable, Verification]], config: ReviewConfig) -> list[Checked]:
    """conclude_stream over a batch held in memory."""
    return list(conclude_stream(lambda: verified, config))


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
