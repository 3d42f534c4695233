"""review.html shows the source table itself where there is no page image (issue #11): a window of
the sheet, web table, Word table or text export around a value, its cell highlighted.

Grids are read back from review.html with lxml, and each highlighted cell's place is worked out here
from the grid's own row labels, rowspans and colspans.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from conftest import ROOT
from jixiao.report_grid import ROWS_AROUND, _table_grids
from test_formats import seed_docx, seed_html, seed_xlsx

PROJECT = "财政核定做实职业年金"  # table 1's 项目名称
HOSTILE = '<img src=x onerror="alert(1)">&amp;</td></table>'


def jixiao(*args):
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True)


def grids(page: Path) -> dict[str, lxml.html.HtmlElement]:
    """Each grid of review.html by the location in its summary."""
    doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
    out = {}
    for d in doc.xpath('//details[@class="grid"]'):
        where = d.find("summary").text_content().removeprefix("查看原表位置（").removesuffix("）")
        out[where] = d.find("table")
    return out


def placed(table) -> dict[tuple[str, int], tuple[str, bool]]:
    """(row label, column position counting from 1) -> (text, highlighted), following the spans."""
    busy: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    out = {}
    for tr in table.findall("tr"):
        label = tr.find("th").text_content()
        col = 1
        for td in tr.findall("td"):
            while busy.get(col, 0) > 0:
                col += 1
            rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            texts = [t.strip() for t in td.itertext()]
            out[(label, col)] = ("\n".join(t for t in texts if t), td.get("class") == "hit")
            for k in range(cs):
                busy[col + k] = rs
            col += cs
        busy = {c: n - 1 for c, n in busy.items() if n > 1}
    return out


def hits(table) -> list[tuple[tuple[str, int], str]]:
    return [(at, text) for at, (text, hit) in placed(table).items() if hit]


def hostile_xlsx(path: Path) -> Path:
    """The seed workbook with hostile markup as the title above sheet 1's table."""
    import openpyxl

    seed_xlsx(path)
    wb = openpyxl.load_workbook(path)
    wb["项目1"]["A1"] = HOSTILE
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("grid")
    files = [hostile_xlsx(d / "seed.xlsx"), seed_html(d / "seed.html"), seed_docx(d / "seed.docx")]
    shutil.copy(ROOT / "tests" / "data" / "seed-tables.txt", d / "seed.txt")
    r = jixiao("run", *files, d / "seed.txt", "-o", d / "out")
    assert r.returncode == 0, r.stderr
    return d


@pytest.mark.parametrize("where,row,col", [("项目1!C2", "2", 3), ("表1 R1C3", "R1", 3), ("表1 R1C3 docx", "R1", 3)])
def test_project_name_highlighted_in_its_cell(formats_run, where, row, col):
    page = formats_run / "out" / "review.html"
    found = grids(page)
    if where.endswith("docx"):
        # html and docx both cite 表1 R1C3; the docx project comes later in the page
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        tables = [d.find("table") for d in doc.xpath('//details[@class="grid"]')
                  if d.find("summary").text_content() == "查看原表位置（表1 R1C3）"]
        assert len(tables) == 2
        table = tables[1]
    else:
        table = found[where]
    assert hits(table) == [((row, col), PROJECT)]
    assert placed(table)[(row, 1)][0] == "项目名称"  # the label on the value's left, as in the source


def test_flagged_indicator_values_are_highlighted_where_the_evidence_says(formats_run):
    out = formats_run / "out"
    found = grids(out / "review.html")
    checked = 0
    for name in ("seed.json",):  # the workbook's extraction
        for table in json.loads((out / name).read_text(encoding="utf-8")):
            for k, ind in enumerate(table["indicators"]):
                ev = table["evidence"].get(f"indicators[{k}].value_text")
                if ev is None or ev["cell"] not in found:
                    continue
                sheet, address = ev["cell"].split("!")
                letters = "".join(ch for ch in address if ch.isalpha())
                number = address[len(letters):]
                col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(letters)))
                assert hits(found[ev["cell"]]) == [((number, col), ind["value_text"])], ev["cell"]
                checked += 1
    assert checked >= 20  # the seed's flagged indicators (MEAS-01/02, COST-01, ...)


def test_text_export_line_highlighted(formats_run):
    out = formats_run / "out"
    tables = json.loads((next(p for p in out.glob("seed-*.json")
                              if json.loads(p.read_text(encoding="utf-8"))[0]["provenance"]["source_file"]
                              .endswith("seed.txt"))).read_text(encoding="utf-8"))
    line = tables[0]["evidence"]["project_name"]["line"]
    raw = (ROOT / "tests" / "data" / "seed-tables.txt").read_text(encoding="utf-8").splitlines()
    assert PROJECT in raw[line - 1]
    table = grids(out / "review.html")[f"第{line}行"]
    highlighted = hits(table)
    assert highlighted and all(at[0] == str(line) for at, _text in highlighted)
    assert PROJECT in "".join(text for _at, text in highlighted)
    rows = [tr.find("th").text_content() for tr in table.findall("tr")]
    assert rows == [str(n) for n in range(max(1, line - ROWS_AROUND), line + ROWS_AROUND + 1)]


def test_hostile_cell_is_escaped_in_the_grid(formats_run):
    html = (formats_run / "out" / "review.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and 'onerror="alert' not in html
    title = placed(grids(formats_run / "out" / "review.html")["项目1!C2"])[("1", 1)][0]
    assert title == HOSTILE  # shown as text, whole


def test_source_missing_or_changed_is_said(tmp_path):
    src = seed_xlsx(tmp_path / "seed.xlsx")
    r = jixiao("extract", src, "-o", tmp_path / "x")
    assert r.returncode == 0, r.stderr
    result = tmp_path / "x" / "seed.json"
    import openpyxl

    wb = openpyxl.load_workbook(src)
    wb["项目1"]["A1"] = "改过的标题"
    wb.save(src)
    r = jixiao("review", result, "-o", tmp_path / "changed")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "changed" / "review.html").read_text(encoding="utf-8")
    assert "原件自提取后已改动，不显示原表" in html and 'class="grid"' not in html
    src.unlink()
    r = jixiao("review", result, "-o", tmp_path / "gone")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "gone" / "review.html").read_text(encoding="utf-8")
    assert "原件已不在" in html and 'class="grid"' not in html


def test_a_huge_sheet_shows_a_bounded_window(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r in range(1, 3001):  # 3,000 rows x 60 columns, filled in full around row 2500
        for c in (range(1, 61) if 2480 <= r <= 2520 or r == 3000 else (1,)):
            ws.cell(r, c, f"{r}-{c}")
    ws.merge_cells("Z2490:Z2510")  # a merged cell reaching past both edges of the window
    ws["Z2490"] = "合并"
    path = tmp_path / "big.xlsx"
    wb.save(path)
    grid = _table_grids(path, ["S!AD2500"])["S!AD2500"]
    table = lxml.html.fromstring(str(grid)).find(".//table")
    cells = placed(table)
    rows = sorted({int(r) for r, _c in cells})
    assert rows == list(range(2500 - ROWS_AROUND, 2500 + ROWS_AROUND + 1))
    heads = [th.text_content() for th in table.find("tr").findall("th")][1:]
    assert heads[0] == "T" and heads[-1] == "AN" and len(heads) == 21  # AD (30) ± 10 columns
    assert hits(table) == [((str(2500), 11), "2500-30")]  # the 11th column shown is AD
    # the merged cell starts above the window: it is cut at the window's edges, not left out
    assert cells[(str(2500 - ROWS_AROUND), 7)] == ("合并", False)  # Z is the 7th column shown
    merged = next(td for td in table.iter("td") if td.text_content() == "合并")
    assert merged.get("rowspan") == str(2 * ROWS_AROUND + 1) and merged.get("colspan") is None


def test_grids_count_against_max_crops(tmp_path):
    src = seed_xlsx(tmp_path / "seed.xlsx")
    (tmp_path / "review.toml").write_text("[review]\nmax_crops = 3\n", encoding="utf-8")
    r = jixiao("run", src, "-o", tmp_path / "out", "--config", tmp_path / "review.toml")
    assert r.returncode == 0, r.stderr
    found = grids(tmp_path / "out" / "review.html")
    assert len(found) == 3 and "项目1!C2" in found  # the first project's first, in the report's order
    r = jixiao("run", src, "-o", tmp_path / "none", "--no-images")
    assert r.returncode == 0, r.stderr
    assert grids(tmp_path / "none" / "review.html") == {}


def test_ods_value_highlighted(tmp_path):
    from test_ods import seed_ods

    src = seed_ods(tmp_path / "seed.ods")
    r = jixiao("run", src, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    found = grids(tmp_path / "out" / "review.html")
    assert hits(found["项目1!C2"]) == [(("2", 3), PROJECT)]
    assert hits(found["项目1!G14"]) == [(("14", 7), "当年完成")]  # MEAS-02: no time limit given
