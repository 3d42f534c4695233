"""A run's output folder as the workbench sees it: its projects (tables), their findings, and the
reviewer's decisions, notes and corrections laid over them.

A corrected value is stored beside the original reading (never over it); the table is checked
again at once with the checker's own functions, so findings that no longer apply close.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..check import verify
from ..findings import DIMENSIONS, SEVERITY_ORDER, Finding, ReviewConfig, suggested_grade
from ..models import FUND_LABELS, ExtractedTable
from ..values import parse_value
from .store import Store, finding_key, finding_slots

STATUSES = ("未审", "审核中", "已完成")
# checks that need the source text itself: kept as they were when a value is corrected, unless
# they rest on the corrected value
_SOURCE_RULES = {"GROUND-01", "GROUND-02", "COUNT-01", "OCR-02", "DIFF-01"}

_FIELD = re.compile(r"^(?:(title|project_name|competent_department|implementing_unit|project_attribute|project_period"
                    r"|year)|funds\.(%s)|(overall_goals|annual_goals)\[(\d+)\]|indicators\[(\d+)\]\.(name|value_text))$"
                    % "|".join(FUND_LABELS))


class CorrectionError(ValueError):
    pass


def field_value(table: ExtractedTable, key: str):
    m = _FIELD.match(key)
    if not m:
        raise CorrectionError(f"not a correctable field: {key}")
    if m.group(1):
        return getattr(table, m.group(1))
    if m.group(2):
        return getattr(table.funds, m.group(2))
    if m.group(3):
        items = getattr(table, m.group(3))
        n = int(m.group(4))
        if n >= len(items):
            raise CorrectionError(f"no such field: {key}")
        return items[n]
    n = int(m.group(5))
    if n >= len(table.indicators):
        raise CorrectionError(f"no such field: {key}")
    return getattr(table.indicators[n], m.group(6))


def apply_corrections(table: ExtractedTable, corrections: dict[str, str]) -> ExtractedTable:
    """A copy of the table with the reviewer's values in place (operator, value and unit re-derived)."""
    data = table.model_dump()
    for key, text in corrections.items():
        m = _FIELD.match(key)
        if not m:
            raise CorrectionError(f"not a correctable field: {key}")
        text = text.strip()
        if m.group(1) == "year":
            if not re.fullmatch(r"\d{4}", text):
                raise CorrectionError("年度应为四位数字")
            data["year"] = int(text)
        elif m.group(1):
            data[m.group(1)] = text or None
        elif m.group(2):
            try:
                number = float(text.replace(",", "").replace("万元", "")) if text else None
            except ValueError:
                raise CorrectionError("资金应为数字（万元）") from None
            data["funds"][m.group(2)] = int(number) if number is not None and number.is_integer() else number
        elif m.group(3):
            data[m.group(3)][int(m.group(4))] = text
        else:
            ind = data["indicators"][int(m.group(5))]
            ind[m.group(6)] = text or None
            if m.group(6) == "value_text":
                ind["operator"], ind["value"], ind["unit"] = parse_value(ind["value_text"])
        ev = data["evidence"].get(key)
        if ev is not None:  # the reviewer's reading: no OCR doubt about it any more
            ev["confidence"] = None
    return ExtractedTable.model_validate(data)


@dataclass
class FindingView:
    f: Finding
    key: str
    slot: str
    decision: dict | None = None  # the reviewer's decision on this very finding
    reopened: dict | None = None  # a decision on the same question whose evidence has changed

    @property
    def state(self) -> str:
        if self.decision:
            return self.decision["status"]
        return "reopened" if self.reopened else "open"

    @property
    def final_text(self) -> str:
        if self.decision and self.decision.get("text"):
            return self.decision["text"]
        return self.f.message


@dataclass
class ProjectView:
    idx: int
    ref: str
    original: ExtractedTable
    table: ExtractedTable  # with corrections
    findings: list[FindingView]
    closed: list[FindingView]  # raised on the original reading, gone after a correction
    corrections: dict[str, dict]
    note: dict | None
    done: bool
    grade: str
    counts: dict[str, int] = field(default_factory=dict)
    dims: dict[str, int] = field(default_factory=dict)

    @property
    def department(self) -> str:
        return self.table.competent_department or "（未识别主管部门）"

    @property
    def name(self) -> str:
        return self.table.project_name or "（未识别项目名称）"

    @property
    def status(self) -> str:
        if self.done:
            return "已完成"
        touched = any(v.decision for v in self.findings) or self.corrections or self.note
        return "审核中" if touched else "未审"

    @property
    def undecided(self) -> int:
        return sum(1 for v in self.findings if not v.decision)

    @property
    def reopened(self) -> int:
        return sum(1 for v in self.findings if v.state == "reopened")


def _extraction_files(folder: Path) -> list[Path]:
    """The run's extraction files, from its manifest when there is one, else every table list."""
    from ..manifest import MANIFEST

    manifest = folder / MANIFEST
    names: list[str] = []
    if manifest.is_file():
        try:
            db = sqlite3.connect(f"file:{manifest}?mode=ro", uri=True)
            try:
                names = [r[0] for r in db.execute("SELECT output FROM files WHERE output IS NOT NULL ORDER BY path")]
            finally:
                db.close()
        except sqlite3.Error:
            names = []
    if not names:
        names = sorted(p.name for p in folder.glob("*.json") if p.name != "findings.json")
    return [folder / n for n in names if (folder / n).is_file()]


class RunView:
    """The folder's tables and findings (read once, again when findings.json changes) plus the store."""

    def __init__(self, folder: Path, reviewer: str | None = None, config: ReviewConfig | None = None):
        self.folder = Path(folder)
        if not (self.folder / "findings.json").is_file():
            raise FileNotFoundError(f"{self.folder} is not the output folder of `jixiao run` (no findings.json)")
        self.store = Store(self.folder, reviewer)
        self.config = config or ReviewConfig()
        self._lock = threading.Lock()
        self._stamp = None
        self._recheck_cache: dict[tuple, list[Finding]] = {}
        self._load()

    # -- the run --------------------------------------------------------------------------------
    def _load(self) -> None:
        stamp = (self.folder / "findings.json").stat().st_mtime_ns
        with self._lock:
            if stamp == self._stamp:
                return
            tables: list[tuple[str, ExtractedTable]] = []
            for path in _extraction_files(self.folder):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    items = [ExtractedTable.model_validate(t) for t in (data if isinstance(data, list) else [data])]
                except Exception:  # not an extraction (an export, a stray file)
                    continue
                for n, t in enumerate(items):
                    tables.append((f"{t.provenance.source_file}#{n}", t))
            data = json.loads((self.folder / "findings.json").read_text(encoding="utf-8"))
            # {"findings": [...], "tables": [...]}; a plain list in runs of earlier versions
            findings = [Finding.model_validate(f) for f in (data["findings"] if isinstance(data, dict) else data)]
            by_ref: dict[str, list[Finding]] = {}
            for f in findings:
                by_ref.setdefault(f.table_ref, []).append(f)
            self.tables = tables
            self.index = {ref: i for i, (ref, _t) in enumerate(tables)}
            self.findings = by_ref
            self._recheck_cache = {}
            self._stamp = stamp

    def refresh(self) -> None:
        self._load()

    # -- one project ------------------------------------------------------------------------------
    def _current_findings(self, ref: str, table: ExtractedTable, corrected: ExtractedTable,
                          corrections: dict[str, dict]) -> list[Finding]:
        original = self.findings.get(ref, [])
        if not corrections:
            return original
        sig = (ref, tuple(sorted((k, c["value"]) for k, c in corrections.items())))
        if sig in self._recheck_cache:
            return self._recheck_cache[sig]
        from ..review_rules import review

        # values the reviewer replaced: findings of the source checks that rest on them go
        replaced = {str(field_value(table, k)) for k in corrections if field_value(table, k) is not None}
        kept = [f for f in original if f.rule in _SOURCE_RULES
                and not any(s.text in replaced for s in f.evidence)]
        fresh = verify(corrected, ref, None, self.config).findings
        others = [(r, t) for r, t in self.tables]
        others[self.index[ref]] = (ref, corrected)
        fresh += [f for f in review(others, self.config) if f.table_ref == ref]
        result = kept + fresh
        self._recheck_cache[sig] = result
        return result

    def project(self, idx: int, snap: dict | None = None) -> ProjectView:
        self._load()
        snap = snap if snap is not None else self.store.snapshot()
        ref, table = self.tables[idx]
        corrections = snap["corrections"].get(ref, {})
        corrected = apply_corrections(table, {k: c["value"] for k, c in corrections.items()}) if corrections else table
        current = self._current_findings(ref, table, corrected, corrections)
        views = self._views(current, snap)
        closed = []
        if corrections:
            now = {v.key for v in views}
            closed = [v for v in self._views(self.findings.get(ref, []), snap) if v.key not in now]
        views.sort(key=lambda v: SEVERITY_ORDER[v.f.severity])
        p = ProjectView(idx, ref, table, corrected, views, closed, corrections, snap["notes"].get(ref),
                        bool(snap["projects"].get(ref, {}).get("done")),
                        suggested_grade([v.f for v in views], self.config))
        p.counts = {s: sum(v.f.severity == s for v in views) for s in SEVERITY_ORDER}
        p.dims = {d: sum(v.f.dimension == d for v in views) for d in DIMENSIONS}
        return p

    @staticmethod
    def _views(findings: list[Finding], snap: dict) -> list[FindingView]:
        out = []
        for f, slot in zip(findings, finding_slots(findings)):
            key = finding_key(f)
            v = FindingView(f, key, slot, snap["decisions"].get(key))
            if v.decision is None and (old := snap["by_slot"].get(slot)) is not None and old["fkey"] != key:
                v.reopened = old
            out.append(v)
        return out

    def projects(self) -> list[ProjectView]:
        self._load()
        snap = self.store.snapshot()
        return [self.project(i, snap) for i in range(len(self.tables))]

    def summary(self) -> dict:
        projects = self.projects()
        snap = self.store.snapshot()
        live = {v.key for p in projects for v in p.findings}
        decided = sum(1 for p in projects for v in p.findings if v.decision)
        reopened = sum(p.reopened for p in projects)
        reopened_slots = {v.reopened["fkey"] for p in projects for v in p.findings if v.reopened}
        gone = sum(1 for k in snap["decisions"] if k not in live and k not in reopened_slots)
        return {"decided": decided, "reopened": reopened, "gone": gone}
