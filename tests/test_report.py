"""Reports from one run: findings.json, review.md, review.xlsx, review.html, and the run/review commands."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from jixiao.report import read_findings
from openpyxl import load_workbook

from conftest import FIXTURES


def jixiao(*args):
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    r = jixiao("run", FIXTURES / "seed-tables.pdf", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def test_run_writes_extraction_and_reports(seed_run):
    names = sorted(p.name for p in seed_run.iterdir())
    assert names == [".jixiao-run.sqlite", "findings.json", "review.html", "review.md", "review.xlsx",
                     "seed-tables.json"]  # the manifest that lets a killed run resume
    findings = read_findings(seed_run / "findings.json")
    assert len(findings) == 45
    first = next(f for f in findings if f["rule"] == "MEAS-02")
    assert set(first) == {"rule", "dimension", "severity", "table", "table_ref", "indicator", "message", "evidence", "basis",
                          "drafted_by"}
    assert first["evidence"][0]["page"] == 1 and first["evidence"][0]["bbox"] is not None
    assert "88号" in first["basis"]


def test_markdown_groups_by_dimension_with_a_suggested_grade(seed_run):
    md = (seed_run / "review.md").read_text(encoding="utf-8")
    assert md.count("\n## ") == 7
    assert "建议等级" in md and "仅供审核人参考" in md
    section = md.split("## 1. ")[1].split("\n## ")[0]
    assert re.findall(r"^### (\S+)", section, re.M) == ["完整性", "相关性", "适当性"]
    # one comment per indicator: MEAS-01 and MEAS-07 on the same indicator are one sentence, with its basis,
    # and no rule codes in text meant for departments
    bullet = next(line for line in section.splitlines() if "提升职工工作积极性及质量" in line)
    assert bullet.count("。") == 1 and bullet.endswith("。") and "；该指标属于工作要求或目标性表述" in bullet
    assert not re.search(r"[A-Z]+-\d\d", md)
    assert "依据：财预〔2015〕88号" in section
    assert "规则核查：已核查" in section


def test_xlsx_is_ready_for_a_reviewer(seed_run):
    wb = load_workbook(seed_run / "review.xlsx")
    assert wb.sheetnames == ["项目", "指标", "审核意见", "审核表", "部门排名"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref
        assert ws.column_dimensions["B"].width >= 20
    assert wb["项目"].max_row == 8 and wb["指标"].max_row == 57 and wb["审核意见"].max_row == 46
    rows = list(wb["审核意见"].iter_rows(min_row=2, values_only=True))
    errors = [r for r in rows if r[3] == "错误"]
    assert len(errors) == 3
    sheet = wb["审核意见"]
    error_row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 4).value == "错误")
    assert sheet.cell(error_row, 7).fill.fgColor.rgb.endswith("F8D7DA")  # errors in red
    warning_row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 4).value == "警告")
    assert sheet.cell(warning_row, 7).fill.fgColor.rgb.endswith("FFF3CD")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith(("#", "data:")):
                self.external.append(v)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_with_page_crops(seed_run):
    html = (seed_run / "review.html").read_text(encoding="utf-8")
    p = _Text()
    p.feed(html)
    assert p.external == []  # no external assets
    assert "script" not in p.tags
    assert html.count('src="data:image/png;base64,') >= 20
    assert "专线故障率" in "".join(p.text)


def test_each_page_crop_outlines_its_own_value_only(seed_run):
    """A crop shows one red outline, the value's box: the boxes of other crops of the same page
    are not drawn on it (they were when boxes were drawn onto the page itself)."""
    import base64

    import numpy as np
    import pymupdf

    html = (seed_run / "review.html").read_text(encoding="utf-8")
    crops = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(crops) >= 20
    for data in crops:
        pix = pymupdf.Pixmap(base64.b64decode(data))
        rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)
        red = (rgb[:, :, 0] > 200) & (rgb[:, :, 1] < 40) & (rgb[:, :, 2] < 40)
        ys, xs = np.nonzero(red)
        assert len(xs), "a crop without its box"
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        # the outline of everything red is red all round: one box (two would leave gaps in it)
        assert red[y0, x0:x1 + 1].all() and red[y1, x0:x1 + 1].all(), "more than one box outlined on a crop"
        assert red[y0:y1 + 1, x0].all() and red[y0:y1 + 1, x1].all(), "more than one box outlined on a crop"


def test_html_escapes_markup_from_the_source(tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    evil = seed.replace("做实职业年金缴纳人数", "<script>alert(1)</script><b>人数</b>").replace("项目名称 财政核定做实职业年金",
                                                                                              "项目名称 <img src=x onerror=alert(2)>")
    src = tmp_path / "evil.txt"
    src.write_text(evil, encoding="utf-8")
    out = tmp_path / "out"
    r = jixiao("run", src, "-o", out)
    assert r.returncode == 0, r.stderr
    html = (out / "review.html").read_text(encoding="utf-8")
    p = _Text()
    p.feed(html)
    assert "script" not in p.tags and "img" not in p.tags and "b" not in p.tags
    assert "<script>alert(1)</script><b>人数</b>" in "".join(p.text)  # shown as text
    assert "&lt;script&gt;" in html


def test_xlsx_cells_never_run_as_formulas(tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    src = tmp_path / "formula.txt"
    src.write_text(seed.replace("指标1：做实职业年金缴纳人数", "指标1：=HYPERLINK(\"http://x\")"), encoding="utf-8")
    out = tmp_path / "out"
    assert jixiao("run", src, "-o", out).returncode == 0
    wb = load_workbook(out / "review.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("HYPERLINK" in c.value for c in cells)
    assert not any(c.data_type == "f" for c in cells)  # typed as text: shown as it is, never run
    assert not any(c.value.startswith("'") for c in cells)  # and no apostrophe added to text


def test_fail_on_sets_the_exit_code(tmp_path):
    src = FIXTURES / "seed-tables.txt"
    assert jixiao("run", src, "-o", tmp_path / "a").returncode == 0
    r = jixiao("run", src, "-o", tmp_path / "b", "--fail-on", "error")
    assert r.returncode == 1 and "--fail-on error" in r.stderr
    clean = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    (tmp_path / "one.txt").write_text(clean, encoding="utf-8")  # table 1: warnings, no errors
    assert jixiao("run", tmp_path / "one.txt", "-o", tmp_path / "c", "--fail-on", "error").returncode == 0
    assert jixiao("run", tmp_path / "one.txt", "-o", tmp_path / "d", "--fail-on", "warning").returncode == 1


def test_review_of_extraction_output_grounds_against_the_source(tmp_path):
    assert jixiao("extract", FIXTURES / "seed-tables.pdf", "-o", tmp_path / "x").returncode == 0
    data = json.loads((tmp_path / "x" / "seed-tables.json").read_text(encoding="utf-8"))
    data[0]["indicators"][0]["name"] = "做实职业年金缴费总人数"  # edited by hand: no longer as printed
    data[1]["indicators"][0]["name"] = "完全不存在的指标"
    (tmp_path / "x" / "edited.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = jixiao("review", tmp_path / "x" / "edited.json", "-o", tmp_path / "r")
    assert r.returncode == 0, r.stderr
    findings = read_findings(tmp_path / "r" / "findings.json")
    ground = {(f["rule"], f["indicator"]) for f in findings if f["rule"].startswith("GROUND")}
    assert ("GROUND-02", "做实职业年金缴费总人数") in ground  # close to the printed name: fuzzy
    assert ("GROUND-01", "完全不存在的指标") in ground  # nowhere in the source: possibly invented
    html = (tmp_path / "r" / "review.html").read_text(encoding="utf-8")
    assert "未在原件中找到或不完全一致的取值" in html


def test_config_file_overrides_thresholds(tmp_path):
    cfg = tmp_path / "review.toml"
    cfg.write_text("[review]\nsatisfaction_floor = 95\n", encoding="utf-8")
    r = jixiao("run", FIXTURES / "seed-tables.txt", "-o", tmp_path / "o", "--config", cfg)
    assert r.returncode == 0, r.stderr
    findings = read_findings(tmp_path / "o" / "findings.json")
    assert sum(f["rule"] == "SAT-01" for f in findings) == 6  # every ≥90% satisfaction target


def test_findings_json_carries_each_tables_rule_outcomes(seed_run):
    data = json.loads((seed_run / "findings.json").read_text(encoding="utf-8"))
    assert len(data["tables"]) == 7
    for t in data["tables"]:
        assert set(t["rules"]) >= {"COMP-01", "CONS-03", "PLACE-01", "DATE-01", "DUP-01", "AI-01", "GROUND-01"}
        outcomes = {o["outcome"] for o in t["rules"].values()}
        assert outcomes <= {"passed", "failed", "not_applicable", "could_not_check", "error"}
        s = t["summary"]
        assert s["checked"] == s["passed"] + s["failed"] and s["error"] == 0
        assert s["failed"] == len({f["rule"] for f in data["findings"] if f["table_ref"] == t["table_ref"]})
        assert 0 <= t["score"] <= 100 and t["conclusion"] in ("通过", "修改后通过", "不予通过")
    assert all(o["outcome"] == "not_applicable" for t in data["tables"] for r, o in t["rules"].items() if r.startswith("AI-"))


def test_xlsx_review_sheets(seed_run):
    wb = load_workbook(seed_run / "review.xlsx")
    head = [c.value for c in wb["审核表"][1]]
    assert head[3:9] == ["总体目标", "产出指标", "效益指标", "满意度指标", "需补充完善事项", "审核结论"]
    rows = list(wb["审核表"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 7 and all(r[8] in ("通过", "修改后通过", "不予通过") for r in rows)
    pension = next(r for r in rows if r[1] == "财政核定做实职业年金")
    assert "仅重复项目名称" in pension[3] and "做实职业年金总额" in pension[4] and "社会福利保障程度" in pension[5]
    assert [c.value for c in wb["部门排名"][2]][1] == "县委网信办"
    # the source file beside every indicator and comment; the operator as printed, never “'=”
    ind = wb["指标"]
    assert [c.value for c in ind[1]][-1] == "来源文件" and ind.cell(2, 13).value.endswith("seed-tables.pdf")
    assert [c.value for c in wb["审核意见"][1]][9] == "来源文件"
    ops = {ind.cell(r, 7).value for r in range(2, ind.max_row + 1)}
    assert "=" in ops and not any(str(o).startswith("'") for o in ops if o)


def _seed_checked():
    from jixiao.check import check
    from jixiao.pipeline import extract_with_chunks

    return check([(t, c, None) for c, t in extract_with_chunks(FIXTURES / "seed-tables.pdf")])


def test_xlsx_written_on_a_process_of_its_own_is_the_same_workbook(tmp_path):
    """A large run's review.xlsx is written by a child process (xlsxbook.Book.start): the same
    sheets, cells and styles as written here; a failure there is raised here; abort leaves nothing."""
    import zipfile

    from jixiao.report import _Xlsx
    from jixiao.xlsxbook import BookError

    checked = _seed_checked()
    books = {}
    for apart in (False, True):
        path = tmp_path / f"apart-{apart}.xlsx"
        x = _Xlsx(path, apart=apart)
        assert hasattr(x.book, "child") == apart
        for k in (1, 2):  # two parts, as a run of more than PART_SIZE tables sends them
            x.add(k, checked)
        x.close()
        with zipfile.ZipFile(path) as z:
            books[apart] = {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # its time stamp
    assert books[True] == books[False] and len(books[True]) > 5
    wb = load_workbook(tmp_path / "apart-True.xlsx", read_only=True)
    assert wb["项目"].max_row == 2 * len(checked) + 1

    x = _Xlsx(tmp_path / "bad.xlsx", apart=True)
    x.book.append("no such sheet", [], None)
    with pytest.raises(BookError, match="review.xlsx: KeyError"):
        x.close()
    assert not x.book.child.is_alive()

    # the child killed (the out-of-memory killer): the next send says so, naming review.xlsx
    x = _Xlsx(tmp_path / "killed.xlsx", apart=True)
    x.book.child.kill()
    x.book.child.join()
    with pytest.raises(BookError, match=r"review.xlsx: the process writing it ended \(killed by signal 9\)"):
        x.add(1, checked)
        x.close()
    from jixiao.cli import _output_error

    said = _output_error(BookError("review.xlsx: the process writing it ended (killed by signal 9)"), tmp_path)
    assert "review.xlsx" in said and "cannot write there" not in said and "run again" in said

    x = _Xlsx(tmp_path / "aborted.xlsx", apart=True)
    x.add(1, checked)
    x.abort()
    assert not x.book.child.is_alive() and not (tmp_path / "aborted.xlsx").exists()
