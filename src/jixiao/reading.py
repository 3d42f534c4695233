"""What was read of one file, as the batch runner hands it on: its outcome (FileOutcome), its tables
and verifications as the very text they are written out as (FileRead, packing), and the marks a
damaged source leaves on them.  Apart from batch.py so that a --jobs process reading part of a PDF
imports what it uses, no more (the checker and the comment templates only where it verifies)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .jsonlist import dumps
from .models import ExtractedTable

if TYPE_CHECKING:
    from .check import Verification
    from .findings import Finding

DAMAGE_NOTE = "原件损坏："  # the note a table gets when its source is damaged (SRC-01 rests on it)


@dataclass
class FileOutcome:
    path: Path
    output: str | None = None
    tables: list[ExtractedTable] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    resumed: bool = False
    warnings: list[str] = field(default_factory=list)  # further lines for the console (damage, duplicates)
    count: int = 0  # tables read (run_batch keeps no tables in memory once a file is written)
    sha: str = ""  # the content's sha256


def verification_json(v: Verification) -> str:
    """One verification as the manifest keeps it (one line)."""
    return json.dumps({"groundings": [g.model_dump(mode="json") for g in v.groundings],
                       "findings": [f.model_dump(mode="json") for f in v.findings],
                       "facts": v.facts_json()}, ensure_ascii=False)


def table_ref(table: ExtractedTable, n: int) -> str:
    """A table's name within a run: its file and its place in that file (stable across resumes)."""
    return table_ref_of(table.provenance.source_file, n)


def table_ref_of(source_file: str, n: int) -> str:
    return f"{source_file}#{n}"


OnTable = Callable[[ExtractedTable, "Verification | None"], None]


# A table and its verification as the text they are written out as: the table as an item of its
# output list (jsonlist.dumps), the verification as its manifest line (verification_json).
Packed = tuple[str, "str | None"]
OnText = Callable[[str, "str | None"], None]


def packing(on_text: OnText) -> OnTable:
    """An OnTable handing each table and verification on as the text they are written out as."""
    return lambda t, v: on_text(*FileRead.pack(t, v))


@dataclass
class FileRead:
    """A file read elsewhere (another process, a Ray worker), sent back whole: its outcome and its
    tables with their verifications, in order.  The driver replays them into its output exactly as
    `read_one` hands them over on a local read, so the outputs are the same bytes.

    The tables travel and wait as the very text they are written out as (`pack`): the objects of a
    whole file's tables would hold several times the memory in the driver, and the driver only
    writes the text (its one process does the writing for every worker, so the encoding is done
    where the reading is)."""

    outcome: FileOutcome
    packed: list[Packed]

    @staticmethod
    def pack(t: ExtractedTable, v: Verification | None) -> Packed:
        return dumps(t.model_dump(mode="json")), None if v is None else verification_json(v)

    @staticmethod
    def unpack(p: Packed) -> tuple[ExtractedTable, Verification | None]:
        return ExtractedTable.model_validate_json(p[0]), None if p[1] is None else _verification(json.loads(p[1]))

    @property
    def tables(self) -> list[tuple[ExtractedTable, Verification | None]]:
        return [self.unpack(p) for p in self.packed]

    def replay(self, on_text: OnText) -> FileOutcome:
        for p in self.packed:
            on_text(*p)
        return self.outcome


def _verification(v: dict) -> Verification:
    from .check import Grounding, Verification
    from .findings import Finding

    return Verification([Grounding.model_validate(g) for g in v["groundings"]],
                        [Finding.model_validate(f) for f in v["findings"]], Verification.facts_from(v.get("facts")))


def _empty(table: ExtractedTable) -> bool:
    """A table whose cells were all read empty: a heading with nothing under it."""
    f = table.funds
    return (not table.indicators and not table.overall_goals and not table.annual_goals
            and all(getattr(f, k) is None for k in type(f).model_fields)
            and not any((table.project_name, table.competent_department, table.implementing_unit)))


def _mark_table(t: ExtractedTable, v: Verification | None, ref: str, damage: list[tuple[int | None, str]]) -> int:
    """Note on the table, and SRC-01 in its verification, when its source is damaged: 1 if newly marked."""
    if any(n.startswith(DAMAGE_NOTE) for n in t.notes):
        return 0
    reasons = [r for page, r in damage if page is None]
    reasons += [f"第{p}页内容无法解码（{r}）" for page, r in damage if page is not None for p in [page]
                if p in t.provenance.pages]
    if _empty(t):
        reasons.append("表格单元格全部为空")
    if not reasons:
        return 0
    reason = "；".join(dict.fromkeys(reasons))
    t.notes.append(DAMAGE_NOTE + reason)
    if v is not None:
        v.findings.insert(0, _damage_finding(t, ref, reason))
    return 1


def _say_damage(outcome: FileOutcome, damage: list[tuple[int | None, str]], marked: int) -> None:
    """The file's one warning line about damage."""
    whole = list(dict.fromkeys(r for page, r in damage if page is None))
    pages: dict[int, str] = {}
    for page, r in damage:
        if page is not None:
            pages.setdefault(page, r)
    if (whole or pages) and (outcome.count or not outcome.error):
        where = "; ".join(whole[:1] + [f"page {p}: {r}" for p, r in sorted(pages.items())][:3])
        outcome.warnings.append(f"damaged PDF ({where}): {marked} of {outcome.count} table(s) read may be "
                                "incomplete, and tables may be missing")
    elif marked:
        outcome.warnings.append(f"{marked} table(s) with every cell empty")


def _mark_damage(outcome: FileOutcome, damage: list[tuple[int | None, str]], verifying: bool) -> None:
    """Mark a file's tables read without a damage report (tests and callers holding the tables)."""
    marked = 0
    for n, t in enumerate(outcome.tables):
        v = outcome.verifications[n] if verifying and n < len(outcome.verifications) else None
        marked += _mark_table(t, v, table_ref(t, n), damage)
    outcome.count = outcome.count or len(outcome.tables)
    _say_damage(outcome, damage, marked)


def _damage_finding(table: ExtractedTable, ref: str, reason: str) -> Finding:
    from .findings import Source, make_finding

    return make_finding("SRC-01", table.project_name, ref, None, [Source(text=reason, page=None, bbox=None, line=None)],
                        reason=reason)
