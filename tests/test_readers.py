"""The readers, section by section: text decoding and cell splitting, rows from positioned lines."""

import codecs

import pytest

from jixiao.document import Cell, InputError, Line
from jixiao.readers import read_pages
from jixiao.readers.grid import Rulings
from jixiao.readers.layout import layout
from jixiao.readers.text import decode, looks_like_text, split_cells


@pytest.mark.parametrize("data", [
    "项目名称 | 网评工作经费".encode("utf-8"),
    codecs.BOM_UTF8 + "项目名称 | 网评工作经费".encode("utf-8"),
    "项目名称 | 网评工作经费".encode("utf-16"),
    "项目名称 | 网评工作经费".encode("gbk"),
])
def test_text_is_decoded_whatever_its_encoding(data):
    assert looks_like_text(data[:1024])
    assert decode(data) == "项目名称 | 网评工作经费"


def test_binary_is_not_text():
    assert not looks_like_text(b"\x00\x01\x02PK\x03\x04" * 20)


@pytest.mark.parametrize("line, cells", [
    ("项目名称 | 网评工作经费 | 主管部门", ["项目名称", "网评工作经费", "主管部门"]),
    ("| 一级指标\t二级指标 |", ["一级指标", "二级指标"]),
    ("指标1：职工满意度 ≥90%", ["指标1：职工满意度 ≥90%"]),  # no separator: one cell, split later by the extractor
])
def test_cells_are_split_on_pipes_and_tabs_only(line, cells):
    assert split_cells(line) == cells


def test_text_pages_break_on_form_feeds_and_keep_line_numbers(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("表一\n项目名称 | 甲\n\f表二\n项目名称 | 乙\n", encoding="utf-8")
    pages = list(read_pages(path))
    assert [[r.text for r in p] for p in pages] == [["表一", "项目名称 | 甲"], ["表二", "项目名称 | 乙"]]
    assert pages[1][1].cells[1].lines[0].lineno == 4


def test_lines_in_one_ruled_cell_join_and_loose_lines_stand_alone():
    # two ruled cells side by side: x 0-100 and 100-200, y 0-40; a wrapped name in the left one
    vectors = [dict(isrect=True, bbox=b) for b in [(0, 0, 200, 0.5), (0, 40, 200, 40.5), (0, 0, 0.5, 40),
                                                  (100, 0, 100.5, 40), (200, 0, 200.5, 40)]]
    lines = [Line("做实职业年", 1, (5, 5, 90, 15), None), Line("金缴纳人数", 1, (5, 20, 90, 30), None),
             Line("10人", 1, (105, 12, 150, 22), None), Line("单位：万元", 1, (5, 60, 80, 70), None)]
    rows = layout(lines, [ln.bbox for ln in lines], Rulings(vectors))
    texts = [[c.text for c in r.cells] for r in rows]
    assert texts == [["做实职业年金缴纳人数", "10人"], ["单位：万元"]]
    assert rows[0].ruled and isinstance(rows[0].cells[0], Cell) and len(rows[0].cells[0].lines) == 2


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "empty file"),
    ("fake.pdf", b"hello", "not a PDF"),
    ("fake.png", b"hello", "not a PNG image"),
    ("blob.bin", b"\x00\x01\x02" * 100, "unsupported file type .bin"),
])
def test_unreadable_inputs_are_one_line_naming_why(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as e:
        list(read_pages(path))
    assert "\n" not in str(e.value)
