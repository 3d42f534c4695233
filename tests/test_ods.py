"""OpenDocument spreadsheets (.ods) read cell for cell (issue #11).

The workbooks are written here as the XML LibreOffice writes (content.xml zipped with its
mimetype first): merged cells spanned, covered cells, runs of empty cells and rows repeated.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from conftest import GOLD, score
from jixiao.document import InputError
from jixiao.pipeline import extract_file
from jixiao.readers import SUFFIXES, read_pages
from seedgrid import seed_grids

TITLE, GRIDS = seed_grids()

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3"')


def write_ods(path: Path, sheets: list[str], styles: str = "") -> Path:
    """A .ods of the given <table:table> elements, as LibreOffice zips it (mimetype first, stored)."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
               f"<office:automatic-styles>{styles}</office:automatic-styles>"
               f"<office:body><office:spreadsheet>{''.join(sheets)}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _cell(lines: list[str], rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' table:number-rows-spanned="{rowspan}"' if rowspan > 1 else "") + \
            (f' table:number-columns-spanned="{colspan}"' if colspan > 1 else "")
    paras = "".join(f"<text:p>{escape(x)}</text:p>" for x in lines)
    return f'<table:table-cell office:value-type="string"{attrs}>{paras}</table:table-cell>'


def seed_ods(path: Path) -> Path:
    """The seed's seven tables, one sheet a project, the title merged over the first row."""
    sheets = []
    for k, (cells, nrows, ncols) in enumerate(GRIDS, 1):
        rows = [f'<table:table-row>{_cell([TITLE], 1, ncols)}'
                f'<table:covered-table-cell table:number-columns-repeated="{ncols - 1}"/>'
                '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>']
        covered = {(r, c) for x in cells for r in range(x.row, x.row + x.rowspan)
                   for c in range(x.col, x.col + x.colspan) if (r, c) != (x.row, x.col)}
        starts = {(x.row, x.col): x for x in cells}
        for r in range(nrows):
            out, c = [], 0
            while c < ncols:
                if (r, c) in covered:
                    out.append("<table:covered-table-cell/>")
                elif (r, c) in starts and starts[(r, c)].lines:
                    x = starts[(r, c)]
                    out.append(_cell(x.lines, x.rowspan, x.colspan))
                else:
                    run = 1  # empty cells in a row are one element repeated, as LibreOffice writes them
                    while c + run < ncols and (r, c + run) not in covered and not (
                            (r, c + run) in starts and starts[(r, c + run)].lines):
                        run += 1
                    out.append(f'<table:table-cell table:number-columns-repeated="{run}"/>' if run > 1
                               else "<table:table-cell/>")
                    c += run
                    continue
                c += 1
            rows.append(f"<table:table-row>{''.join(out)}</table:table-row>")
        rows.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                    'table:number-columns-repeated="1024"/></table:table-row>')
        sheets.append(f'<table:table table:name="项目{k}"><table:table-column table:number-columns-repeated="1024"/>'
                      f"{''.join(rows)}</table:table>")
    return write_ods(path, sheets)


def tables(path: Path) -> list[dict]:
    return [json.loads(t.model_dump_json()) for t in extract_file(path)]


def test_ods_is_a_known_suffix():
    assert ".ods" in SUFFIXES


def test_seed_as_ods_reads_at_f1_1_with_cell_evidence(tmp_path):
    got = tables(seed_ods(tmp_path / "seed.ods"))
    out = score(GOLD, got, tmp_path)
    assert "field-F1 1.000" in out, out
    ev = got[1]["evidence"]  # sheet 项目2; the title is row 1, so the grid is one row lower
    assert ev["project_name"]["cell"] == "项目2!C2" and ev["project_name"]["page"] == 2
    assert ev["indicators[0].value_text"]["cell"] == "项目2!G10"
    assert got[1]["provenance"]["pages"] == [2]


def _sheet(name: str, rows: str, style: str | None = None, columns: str = "") -> str:
    st = f' table:style-name="{style}"' if style else ""
    return f"<table:table table:name={quoteattr(name)}{st}>{columns}{rows}</table:table>"


def rows_of(path: Path) -> list[list[tuple[str, str]]]:
    return [[(c.text, c.lines[0].cell) for r in page for c in r.cells] for page in read_pages(path)]


def test_shown_values_formulas_spans_hidden_and_repeats(tmp_path):
    hidden_style = ('<style:style style:name="ta2" style:family="table">'
                    '<style:table-properties table:display="false"/></style:style>')
    rows = (
        # the shown text wins over office:value; a formula is its cached value, never evaluated
        '<table:table-row><table:table-cell office:value-type="float" office:value="4.8300000001">'
        '<text:p>4.83</text:p></table:table-cell>'
        '<table:table-cell office:value-type="percentage" office:value="0.95"><text:p>95%</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=[.A1]*1000" office:value-type="float" office:value="12">'
        "<text:p>12</text:p></table:table-cell>"
        # a cell without paragraphs shows its typed value; a comment on a cell is not its value
        '<table:table-cell office:value-type="float" office:value="0.1"/>'
        '<table:table-cell office:value-type="string"><office:annotation><text:p>批注</text:p></office:annotation>'
        "<text:p>年度<text:s text:c=\"2\"/>目标<text:line-break/>第二行</text:p></table:table-cell></table:table-row>"
        # a merged cell spanning two rows and two columns
        '<table:table-row><table:table-cell table:number-rows-spanned="2" table:number-columns-spanned="2">'
        '<text:p>合并</text:p></table:table-cell><table:covered-table-cell/>'
        "<table:table-cell><text:p>右</text:p></table:table-cell></table:table-row>"
        '<table:table-row table:visibility="collapse"><table:covered-table-cell table:number-columns-repeated="2"/>'
        "<table:table-cell><text:p>隐藏</text:p></table:table-cell></table:table-row>"
        # a filled cell repeated across three columns, in a row repeated twice: six cells
        '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3">'
        "<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    columns = '<table:table-column/><table:table-column/><table:table-column table:visibility="collapse"/>'
    path = write_ods(tmp_path / "f.ods", [_sheet("表 一", rows, columns=columns),
                                          _sheet("隐藏表", "<table:table-row><table:table-cell><text:p>藏</text:p>"
                                                 "</table:table-cell></table:table-row>", "ta2")], hidden_style)
    pages = rows_of(path)
    assert pages[0] == [
        ("4.83", "'表 一'!A1"), ("95%", "'表 一'!B1"), ("12", "'表 一'!C1（隐藏列）"), ("0.1", "'表 一'!D1"),
        ("年度 目标第二行", "'表 一'!E1"),
        ("合并", "'表 一'!A2"), ("右", "'表 一'!C2（隐藏列）"),
        ("隐藏", "'表 一'!C3（隐藏行）（隐藏列）"),
        ("x", "'表 一'!A4"), ("x", "'表 一'!B4"), ("x", "'表 一'!C4（隐藏列）"),
        ("x", "'表 一'!A5"), ("x", "'表 一'!B5"), ("x", "'表 一'!C5（隐藏列）"),
    ]
    assert pages[1] == [("藏", "隐藏表!A1（隐藏工作表）")]
    merged = next(c for r in list(read_pages(path))[0] for c in r.cells if c.text == "合并")
    assert merged.bbox[2] - merged.bbox[0] == 2 * 100.0 and merged.bbox[3] - merged.bbox[1] == 2 * 20.0


def test_declared_huge_sheet_costs_nothing_and_a_repeat_bomb_is_refused(tmp_path):
    # 10^6 empty rows of 10^4 empty cells declared, then one cell: read by its position only
    big = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
           'table:number-columns-repeated="10000"/></table:table-row>'
           '<table:table-row><table:table-cell table:number-columns-repeated="9999"/>'
           "<table:table-cell><text:p>end</text:p></table:table-cell></table:table-row>")
    path = write_ods(tmp_path / "dim.ods", [_sheet("S", big)])
    assert rows_of(path) == [[("end", "S!NTP1000001")]]
    # a filled cell repeated 10^4 times in a row repeated 10^6 times: 10^10 cells, refused at once
    bomb = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
            'table:number-columns-repeated="10000"><text:p>x</text:p></table:table-cell></table:table-row>')
    path = write_ods(tmp_path / "bomb.ods", [_sheet("S", bomb)])
    with pytest.raises(InputError, match="refused as too large"):
        list(read_pages(path))


def test_corrupt_ods_is_one_line_naming_it(tmp_path):
    def error(p: Path) -> str:
        with pytest.raises(InputError) as e:
            list(read_pages(p))
        assert "\n" not in str(e.value)
        return str(e.value)

    (tmp_path / "a.ods").write_bytes(b"not a zip at all" * 20)
    assert "neither a zip" in error(tmp_path / "a.ods")
    good = seed_ods(tmp_path / "good.ods").read_bytes()
    (tmp_path / "t.ods").write_bytes(good[: len(good) // 2])
    assert "damaged .ods" in error(tmp_path / "t.ods")
    with zipfile.ZipFile(tmp_path / "x.ods", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content><unclosed>")
    assert "damaged .ods" in error(tmp_path / "x.ods")
    with zipfile.ZipFile(tmp_path / "pad.ods", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("content.xml", b"<a/>" + b" " * (80 * 2**20))
    assert "refused" in error(tmp_path / "pad.ods")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", str(tmp_path / "t.ods"), "-o",
                          str(tmp_path / "out")], capture_output=True, text=True)
    err = [ln for ln in out.stderr.splitlines() if "error" in ln]
    assert out.returncode == 1 and len(err) == 1 and "t.ods" in err[0] and "damaged .ods" in err[0], out.stderr
