"""One chunk per table, for each page case of the messy PDF and for generated pages."""

import pymupdf
import pytest

from conftest import FIXTURES, draw_table
from jixiao.chunk import chunk_rows
from jixiao.readers import read_pages
from jixiao.readers.pdf import page_rows
from jixiao.pipeline import extract_file

MESSY = FIXTURES / "seed-tables-messy.pdf"


@pytest.fixture(scope="module")
def messy():
    return list(extract_file(MESSY))


def test_one_chunk_per_table(messy):
    assert len(messy) == 7
    assert [t.project_name for t in messy] == [
        "财政核定做实职业年金", "网评工作经费", "综合业务费", "网信专线服务费",
        "网络宣传工作经费", "舆情监测工作经费", "2024年电子政务外网运营维护费"]


def test_two_tables_on_one_page(messy):
    t1, t2 = messy[0], messy[1]
    assert t1.provenance.pages == [1] and t2.provenance.pages == [1]
    assert (t1.provenance.table_index, t2.provenance.table_index) == (0, 1)
    assert len(t1.indicators) == 7 and len(t2.indicators) == 8


def test_rotated_page(messy):
    t4 = messy[3]
    assert t4.provenance.pages == [3]
    assert [i.name for i in t4.indicators][:3] == ["召开网信专题视频会议次数", "网络可用率", "专线故障率"]
    assert t4.indicators[-1].level1 == "满意度指标"


def test_table_continued_on_next_page(messy):
    t5 = messy[4]
    assert t5.provenance.pages == [4, 5]
    assert len(t5.indicators) == 9  # the repeated header row on page 5 adds nothing
    moved = [i for i in t5.indicators if i.name == "群众网络安全、网络诚信意识"]
    assert len(moved) == 1
    # the level-1 cell fragment on page 5 is blank: the label from page 4 carries over
    assert (moved[0].level1, moved[0].level2) == ("效益指标", "可持续影响指标")
    assert t5.evidence[f"indicators[{t5.indicators.index(moved[0])}].name"].page == 5


def test_every_line_keeps_page_and_box():
    chunks = list(chunk_rows(read_pages(MESSY)))
    assert len(chunks) == 7
    for chunk in chunks:
        for row in chunk.rows:
            for cell in row.cells:
                for line in cell.lines:
                    assert line.page in chunk.pages and line.bbox is not None


def _header(name: str, year: str = "2025") -> list:
    return [
        [(f"{year}年项目支出绩效目标表", 500, 1)],
        [("项目名称", 80, 1), (name, 420, 1)],
    ]


def _block(rows: int) -> list:
    out = [[("一级指标", 80, 1), ("二级指标", 80, 1), ("三级指标", 240, 1), ("指标值", 100, 1)]]
    out.append([("产出指标", 80, rows), ("数量指标", 80, rows), ("指标1：培训人次", 240, 1), ("≥100人次", 100, 1)])
    for k in range(2, rows + 1):
        out.append([(f"指标{k}：第{k}项", 240, 1), (f"{k}次", 100, 1)])
    return out


def test_generated_page_with_three_tables(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    y = 40
    for n in range(3):
        y = draw_table(page, _header(f"项目{n + 1}") + _block(2), top=y) + 20
    path = tmp_path / "three.pdf"
    doc.save(path)
    tables = list(extract_file(path))
    assert [t.project_name for t in tables] == ["项目1", "项目2", "项目3"]
    assert [t.provenance.table_index for t in tables] == [0, 1, 2]
    assert all(len(t.indicators) == 2 and t.year == 2025 for t in tables)


def test_generated_continuation_without_repeated_header(tmp_path):
    """A table whose indicator rows run onto the next page with no header there."""
    doc = pymupdf.open()
    draw_table(doc.new_page(), _header("跨页项目") + _block(3))
    draw_table(doc.new_page(), [[("效益指标", 80, 1), ("社会效益指标", 80, 1), ("指标1：群众知晓率", 240, 1), ("≥85%", 100, 1)]])
    path = tmp_path / "cont.pdf"
    doc.save(path)
    (table,) = list(extract_file(path))
    assert table.provenance.pages == [1, 2]
    assert [(i.level2, i.name, i.value) for i in table.indicators][-1] == ("社会效益指标", "群众知晓率", 85)


def test_rotated_content_reads_upright(tmp_path):
    """A page whose /Rotate is set reads like the upright page."""
    doc = pymupdf.open()
    page = doc.new_page()
    draw_table(page, _header("旋转项目") + _block(2))
    page.set_rotation(270)
    path = tmp_path / "rot.pdf"
    doc.save(path)
    (table,) = list(extract_file(path))
    assert table.project_name == "旋转项目" and len(table.indicators) == 2


def test_page_rows_groups_ruled_cells(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    draw_table(page, [[("主管部门", 80, 1), ("县财政局", 160, 1), ("实施单位", 80, 1), ("县财政局", 160, 1)]])
    (row,) = page_rows(page)
    assert [c.text for c in row.cells] == ["主管部门", "县财政局", "实施单位", "县财政局"]
    assert row.ruled


def test_sideways_content_without_rotate_flag(tmp_path):
    """Pages drawn sideways on a landscape sheet (no /Rotate): read upright, cited on the page."""
    src = pymupdf.open(FIXTURES / "seed-tables.pdf")
    out = pymupdf.open()
    for i in range(len(src)):
        page = out.new_page(width=842, height=595)
        page.show_pdf_page(page.rect, src, i, rotate=90)
    path = tmp_path / "sideways.pdf"
    out.save(path)
    tables = list(extract_file(path))
    assert [len(t.indicators) for t in tables] == [7, 8, 8, 8, 9, 9, 7]
    assert tables[0].indicators[0].value_text == "10人"
    ev = tables[0].evidence["indicators[0].value_text"]
    with pymupdf.open(path) as doc:
        assert doc[0].get_textbox(pymupdf.Rect(ev.bbox)).strip() == "10人"


def test_unruled_pdf_falls_back_to_lines(tmp_path):
    """A text-only PDF with no ruling lines reads through the same line rules as text exports."""
    doc = pymupdf.open()
    font = pymupdf.Font("cjk")
    page, y = None, 0
    first_table = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    for line in first_table.split("\n"):
        if page is None or y > 800:
            page, y = doc.new_page(), 40
        if line.strip():
            tw = pymupdf.TextWriter(page.rect)
            tw.append((40, y), line.strip(), font=font, fontsize=8)
            tw.write_text(page)
        y += 10
    path = tmp_path / "unruled.pdf"
    doc.save(path)
    (table,) = list(extract_file(path))
    assert table.project_name == "财政核定做实职业年金"
    assert [i.name for i in table.indicators] == [
        "做实职业年金缴纳人数", "核定做实职业年金缴纳完成率", "职业年金缴纳完成时间", "做实职业年金总额",
        "社会福利保障程度", "提升职工工作积极性及质量", "职工满意度"]
    assert table.funds.fiscal_own_level == 4.83
