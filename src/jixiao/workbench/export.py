"""Exports of the reviewer's work: the 审核意见书 in Word (python-docx, GB/T 9704 as far as .docx
can state it), and every finding with its decision as JSON and xlsx (rejected ones marked, an
edited comment beside the drafted one)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import defaultdict
from pathlib import Path

from ..findings import DIMENSIONS
from .runview import ProjectView, RunView

# GB/T 9704-2012 as Word can state it
TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
TITLE_PT, BODY_PT, LINE_PT = 22, 16, 28.95  # 二号 title; 三号 body; 22 lines a page
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
NUMERALS = "一二三四五六七八九十"
DECISION_WORDS = {"accepted": "采纳", "rejected": "驳回", "reopened": "重新打开（依据已变化）", "open": "待决定"}


def _cn(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 20:
        return "十" + NUMERALS[n - 11]
    tens, ones = divmod(n, 10)
    return NUMERALS[tens - 1] + "十" + (NUMERALS[ones - 1] if ones else "") if n < 100 else str(n)


def _date_cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# -- decisions as data --------------------------------------------------------------------------
def decision_rows(view: RunView) -> list[dict]:
    rows = []
    for p in view.projects():
        for v in p.findings:
            d = v.decision or {}
            rows.append({
                "project": p.name, "department": p.department, "table_ref": p.ref, "rule": v.f.rule,
                "dimension": v.f.dimension, "severity": v.f.severity, "indicator": v.f.indicator, "key": v.key,
                "decision": v.state, "drafted": v.f.message, "edited": d.get("text"), "final": v.final_text
                if v.state == "accepted" else None, "reason": d.get("reason"), "reviewer": d.get("reviewer"),
                "decided_at": dt.datetime.fromtimestamp(d["ts"]).isoformat(timespec="seconds") if d else None,
                "basis": v.f.basis})
    return rows


def decisions_json(view: RunView) -> str:
    return json.dumps(decision_rows(view), ensure_ascii=False, indent=2) + "\n"


def decisions_xlsx_bytes(view: RunView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from ..report import _safe

    headers = [("项目名称", 26), ("主管部门", 16), ("审核维度", 10), ("严重度", 8), ("规则", 10), ("指标", 24),
               ("决定", 10), ("起草意见", 60), ("修改后意见", 60), ("驳回理由", 30), ("审核人", 10), ("决定时间", 19)]
    keys = ["project", "department", "dimension", "severity", "rule", "indicator", "decision", "drafted", "edited",
            "reason", "reviewer", "decided_at"]
    wb = Workbook()
    ws = wb.active
    ws.title = "审核决定"
    ws.append([h for h, _w in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, (_h, w) in enumerate(headers):
        ws.column_dimensions[chr(65 + i)].width = w
    grey = PatternFill("solid", fgColor="DDDDDD")
    for r in decision_rows(view):
        values = [_safe(DECISION_WORDS[r[k]] if k == "decision" else r[k]) for k in keys]
        ws.append(values)
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            if r["decision"] == "rejected":
                cell.fill = grey
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- the 审核意见书 ---------------------------------------------------------------------------------
def _accepted(p: ProjectView):
    return [v for v in p.findings if v.state == "accepted"]


def _fonts(run, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def _para(doc, text: str, font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False, align=None,
          indent: bool = True):
    from docx.shared import Pt

    para = doc.add_paragraph()
    fmt = para.paragraph_format
    fmt.line_spacing = Pt(LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)  # two characters
    if align is not None:
        para.alignment = align
    _fonts(para.add_run(text), font, size, bold)
    return para


def _setup(doc) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    for section in doc.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    # page numbers at the foot (4号 半角宋体 in GB/T 9704: here a centred PAGE field)
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = 1
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = footer.add_run("— " if kind == "begin" else (" —" if kind == "end" else ""))
        _fonts(run, "宋体", 14)
        from docx.oxml import OxmlElement

        if kind is None:
            for tag, attrs, body in (("w:fldChar", {"w:fldCharType": "begin"}, None), ("w:instrText", {}, "PAGE"),
                                     ("w:fldChar", {"w:fldCharType": "end"}, None)):
                el = OxmlElement(tag)
                for k, val in attrs.items():
                    el.set(qn(k), val)
                if body:
                    el.text = body
                run._element.append(el)


def _project_section(doc, n: int, p: ProjectView, numbered: bool) -> None:
    from docx.shared import Pt

    heading = f"{_cn(n)}、{p.name}" if numbered else p.name
    _para(doc, f"{heading}（审核等级：{p.grade}）", font=H1_FONT)
    accepted = _accepted(p)
    undecided = sum(1 for v in p.findings if v.state in ("open", "reopened"))
    if not accepted and not undecided:
        _para(doc, "经审核，未发现需要修改的问题。")
    if undecided:
        _para(doc, f"（注：本项目尚有{undecided}条审核意见未经审核人决定，未列入本意见书。）")
    k = 0
    for dim in DIMENSIONS:  # catalogue order
        items = [v for v in accepted if v.f.dimension == dim]
        if not items:
            continue
        k += 1
        _para(doc, f"（{_cn(k)}）{dim}方面", font=H2_FONT)
        for m, v in enumerate(items, 1):
            _para(doc, f"{m}. {v.final_text}")
    flagged = [(i, ind) for i, ind in enumerate(p.table.indicators) if any(v.f.indicator == ind.name for v in accepted)]
    if flagged:
        _para(doc, "需修改的绩效指标：", font=H2_FONT)
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("一级指标", "二级指标", "三级指标", "指标值", "修改意见")):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(text), H1_FONT, 12)
        for _i, ind in flagged:
            row = table.add_row().cells
            texts = [ind.level1, ind.level2, ind.name, ind.value_text or "",
                     "".join(v.final_text for v in accepted if v.f.indicator == ind.name)]
            for cell, text in zip(row, texts):
                cell.text = ""
                _fonts(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
        doc.add_paragraph().paragraph_format.space_after = Pt(0)
    if p.note and p.note["text"]:
        _para(doc, f"审核人意见：{p.note['text']}")
    _audit_table(doc, p, accepted)


def _audit_table(doc, p: ProjectView, accepted: list) -> None:
    """The official 审核表 of the project: the accepted comments (as edited) under 总体目标 / 产出指标 /
    效益指标 / 满意度指标, 需补充完善事项, and the 审核结论 from the grade."""
    from ..findings import conclusion
    from ..report import audit_sections

    sections = audit_sections(p.table, [v.f for v in accepted], {id(v.f): v.final_text for v in accepted})
    _para(doc, "审核表：", font=H2_FONT)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, items in [*sections.items(), ("审核结论", [conclusion(p.grade)])]:
        row = table.add_row().cells
        texts = [label, "\n".join(f"{m}. {t}" for m, t in enumerate(items, 1)) if len(items) > 1
                 else (items[0] if items else "无意见")]
        for cell, text in zip(row, texts):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(text), H1_FONT if text == label else BODY_FONT, 12)


def _document(projects: list[ProjectView], org: str, date: dt.date, title_subject: str, recipient: str | None):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    _setup(doc)
    _para(doc, f"关于{title_subject}项目支出绩效目标的审核意见", font=TITLE_FONT, size=TITLE_PT,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, "", indent=False)
    if recipient:
        _para(doc, f"{recipient}：", indent=False)
    _para(doc, f"根据《中央部门预算绩效目标管理办法》（财预〔2015〕88号）等规定，{org}对{'你单位' if recipient else ''}报送的"
               f"{len(projects)}个项目的绩效目标进行了审核，现将审核意见反馈如下，请据此修改完善后重新报送。")
    for n, p in enumerate(projects, 1):
        _project_section(doc, n, p, numbered=len(projects) > 1)
    _para(doc, "", indent=False)
    _para(doc, org, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, _date_cn(date), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    return doc


def _year(projects: list[ProjectView]) -> str:
    years = sorted({p.table.year for p in projects if p.table.year})
    return f"{years[0]}年度" if len(years) == 1 else ""


def docx_bytes(view: RunView, projects: list[ProjectView], per: str = "department", org: str = "审核单位",
               date: dt.date | None = None) -> bytes:
    date = date or dt.date.today()
    if per == "project":
        p = projects[0]
        doc = _document(projects, org, date, f"{p.name}", p.table.competent_department)
    else:
        dept = projects[0].department
        doc = _document(projects, org, date, f"{dept}{_year(projects)}", dept)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._")[:80] or "未命名"


def export(folder: Path, outdir: Path, per: str = "department", org: str = "审核单位", date: dt.date | None = None,
           reviewer: str | None = None) -> list[Path]:
    """The 审核意见书 (one .docx per department or per project) and decisions.json/.xlsx in outdir."""
    from ..fileio import write_atomic

    view = RunView(folder, reviewer)
    outdir.mkdir(parents=True, exist_ok=True)
    projects = view.projects()
    written = []
    if per == "project":
        for p in projects:
            path = outdir / f"审核意见书-{p.idx + 1:03d}-{_safe_name(p.name)}.docx"
            path.write_bytes(docx_bytes(view, [p], "project", org, date))
            written.append(path)
    else:
        groups: dict[str, list[ProjectView]] = defaultdict(list)
        for p in projects:
            groups[p.department].append(p)
        for dept, ps in groups.items():
            path = outdir / f"审核意见书-{_safe_name(dept)}.docx"
            path.write_bytes(docx_bytes(view, ps, "department", org, date))
            written.append(path)
    write_atomic(outdir / "decisions.json", decisions_json(view))
    (outdir / "decisions.xlsx").write_bytes(decisions_xlsx_bytes(view))
    return written + [outdir / "decisions.json", outdir / "decisions.xlsx"]
