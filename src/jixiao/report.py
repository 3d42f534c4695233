"""Report: one run's checked tables as findings.json, review.md, review.xlsx and review.html."""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import jinja2
from markupsafe import Markup

from .check import Checked
from .findings import DIMENSIONS, SEVERITY_ORDER, Finding, conclusion, severity_counts, sort_key
from .fileio import temp_path
from .jsonlist import JsonListWriter, alike, json_list
from .models import indicator_path
from .report_grid import source_grids

# What one cell of a document may contribute to a report: a 54 MB line must not become a 648 MB
# findings.json (it is quoted by every finding that cites it).  The rest is cut with a marker.
CELL_CAP = 2000
# A run of more projects than this gets review.html and review.md as an index page plus one page
# for every PART_SIZE projects (review-p001.html, ...): each page stays small enough to open.
PART_SIZE = 200


def cap(value):
    """A document's string as a report shows it: at most CELL_CAP characters, cut with a marker."""
    if isinstance(value, str) and len(value) > CELL_CAP and not isinstance(value, Markup) \
            and not value.startswith("data:image/"):
        return value[:CELL_CAP] + f"…［已截断：原文共{len(value)}字］"
    return value


_MD_SPECIAL = re.compile(r"[\\|<>&`\r\n]")
_MD_ESCAPES = {"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;", "`": "\\`", "\r": " ", "\n": " "}


def md_text(value):
    """Text from a document as review.md shows it: table syntax (|), HTML and line breaks escaped,
    so a cell neither adds columns nor brings markup."""
    value = cap(value)
    if isinstance(value, str):
        return _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], value)
    return value


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("jixiao", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined, finalize=cap,
)
_md_env = jinja2.Environment(loader=jinja2.PackageLoader("jixiao", "templates"), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             finalize=md_text)


def merged_comments(findings: Iterable[Finding]) -> list[dict]:
    """One comment per indicator (and per table-level rule): messages joined, highest severity (§4.3)."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        key = ("ind", f.indicator) if f.indicator is not None else ("table", f.rule)
        groups[key].append(f)
    out = []
    for (_kind, _k), fs in groups.items():
        fs.sort(key=sort_key)
        out.append({"severity": fs[0].severity, "indicator": fs[0].indicator, "rules": [f.rule for f in fs],
                    "dimension": fs[0].dimension, "message": one_sentence(fs), "findings": fs,
                    "basis": "；".join(dict.fromkeys(f.basis for f in fs)),
                    "by_model": any(f.drafted_by == "model" for f in fs)})
    out.sort(key=lambda c: sort_key(c["findings"][0]))
    return out


def one_sentence(findings: list[Finding]) -> str:
    """Several comments on one indicator as one comment a reviewer would write: the first whole, the others
    without repeating the indicator's name, joined by “；”, one full stop at the end."""
    if len(findings) == 1:
        return findings[0].message
    name = findings[0].indicator
    parts = []
    for n, f in enumerate(findings):
        text = f.message.strip().rstrip("。")
        if n and name:
            text = re.sub(r"^[^“”。]{0,8}“" + re.escape(name) + "”", "该指标", text, count=1)
            if not text.startswith("该指标"):
                text = "此外，" + text
        parts.append(text.replace("。", "，"))
    return "；".join(parts) + "。"


def _by_dimension(findings: list[Finding]) -> list[tuple[str, list[dict]]]:
    return [(d, merged_comments([f for f in findings if f.dimension == d]))
            for d in DIMENSIONS if any(f.dimension == d for f in findings)]


def _capped(data):
    """A JSON-ready structure with every string capped (see CELL_CAP)."""
    if isinstance(data, str):
        return cap(data)
    if isinstance(data, dict):
        return {k: _capped(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_capped(v) for v in data]
    return data


class ReportSet:
    """Reports written under unique temporary names, moved into place together at the end (or
    not at all: on failure every temporary file is removed and the old reports stay)."""

    def __init__(self, out: Path):
        self.out = out
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)

    def target(self, name: str) -> Path:
        tmp = temp_path(self.out / name)
        self.pending.append((tmp, self.out / name))
        return tmp

    def write(self, name: str, parts: Iterable[str]) -> None:
        """Write a report (to the temporary file reserved for it by target(), else a new one)."""
        tmp = next((t for t, final in self.pending if final == self.out / name), None) or self.target(name)
        with open(tmp, "w", encoding="utf-8") as f:
            for part in parts:
                f.write(part)

    def __enter__(self) -> ReportSet:
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None:
            for tmp, _final in self.pending:
                tmp.unlink(missing_ok=True)
            return
        mask = os.umask(0)
        os.umask(mask)
        for tmp, _final in self.pending:
            os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; reports are ordinary files
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        for tmp, final in self.pending:
            os.replace(tmp, final)

    @property
    def paths(self) -> list[Path]:
        return [final for _tmp, final in self.pending]


_PART = re.compile(r"^review-p\d{3,}\.(html|md)$")


def _chunks(checked: Iterable[Checked], size: int) -> Iterator[list[Checked]]:
    part: list[Checked] = []
    for c in checked:
        part.append(c)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def write_reports(checked: Iterable[Checked], out: Path, images: bool = True, max_crops: int = 400) -> list[Path]:
    """findings.json, review.md, review.xlsx and review.html, as one set (see ReportSet).

    `checked` is a list, or anything with a length that can be iterated (a run's spill of checked
    tables).  It is read once, PART_SIZE tables at a time, and every report takes each part in turn:
    reading a table back costs more than writing it, and no report holds more than one part.  A run
    of more than PART_SIZE projects gets review.html and review.md as an index with one page per
    PART_SIZE projects beside them (the index is written last, from a few figures per project kept
    aside in a temporary file)."""
    out.mkdir(parents=True, exist_ok=True)
    split = len(checked) > PART_SIZE
    with ReportSet(out) as reports:
        run = _RunSummary(out)
        writers: list = []
        try:
            # the targets in this order: the list returned below keeps it
            writers.append(_FindingsJson(reports, out))
            writers.append(_Pages(reports, "md", split, run))
            # a large run's workbook on a process of its own, beside the other reports
            writers.append(_Xlsx(reports.target("review.xlsx"), run, apart=split))
            writers.append(_Pages(reports, "html", split, run, images, max_crops))
            parts = _chunks(checked, PART_SIZE) if split else iter([list(checked)])
            for k, part in enumerate(parts, 1):
                run.add(part, (k - 1) * PART_SIZE + 1)
                for w in writers:
                    w.add(k, part)
            for w in writers:
                w.close()
        except BaseException:
            for w in writers:  # their own temporary files (ReportSet removes the reports' own)
                w.abort()
            raise
        finally:
            run.close()
        written = list(reports.paths)
    keep = {p.name for p in written}
    for stale in out.iterdir():  # pages of an earlier, larger run
        if _PART.match(stale.name) and stale.name not in keep:
            stale.unlink(missing_ok=True)
    return [p for p in written if not _PART.match(p.name)]


class _RunSummary:
    """What the index pages and the ranking need of the whole run, gathered part by part: the
    header, the totals, each department's scores, and a row per project (in a temporary file)."""

    def __init__(self, folder: Path):
        import tempfile

        self.rows = tempfile.TemporaryFile("w+b", dir=folder)
        self.count = 0
        self.totals = dict.fromkeys(SEVERITY_ORDER, 0)
        self.departments: set[str] = set()
        self.years: set[str] = set()
        self.ranking = _Ranking()

    def add(self, part: list[Checked], first: int) -> None:
        lines = []
        for n, c in enumerate(part, first):
            t = c.table
            counts = severity_counts(c.findings)
            for s, v in counts.items():
                self.totals[s] += v
            if t.competent_department:
                self.departments.add(t.competent_department)
            if t.year:
                self.years.add(str(t.year))
            self.ranking.add(c, counts)
            lines.append(json.dumps({"n": n, "name": t.project_name or "（未识别项目名称）",
                                     "department": t.competent_department or "—", "total": t.funds.total_all_levels,
                                     "counts": counts, "grade": c.grade}, ensure_ascii=False))
        self.count += len(part)
        if lines:
            self.rows.write(("\n".join(lines) + "\n").encode())

    def index(self, ext: str) -> dict:
        """The index page of a split report: one row per project, linking to its page."""
        def rows():
            self.rows.flush()
            self.rows.seek(0)
            for line in self.rows:
                r = json.loads(line)
                yield {"n": r["n"], "page": f"review-p{(r['n'] - 1) // PART_SIZE + 1:03d}.{ext}", **r}

        count = self.count
        pages = [{"page": f"review-p{k + 1:03d}.{ext}", "first": k * PART_SIZE + 1, "last": min(count, (k + 1) * PART_SIZE)}
                 for k in range(-(-count // PART_SIZE))]
        return {"rows": rows(), "pages": pages, "totals": dict(self.totals),
                "header": _header(self.departments, self.years), "count": count}

    def close(self) -> None:
        self.rows.close()


class _FindingsJson:
    """findings.json, streamed: {"findings": [...], "tables": [...]}; the table summaries wait in a
    temporary file until the last finding is written.  Every string capped (CELL_CAP)."""

    def __init__(self, reports: ReportSet, folder: Path):
        import tempfile

        self.f = open(reports.target("findings.json"), "w", encoding="utf-8")
        self.tables = tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder)
        self.f.write('{"findings": ')
        self.found, self.summaries = JsonListWriter(), JsonListWriter()
        self.found.f, self.summaries.f = self.f, self.tables

    def add(self, _k: int, part: list[Checked]) -> None:
        for c in part:
            for f in c.findings:
                self.found.add_json(_finding_json(f))
            self.summaries.add(_capped(table_summary(c)))

    def close(self) -> None:
        import shutil

        self.found.close()
        self.f.write(', "tables": ')
        self.summaries.close()
        self.tables.seek(0)
        shutil.copyfileobj(self.tables, self.f)
        self.tables.close()
        self.f.write("}\n")
        self.f.close()

    def abort(self) -> None:
        self.tables.close()
        self.f.close()


def _finding_json(f: Finding) -> str:
    """A finding as findings.json writes it: `json.dumps(_capped(f.model_dump(mode="json")),
    ensure_ascii=False, indent=2)`, made by pydantic's serialiser (five times faster), which writes
    the same text except where a string needs capping (then the text is longer than CELL_CAP) or a
    float is written another way or is not finite (jsonlist.alike): those take the slow way."""
    text = f.model_dump_json(indent=2)
    if len(text) <= CELL_CAP and alike(text) and all(
            math.isfinite(x) for s in f.evidence if s.bbox for x in s.bbox):
        return text
    return json.dumps(_capped(f.model_dump(mode="json")), ensure_ascii=False, indent=2)


class _Pages:
    """review.md or review.html: one page for a small run; else a page per PART_SIZE projects as
    they come, and the index page (its name reserved now, so the set keeps its order) at the end."""

    def __init__(self, reports: ReportSet, ext: str, split: bool, run: _RunSummary, images: bool = True,
                 max_crops: int = 400):
        self.reports, self.ext, self.split, self.run = reports, ext, split, run
        self.images, self.budget = images, max_crops
        self.name = f"review.{ext}"
        reports.target(self.name)

    def _render(self, part: list[Checked], first: int) -> Iterable[str]:
        if self.ext == "md":
            return render_markdown_parts(part, first=first)
        parts = render_html_parts(part, self.images, self.budget, first=first)
        self.budget = max(0, self.budget - PART_SIZE)
        return parts

    def add(self, k: int, part: list[Checked]) -> None:
        if not self.split:
            self.reports.write(self.name, self._render(part, 1))
        else:
            self.reports.write(f"review-p{k:03d}.{self.ext}", self._render(part, (k - 1) * PART_SIZE + 1))

    def close(self) -> None:
        if self.split:
            env = _md_env if self.ext == "md" else _env
            self.reports.write(self.name, env.get_template(f"review_index.{self.ext}.j2").generate(**self.run.index(self.ext)))

    def abort(self) -> None:
        pass


def _context(checked: list[Checked], first: int = 1) -> dict:
    projects = []
    for n, c in enumerate(checked, first):
        by_indicator = defaultdict(list)
        for f in c.findings:
            if f.indicator is not None:
                by_indicator[f.indicator].append(f)
        projects.append({
            "n": n, "c": c, "t": c.table, "counts": severity_counts(c.findings), "dimensions": _by_dimension(c.findings),
            "indicator_comments": {k: merged_comments(v)[0] for k, v in by_indicator.items()},
            "table_comments": merged_comments([f for f in c.findings if f.indicator is None]),
            "ungrounded": [g for g in c.groundings if g.status != "exact"],
            "summary": c.summary(), "score": c.score,
        })
    return {"projects": projects, "totals": severity_counts([f for c in checked for f in c.findings]),
            "header": report_header(checked), "ranking": department_ranking(checked)}


# ---------------------------------------------------------------------------------------------
# Review content: findings.json with each table's rule outcomes, the ranking, the official 审核表


def table_summary(c: Checked) -> dict:
    """A table's entry in findings.json: its score, grade and the outcome of every rule."""
    return {"table_ref": c.ref, "table": c.table.project_name, "competent_department": c.table.competent_department,
            "source_file": c.table.provenance.source_file, "grade": c.grade, "conclusion": conclusion(c.grade),
            "score": c.score, "summary": {k: v for k, v in c.summary().items() if k != "text"},
            "summary_text": c.summary()["text"], "rules": c.outcomes}


def findings_document(checked: list[Checked]) -> dict:
    """findings.json as one object (for small runs and tests): every finding, and every table's summary."""
    return json.loads("".join(findings_json(checked)))


def findings_json(checked) -> Iterable[str]:
    """findings.json, streamed: {"findings": [...], "tables": [...]}, passing over the checked tables
    twice (they may be a spill file) and never holding them all; every string capped (CELL_CAP)."""
    yield '{"findings": '
    yield from json_list(_capped(f.model_dump(mode="json")) for c in checked for f in c.findings)
    yield ', "tables": '
    yield from json_list(_capped(table_summary(c)) for c in checked)
    yield "}\n"


def read_findings(path: Path) -> list[dict]:
    """The findings of a findings.json, in either form (this one, or the plain list of earlier versions)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["findings"] if isinstance(data, dict) else data


def department_ranking(checked: list[Checked]) -> list[dict]:
    """主管部门 ranked by the mean score of their tables (findings.table_score), best first."""
    ranking = _Ranking()
    for c in checked:
        ranking.add(c)
    return ranking.rows()


class _Ranking:
    """The ranking by 主管部门, summed table by table: a few figures per department, never the tables."""

    def __init__(self):
        self.groups: dict[str, dict] = {}

    def add(self, c: Checked, counts: dict[str, int] | None = None) -> None:
        g = self.groups.setdefault(c.table.competent_department or "（未识别主管部门）",
                                   {"tables": 0, "sum": 0, "scored": 0, "lowest": None, **dict.fromkeys(SEVERITY_ORDER, 0)})
        g["tables"] += 1
        if c.score is not None:
            g["sum"] += c.score
            g["scored"] += 1
            g["lowest"] = c.score if g["lowest"] is None else min(g["lowest"], c.score)
        for s, n in (counts or severity_counts(c.findings)).items():
            g[s] += n

    def rows(self) -> list[dict]:
        rows = [{"department": dept, "tables": g["tables"], "mean": round(g["sum"] / g["scored"], 1) if g["scored"] else None,
                 "lowest": g["lowest"], **{s: g[s] for s in SEVERITY_ORDER}} for dept, g in self.groups.items()]
        rows.sort(key=lambda r: (-(r["mean"] or 0), r["department"]))
        for n, r in enumerate(rows, 1):
            r["rank"] = n
        return rows


AUDIT_SECTIONS = ("总体目标", "产出指标", "效益指标", "满意度指标")
# table-level rules that speak about one section of the 审核表; the rest are 需补充完善事项
_SECTION_OF_RULE = {"GOAL": "总体目标", "REL-01": "总体目标", "REL-02": "总体目标", "COMP-03": "总体目标",
                    "AI-02": "总体目标", "COMP-04": "产出指标", "COMP-05": "效益指标", "COMP-06": "满意度指标"}


def audit_form(c: Checked) -> dict:
    """The official 审核表 of one project: 审核意见 under 总体目标 / 产出指标 / 效益指标 / 满意度指标, then
    需补充完善事项 and the 审核结论 (通过 / 修改后通过 / 不予通过, from the suggested grade)."""
    return {"project": c.table.project_name or "（未识别项目名称）", "department": c.table.competent_department,
            "source_file": c.table.provenance.source_file, "grade": c.grade, "score": c.score,
            "sections": audit_sections(c.table, c.findings), "conclusion": conclusion(c.grade)}


def audit_sections(table, findings: list[Finding], texts: dict[int, str] | None = None) -> dict[str, list[str]]:
    """The 审核表's sections of one table: section -> comments (one per indicator, merged into one sentence).

    `texts` (id of a finding -> its text) lets the Word export put a reviewer's edited comment in place of the
    drafted one."""
    levels = {ind.name: ind.level1 for ind in table.indicators}
    sections: dict[str, list[Finding]] = {s: [] for s in (*AUDIT_SECTIONS, "需补充完善事项")}
    for f in findings:
        section = None
        if f.indicator is not None:
            section = levels.get(f.indicator)
        else:
            section = _SECTION_OF_RULE.get(f.rule) or _SECTION_OF_RULE.get(f.rule.split("-")[0])
        sections[section if section in sections else "需补充完善事项"].append(f)
    if texts is not None:
        return {k: [texts.get(id(f), f.message) for f in v] for k, v in sections.items()}
    return {k: [m["message"] for m in merged_comments(v)] for k, v in sections.items()}


def report_header(checked: list[Checked]) -> dict[str, str]:
    """部门, 年度, 审核日期 and 审核人 for the head of review.md and review.html."""
    return _header({c.table.competent_department for c in checked if c.table.competent_department},
                   {str(c.table.year) for c in checked if c.table.year})


def _header(departments: set[str], years: set[str]) -> dict[str, str]:
    import datetime as dt
    import os

    from .workbench.store import default_reviewer

    depts, years = sorted(departments), sorted(years)
    today = dt.date.today()
    return {"部门": "、".join(depts[:5]) + (f"等{len(depts)}个部门" if len(depts) > 5 else "") or "—",
            "年度": "、".join(years) or "—", "审核日期": f"{today.year}年{today.month}月{today.day}日",
            "审核人": os.environ.get("JIXIAO_REVIEWER") or default_reviewer()}


def render_markdown(checked: list[Checked]) -> str:
    return "".join(render_markdown_parts(checked))


def render_markdown_parts(checked: list[Checked], first: int = 1) -> Iterable[str]:
    return _md_env.get_template("review.md.j2").generate(**_context(checked, first))


def render_html(checked: list[Checked], images: bool = True, max_crops: int = 400) -> str:
    return "".join(render_html_parts(checked, images, max_crops))


def render_html_parts(checked: list[Checked], images: bool = True, max_crops: int = 400, first: int = 1) -> Iterable[str]:
    ctx = _context(checked, first)
    crops = _crops(checked, max_crops) if images and max_crops > 0 else {}
    ctx["crop"] = lambda src, page, bbox: crops.get((src, page, tuple(bbox))) if bbox else None
    # cell and line sources (sheets, web pages, Word, text) show the source table itself instead
    grids = source_grids(checked, max_crops) if images and max_crops > 0 else {}
    ctx["grid"] = lambda src, ev: grids.get((src, getattr(ev, "cell", None) or f"line {ev.line}"), "")
    return _env.get_template("review.html.j2").generate(**ctx)


def _crops(checked: list[Checked], limit: int = 400) -> dict[tuple[str, int, tuple], str]:
    """Cropped page images with the value's box drawn, as data URIs, for every cited PDF box."""
    # only what a reviewer has to look at: values with findings, and values not found exactly
    wanted: dict[str, set] = defaultdict(set)
    for c in checked:
        src, t = c.table.provenance.source_file, c.table
        flagged = {f.indicator for f in c.findings if f.indicator is not None}
        keys = ["project_name"] + [indicator_path(i, k) for i, ind in enumerate(t.indicators) if ind.name in flagged
                                   for k in ("value_text", "name")]
        boxes = [t.evidence[k] for k in keys if k in t.evidence]
        boxes += [s for f in c.findings for s in f.evidence]
        boxes += [g for g in c.groundings if g.status != "exact"]
        for ev in boxes:
            if ev.page is not None and ev.bbox is not None and sum(map(len, wanted.values())) < limit:
                wanted[src].add((ev.page, tuple(ev.bbox)))
    crops = {}
    if wanted:
        from .readers._mupdf import pymupdf  # only when there are pages to crop: a run over text files never loads it

        zoom = pymupdf.Matrix(110 / 72, 110 / 72)  # 110 dpi
    for src, boxes in wanted.items():
        try:
            doc = pymupdf.open(src)
            if not doc.is_pdf:  # an image file: boxes are in the points of this same page, as a PDF
                with doc:
                    doc = pymupdf.open("pdf", doc.convert_to_pdf())
        except Exception:  # the source moved or cannot be opened: the report simply has no images
            continue
        with doc:
            shown = None  # (page number, its display list): a page's content is interpreted once for all its crops
            for page_no, bbox in sorted(boxes):
                if not 1 <= page_no <= doc.page_count:
                    continue
                page = doc[page_no - 1]
                if shown is None or shown[0] != page_no:
                    shown = page_no, page.get_displaylist()
                # boxes are in unrotated page coordinates; clipping uses the visible page
                box = pymupdf.Rect(bbox) * page.rotation_matrix
                # a strip of the page around the box, wide enough to show the row it sits in
                clip = pymupdf.Rect(page.rect.x0, box.y0 - 18, page.rect.x1, box.y1 + 18) & page.rect
                pix = shown[1].get_pixmap(matrix=zoom, clip=clip)
                _outline(pix, box * zoom)
                crops[(src, page_no, bbox)] = "data:image/png;base64," + base64.b64encode(_png(pix)).decode()
    return crops


def _png(pix) -> bytes:
    """A pixmap (gray or RGB, no alpha) as PNG, deflated at zlib's fastest level.  MuPDF's own
    writer (Pixmap.tobytes) deflates at the default level: measured on a crop, 1.7 ms against
    0.5 ms here for a file 7% larger, and a run writes up to max_crops of them."""
    import struct
    import zlib

    if pix.alpha or pix.n not in (1, 3):
        return pix.tobytes("png")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    samples, stride = pix.samples, pix.stride
    rows = b"".join(b"\x00" + samples[y * stride:(y + 1) * stride] for y in range(pix.h))  # filter type 0: none
    head = struct.pack(">IIBBBBB", pix.w, pix.h, 8, 2 if pix.n == 3 else 0, 0, 0, 0)  # 8 bits, RGB or gray
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


def _outline(pix, box, width: int = 2, color: tuple = (217, 0, 0)) -> None:
    """The value's box drawn in red on its crop, in the pixmap's own samples: the page is not
    touched, so each crop shows its own box only.  (Pixmap.set_rect sets a byte at a time in
    Python; a row of the edge is one slice assignment here.)"""
    n, stride, samples = pix.n, pix.stride, pix.samples_mv
    paint = bytes(color[:n] if n <= 3 else (*color[:3], 255)[:n])
    x0, y0, x1, y1 = (round(box.x0) - pix.x, round(box.y0) - pix.y, round(box.x1) - pix.x, round(box.y1) - pix.y)
    for ax, ay, bx, by in ((x0, y0, x1, y0 + width), (x0, y1 - width, x1, y1),
                           (x0, y0, x0 + width, y1), (x1 - width, y0, x1, y1)):
        ax, ay, bx, by = max(ax, 0), max(ay, 0), min(bx, pix.w), min(by, pix.h)
        if ax >= bx or ay >= by:
            continue
        run = paint * (bx - ax)
        for y in range(ay, by):
            at = y * stride + ax * n
            samples[at:at + len(run)] = run


# ---------------------------------------------------------------------------------------------
# Excel


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """For writers that cannot type a cell as text (decisions.xlsx): an apostrophe before a formula start."""
    value = cap(value)
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _formula_like(value) -> bool:
    """A cell from a document must never run as a formula in Excel (=, +, -, @ at the start): such cells are
    written as text (type "s", text number format, Excel's quote prefix), never with an apostrophe added."""
    return isinstance(value, str) and value[:1] in _FORMULA_START


def write_xlsx(checked: list[Checked], path: Path) -> None:
    """review.xlsx, written under a unique temporary name and renamed into place."""
    tmp = temp_path(path)
    try:
        _save_xlsx(checked, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _save_xlsx(checked: list[Checked], path: Path) -> None:
    xlsx = _Xlsx(path)
    for k, part in enumerate(_chunks(checked, PART_SIZE), 1):
        xlsx.add(k, part)
    xlsx.close()


class _Xlsx:
    """review.xlsx (xlsxbook.Book): its sheets' layout and rows.  Every sheet takes each part of the
    run in turn, and the ranking by 主管部门, known only at the end, is its last sheet.  A large
    run's workbook is written on a process of its own (Book.start) when there is a core to spare."""

    SHEETS = {
        "项目": (["序号", "项目名称", "主管部门", "实施单位", "项目属性", "项目期", "年度资金总额（万元）", "财政拨款（万元）",
                  "年度总体目标", "年度目标", "指标数", "错误", "警告", "建议", "建议等级", "来源文件", "页码",
                  "得分", "审核结论", "规则核查"],
                 [10, 28, 18, 18, 12, 10, 14, 14, 40, 40, 8, 8, 8, 8, 10, 30, 8, 8, 12, 50]),
        "指标": (["序号", "项目名称", "一级指标", "二级指标", "三级指标", "指标值", "运算符", "数值", "单位", "严重度",
                  "审核意见", "页码", "来源文件"],
                 [6, 24, 12, 16, 30, 14, 8, 10, 8, 8, 70, 8, 30]),
        "审核意见": (["序号", "项目名称", "审核维度", "严重度", "规则", "指标", "审核意见", "依据", "页码", "来源文件", "起草"],
                    [6, 24, 10, 8, 10, 26, 80, 40, 8, 30, 8]),
        "审核表": (["序号", "项目名称", "主管部门", *AUDIT_SECTIONS, "需补充完善事项", "审核结论", "得分", "来源文件"],
                   [6, 26, 18, 40, 50, 40, 40, 50, 12, 8, 30]),
        "部门排名": (["排名", "主管部门", "项目数", "平均得分", "最低得分", "错误", "警告", "建议"],
                     [6, 30, 8, 10, 10, 8, 8, 8]),
    }
    # only these columns get a style: wrapped long text, and the severity colour; the rest are
    # plain values (styling every cell triples the time on large runs)
    STYLED = {"项目": {1, 8, 9, 14}, "指标": {4, 9, 10}, "审核意见": {3, 5, 6, 7}, "审核表": {1, 2, 3, 4, 5, 6, 7},
              "部门排名": set()}

    def __init__(self, path: Path, run: _RunSummary | None = None, apart: bool = False):
        from .jobs import default_jobs
        from .xlsxbook import Book

        self.run = run
        self.ranking = run.ranking if run is not None else _Ranking()
        layout = {title: (headers, widths, self.STYLED[title]) for title, (headers, widths) in self.SHEETS.items()}
        self.book = Book.start(path, layout) if apart and default_jobs() > 1 else Book(path, layout)

    def append(self, title: str, values: list, severity: str | None) -> None:
        from .xlsxbook import BLANK, FORMULA_LIKE, NUMBER, TEXT

        styled, cells = self.STYLED[title], []
        for col, v in enumerate(values):
            if isinstance(v, str):
                v = cap(v)
                cells.append((FORMULA_LIKE if _formula_like(v) else TEXT, v))
            elif v is None:
                cells.append((BLANK if col in styled else None, None))
            else:
                cells.append((NUMBER, v))
        self.book.append(title, cells, severity)

    def add(self, k: int, part: list[Checked]) -> None:
        first = (k - 1) * PART_SIZE + 1
        for title in ("项目", "指标", "审核意见"):
            for values, severity in _xlsx_rows(part, title, first):
                self.append(title, values, severity)
        for values, severity in _audit_rows(part, first):
            self.append("审核表", values, severity)
        if self.run is None:
            for c in part:
                self.ranking.add(c)
        self.book.flush()  # a part at a time to the process writing it (if any)

    def close(self) -> None:
        for r in self.ranking.rows():
            self.append("部门排名", [r["rank"], r["department"], r["tables"], r["mean"], r["lowest"], r["错误"], r["警告"],
                                 r["建议"]], None)
        self.book.close()

    def abort(self) -> None:
        self.book.abort()


def _xlsx_rows(checked: list[Checked], title: str, first: int = 1):
    """(values, severity) for each row of one sheet of review.xlsx."""
    for n, c in enumerate(checked, first):
        t = c.table
        if title == "项目":
            counts = severity_counts(c.findings)
            pages = ",".join(map(str, t.provenance.pages))
            worst = next((s for s in SEVERITY_ORDER if counts[s]), None)
            yield ([n, t.project_name, t.competent_department, t.implementing_unit, t.project_attribute,
                    t.project_period, t.funds.total_all_levels, t.funds.fiscal_all_levels,
                    "\n".join(t.overall_goals), "\n".join(t.annual_goals), len(t.indicators),
                    counts["错误"], counts["警告"], counts["建议"], c.grade, t.provenance.source_file, pages,
                    c.score, conclusion(c.grade), c.summary()["text"] if c.outcomes else None], worst)
        elif title == "指标":
            comments = {m["indicator"]: m for m in merged_comments([f for f in c.findings if f.indicator is not None])}
            for i, ind in enumerate(t.indicators):
                m = comments.get(ind.name)
                ev = t.evidence.get(indicator_path(i, "value_text")) or t.evidence.get(indicator_path(i, "name"))
                yield ([n, t.project_name, ind.level1, ind.level2, ind.name, ind.value_text, ind.operator,
                        ind.value, ind.unit, m["severity"] if m else None, m["message"] if m else None,
                        (ev.cell or ev.page) if ev else None, t.provenance.source_file], m["severity"] if m else None)
        else:
            for f in sorted(c.findings, key=sort_key):
                page = next((s.cell or s.page for s in f.evidence if s.cell or s.page is not None), None)
                yield ([n, t.project_name, f.dimension, f.severity, f.rule, f.indicator, f.message,
                        f.basis, page, t.provenance.source_file, "模型" if f.drafted_by == "model" else "规则"],
                       f.severity)
# ---------------------------------------------------------------------------------------------
# Review content of review.xlsx: the official 审核表 and the ranking by 主管部门 (sheets of their own)


def _audit_rows(checked: list[Checked], first: int = 1):
    """(values, severity) for each row of the 审核表 sheet: a few cells per table."""
    for n, c in enumerate(checked, first):
        form = audit_form(c)
        cells = ["\n".join(f"{i}. {m}" for i, m in enumerate(form["sections"][s], 1)) or "无意见"
                 for s in (*AUDIT_SECTIONS, "需补充完善事项")]
        yield ([n, form["project"], form["department"], *cells, form["conclusion"], form["score"],
                form["source_file"]], None)
