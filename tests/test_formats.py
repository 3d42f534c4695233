"""Web pages, spreadsheets and Word documents read cell for cell (issue #11).

Every input is built here, from the seed's grid (tests/seedgrid.py) or the real captures
(tests/realhtml.py); nothing binary is committed.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import GOLD, REAL, score
from jixiao.document import InputError
from jixiao.pipeline import extract_file
from jixiao.readers import read_pages
from jixiao.readers.sheet import shown
from realhtml import page_html
from seedgrid import seed_grids

TITLE, GRIDS = seed_grids()


def tables(path: Path) -> list[dict]:
    return [json.loads(t.model_dump_json()) for t in extract_file(path)]


def f1(out: str) -> float:
    return float(re.search(r"field-F1 ([\d.]+)", out).group(1))


# -- writing the seed in each format ----------------------------------------------------------

def seed_html(path: Path) -> Path:
    parts = ['<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
             "<title>2024年预算公开</title><style>td{border:1px solid #000}</style>"
             "<script>document.title='x'</script></head><body><div class=nav>首页 &gt; 预算公开</div>"]
    for cells, nrows, _ncols in GRIDS:
        parts.append(f'<p align="center"><b>{TITLE}</b></p>\n<table border="1" cellspacing="0">')
        for r in range(nrows):
            parts.append("<tr>")
            for c in sorted((c for c in cells if c.row == r), key=lambda c: c.col):
                attrs = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + \
                        (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
                text = "<br>".join(html.escape(x).replace("\u3000", "&nbsp;") for x in c.lines)
                parts.append(f"<td{attrs}>{text or '&nbsp;'}</td>")
            parts.append("</tr>\n")
        parts.append("</table>\n")
    parts.append("</body></html>")
    path.write_bytes("".join(parts).encode("gbk"))
    return path


def seed_xlsx(path: Path) -> Path:
    import openpyxl
    from openpyxl.styles import Alignment

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k, (cells, _nrows, ncols) in enumerate(GRIDS, 1):
        ws = wb.create_sheet(f"项目{k}")
        ws.cell(1, 1, TITLE)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        for c in cells:
            if c.lines:
                ws.cell(c.row + 2, c.col + 1, "\n".join(c.lines)).alignment = Alignment(wrap_text=True)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(start_row=c.row + 2, start_column=c.col + 1, end_row=c.row + 1 + c.rowspan,
                               end_column=c.col + c.colspan)
    wb.save(path)
    return path


def seed_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    for k, (cells, nrows, ncols) in enumerate(GRIDS, 1):
        d.add_paragraph(TITLE)
        t = d.add_table(rows=nrows, cols=ncols)
        for c in cells:
            a = t.cell(c.row, c.col)
            if c.rowspan > 1 or c.colspan > 1:  # gridSpan across, vMerge down
                a = a.merge(t.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
            if c.lines:
                a.paragraphs[0].text = c.lines[0]
                for x in c.lines[1:]:
                    a.add_paragraph(x)
        if k < len(GRIDS):
            d.add_page_break()
    d.save(path)
    return path


@pytest.mark.parametrize("make,suffix", [(seed_html, ".html"), (seed_xlsx, ".xlsx"), (seed_docx, ".docx")])
def test_seed_in_each_format_reads_at_f1_1(make, suffix, tmp_path):
    got = tables(make(tmp_path / f"seed{suffix}"))
    out = score(GOLD, got, tmp_path)
    assert f1(out) == 1.0, out


def test_seed_evidence_points_at_the_cell(tmp_path):
    # table 1: 项目名称 is in grid row 1, columns 3-7; the first indicator (10人) in row 9, column 7
    h = tables(seed_html(tmp_path / "seed.html"))[0]["evidence"]
    assert h["project_name"]["cell"] == "表1 R1C3"
    assert h["indicators[0].value_text"]["cell"] == "表1 R9C7"
    assert h["indicators[0].name"]["cell"] == "表1 R9C4"
    assert h["title"]["cell"] == "表1上方"
    assert h["project_name"]["bbox"] is None and h["project_name"]["page"] is None
    x = tables(seed_xlsx(tmp_path / "seed.xlsx"))
    ev = x[1]["evidence"]  # sheet 项目2; the title is row 1, so the grid is one row lower
    assert ev["project_name"]["cell"] == "项目2!C2" and ev["project_name"]["page"] == 2
    assert ev["indicators[0].value_text"]["cell"] == "项目2!G10"
    assert x[1]["provenance"]["pages"] == [2]
    w = tables(seed_docx(tmp_path / "seed.docx"))[6]["evidence"]
    assert w["project_name"]["cell"] == "表7 R1C3"
    assert w["indicators[0].value_text"]["cell"] == "表7 R9C7"


# -- the real tables as web pages ------------------------------------------------------------

# Where the mechanical rebuild (tests/realhtml.py) cannot give the page's shape, the page is
# written by hand in tests/data/realhtml/ (real-03: a 2021实际 / 预期2022 value column pair under
# 指标值, and level cells spanning their rows).
BY_HAND = Path(__file__).parent / "data" / "realhtml"


@pytest.mark.parametrize("name", [f"real-{n:02d}" for n in range(1, 16)])
def test_real_tables_as_html_read_as_well_as_their_text(name, tmp_path):
    body = "\n".join((REAL / f"{name}.txt").read_text(encoding="utf-8").split("\n")[3:])
    text = tmp_path / f"{name}.txt"
    text.write_text(body, encoding="utf-8")
    page = BY_HAND / f"{name}.html"
    if not page.exists():
        page = tmp_path / f"{name}.html"
        page.write_bytes(page_html(body, "gbk" if int(name[-2:]) % 2 else "utf-8"))
    gold = REAL / f"{name}.gold.json"
    text_f1 = f1(score(gold, tables(text), tmp_path))
    html_f1 = f1(score(gold, tables(page), tmp_path))
    assert html_f1 >= text_f1 - 1e-9, (html_f1, text_f1)


# -- HTML details ----------------------------------------------------------------------------

def rows_of(path: Path) -> list[list[str]]:
    return [[c.text for c in r.cells] for page in read_pages(path) for r in page]


def test_html_spans_nesting_breaks_and_encoding(tmp_path):
    page = tmp_path / "p.htm"
    page.write_bytes(("<html><head><meta charset='gbk'><style>p{x:1}</style><script>var a='不读'</script></head>"
                      "<body><h2>绩效目标表</h2>单位：万元"
                      "<table><tr><td rowspan=2>合&nbsp;计</td><td colspan=2>甲<br>乙</td></tr>"
                      "<tr><td>丙</td><td><table><tr><td>内</td></tr></table>外</td></tr></table>"
                      "</body></html>").encode("gbk"))
    pages = list(read_pages(page))
    rows = [[(c.text, c.lines[0].cell) for c in r.cells] for r in pages[0]]
    assert rows == [[("绩效目标表", "表1上方")], [("单位：万元", "表1上方")],
                    [("合 计", "表1 R1C1"), ("甲乙", "表1 R1C2")],
                    [("丙", "表1 R2C2"), ("外", "表1 R2C3")],
                    [("内", "表2 R1C1")]]
    assert [len(c.lines) for c in pages[0][2].cells] == [1, 2]  # <br> splits a cell's lines
    assert pages[0][2].cells[1].bbox[2] - pages[0][2].cells[1].bbox[0] == 2 * pages[0][2].cells[0].bbox[2]


def test_html_encoding_sniffed_without_declaration(tmp_path):
    page = tmp_path / "p.html"
    page.write_bytes("<table><tr><td>项目名称</td><td>网评工作经费</td></tr></table>".encode("gb18030"))
    assert rows_of(page) == [["项目名称", "网评工作经费"]]
    page.write_bytes("<table><tr><td>项目名称</td><td>网评工作经费</td></tr></table>".encode("utf-8"))
    assert rows_of(page) == [["项目名称", "网评工作经费"]]


def test_mhtml_html_part(tmp_path):
    body = "<html><body><table><tr><td>项目名称</td><td>综合业务费</td></tr></table></body></html>"
    import quopri
    qp = quopri.encodestring(body.encode("gbk")).decode("ascii")
    page = tmp_path / "p.mhtml"
    page.write_text("MIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"B\"\n\n--B\n"
                    "Content-Type: text/html; charset=\"gbk\"\nContent-Transfer-Encoding: quoted-printable\n\n"
                    f"{qp}\n--B--\n", encoding="ascii")
    assert rows_of(page) == [["项目名称", "综合业务费"]]


def test_html_huge_spans_and_rows_stay_bounded(tmp_path):
    page = tmp_path / "big.html"
    page.write_text('<table><tr><td rowspan="100000000" colspan="100000000">a</td><td>b</td></tr>'
                    + "<tr><td>c</td></tr>" * 100_000 + "</table>", encoding="utf-8")
    rows = list(read_pages(page))[0]
    assert len(rows) == 100_001  # rowspan stops at the table's end, colspan at HTML's 1000
    assert rows[0].cells[0].bbox[2] == 1000 * 100.0 and rows[0].cells[1].lines[0].cell == "表1 R1C1001"
    assert rows[1].cells[0].lines[0].cell == "表1 R2C1001"  # the rows below sit right of the span


# -- spreadsheets ----------------------------------------------------------------------------

@pytest.mark.parametrize("value,fmt,want", [
    (4.83, "0.00", "4.83"), (4.8300000001, "General", "4.83"), (10, "0.00", "10.00"), (0.95, "0%", "95%"),
    (3309840, "#,##0.00", "3,309,840.00"), (1125, "General", "1125"), (4.83, '0.00"万元"', "4.83万元"),
    (0.1 + 0.2, "General", "0.3"), (-2.5, "0.0", "-2.5"), (True, None, "TRUE"), ("≥95%", "@", "≥95%"),
])
def test_numbers_as_shown(value, fmt, want):
    assert shown(value, fmt) == want


def test_xlsx_formats_formulas_hidden_and_sheets_as_pages(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目1"
    ws["A1"], ws["B1"] = "年度资金总额", 4.83
    ws["B1"].number_format = "0.00"
    ws["A2"], ws["B2"] = "其中：财政拨款", "=B1"  # a formula never evaluated: no cached value, no text
    ws["A3"], ws["B3"] = "隐藏", 1
    ws.row_dimensions[3].hidden = True
    ws2 = wb.create_sheet("续")
    ws2.sheet_state = "hidden"
    ws2["C5"] = "满意度 ≥90%"
    path = tmp_path / "w.xlsx"
    wb.save(path)
    pages = list(read_pages(path))
    assert len(pages) == 2
    cells = [[(c.text, c.lines[0].cell, r.page) for c in r.cells] for r in pages[0]]
    assert cells == [[("年度资金总额", "项目1!A1", 1), ("4.83", "项目1!B1", 1)],
                     [("其中：财政拨款", "项目1!A2", 1)],
                     [("隐藏", "项目1!A3（隐藏行）", 1), ("1", "项目1!B3（隐藏行）", 1)]]
    assert pages[1][0].cells[0].lines[0].cell == "续!C5（隐藏工作表）" and pages[1][0].page == 2


def test_xlsx_cached_formula_value_is_read(tmp_path):
    # a workbook saved by Excel keeps the formula and its value (<f>B1*2</f><v>9.66</v>)
    import openpyxl

    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1/0"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb"<c r=\"A1\"[^>]*>.*?</c>", b'<c r="A1"><f>B1*2</f><v>9.66</v></c>', parts[sheet])
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert rows_of(path) == [["9.66"]]


def test_several_tables_on_one_sheet_and_a_project_per_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    one = wb.create_sheet("全部")
    row = 1
    for cells, _nrows, ncols in GRIDS[:2]:  # two tables one under the other, a blank row between
        one.cell(row, 1, TITLE)
        for c in cells:
            if c.lines:
                one.cell(row + 1 + c.row, c.col + 1, "\n".join(c.lines))
            if c.rowspan > 1 or c.colspan > 1:
                one.merge_cells(start_row=row + 1 + c.row, start_column=c.col + 1,
                                end_row=row + c.row + c.rowspan, end_column=c.col + c.colspan)
        row += 1 + max(c.row + c.rowspan for c in cells) + 1
    path = tmp_path / "two.xlsx"
    wb.save(path)
    got = tables(path)
    assert [t["project_name"] for t in got] == ["财政核定做实职业年金", "网评工作经费"]
    assert [len(t["indicators"]) for t in got] == [7, 8]


def test_one_table_over_two_sheets(tmp_path):
    import openpyxl

    cells, _nrows, ncols = GRIDS[0]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    a, b = wb.create_sheet("第1页"), wb.create_sheet("第2页")
    a.cell(1, 1, TITLE)
    split = 16  # grid row where the second sheet starts (inside 效益指标)
    for c in cells:
        ws, r0 = (a, c.row + 2) if c.row < split else (b, c.row - split + 1)
        if c.lines:
            ws.cell(r0, c.col + 1, "\n".join(c.lines))
    path = tmp_path / "split.xlsx"
    wb.save(path)
    got = tables(path)
    assert len(got) == 1 and got[0]["provenance"]["pages"] == [1, 2]
    assert len(got[0]["indicators"]) == 7


def test_xls_is_read_with_merged_ranges(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes .xls files for this test")
    book = xlwt.Workbook()
    sh = book.add_sheet("项目1")
    sh.write_merge(0, 1, 0, 0, "合计")
    sh.write(0, 1, 4.83)
    path = tmp_path / "a.xls"
    book.save(str(path))
    assert [[(c.text, c.lines[0].cell) for c in r.cells] for r in list(read_pages(path))[0]] == \
        [[("合计", "项目1!A1"), ("4.83", "项目1!B1")]]


# -- Word --------------------------------------------------------------------------------------

def test_docx_nested_table_and_paragraphs(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("2024年项目支出绩效目标表")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "项目名称"
    t.cell(0, 1).text = "网信专线服务费"
    t.cell(1, 0).merge(t.cell(1, 1)).text = "说明"
    inner = t.cell(1, 0).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内"
    inner.cell(0, 1).text = "层"
    path = tmp_path / "n.docx"
    d.save(path)
    rows = [[(c.text, c.lines[0].cell) for c in r.cells] for r in list(read_pages(path))[0]]
    assert rows == [[("2024年项目支出绩效目标表", "表1上方")], [("项目名称", "表1 R1C1"), ("网信专线服务费", "表1 R1C2")],
                    [("说明", "表1 R2C1")], [("内", "表2 R1C1"), ("层", "表2 R1C2")]]


# -- bad and hostile inputs --------------------------------------------------------------------

def _error(path: Path) -> str:
    with pytest.raises(InputError) as e:
        list(read_pages(path))
    msg = str(e.value)
    assert "\n" not in msg and msg
    return msg


def test_corrupt_inputs_one_line_each(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"this is not a zip at all" * 10)
    assert "not a readable zip" in _error(tmp_path / "a.xlsx") or "neither a zip" in _error(tmp_path / "a.xlsx")
    good = seed_xlsx(tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "trunc.xlsx").write_bytes(good[: len(good) // 2])
    assert "damaged workbook" in _error(tmp_path / "trunc.xlsx")
    (tmp_path / "g.docx").write_bytes(bytes(range(256)) * 8)
    _error(tmp_path / "g.docx")
    gd = seed_docx(tmp_path / "gd.docx").read_bytes()
    (tmp_path / "t.docx").write_bytes(gd[: len(gd) // 3])
    assert "damaged Word document" in _error(tmp_path / "t.docx")
    (tmp_path / "b.html").write_bytes(bytes(range(256)) * 16)
    assert "not a web page" in _error(tmp_path / "b.html")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "save it as .docx" in _error(tmp_path / "old.doc")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "damaged .xls" in _error(tmp_path / "old.xls")


def test_cli_names_the_bad_file_and_goes_on(tmp_path):
    (tmp_path / "bad.xlsx").write_bytes(b"garbage")
    seed_html(tmp_path / "ok.html")
    out = subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", str(tmp_path / "bad.xlsx"),
                          str(tmp_path / "ok.html"), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    err = [ln for ln in out.stderr.splitlines() if "error" in ln]
    assert len(err) == 1 and "bad.xlsx" in err[0], out.stderr
    assert len(json.loads((tmp_path / "out" / "ok.json").read_text(encoding="utf-8"))) == 7


def test_zip_bomb_workbook_refused(tmp_path):
    import openpyxl

    path = tmp_path / "bomb.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/pad.bin", b"\x00" * (80 * 2**20))  # 80 MiB of zeros packs to ~80 KiB
    assert "zip bomb" in _error(path) or "too large" in _error(path)


def test_sheet_declaring_a_huge_dimension_is_read_by_its_cells(tmp_path):
    import openpyxl

    path = tmp_path / "dim.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目名称"
    wb.active["B1"] = "综合业务费"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    # 10^6 rows x 10^4 columns declared, and one cell at the far corner of the grid
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:NTP1000000"/>', parts[sheet])
    parts[sheet] = parts[sheet].replace(b"</sheetData>",
                                        b'<row r="1000000"><c r="NTP1000000" t="inlineStr"><is><t>end</t></is></c>'
                                        b"</row></sheetData>")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    pages = list(read_pages(path))
    assert [[c.text for c in r.cells] for r in pages[0]] == [["项目名称", "综合业务费"], ["end"]]
    assert pages[0][1].cells[0].lines[0].cell == "Sheet!NTP1000000"


def test_too_many_cells_refused(tmp_path, monkeypatch):
    from jixiao.readers import cells

    monkeypatch.setattr(cells, "MAX_CELLS", 1000)
    page = tmp_path / "many.html"
    page.write_text("<table>" + "<tr><td>a</td><td>b</td></tr>" * 600 + "</table>", encoding="utf-8")
    assert "more than 1,000 cells" in _error(page)


def test_help_imports_no_format_library():
    code = ("import sys; from typer.testing import CliRunner; from jixiao.cli import app; "
            "CliRunner().invoke(app, ['--help']); "
            "print([m for m in ('lxml', 'openpyxl', 'docx', 'xlrd') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
