"""No silent misreading on a scan: the four kinds of wrong value the real scans showed
(tests/test_real_scans.py) each get a finding, on made-up tables of the same shape, and the same
shapes read from a text layer (where nothing was lost) get none.

- a number that starts with a bare point ('.95'): OCR made a point of a speck, and was sure of it;
- a header value standing where its label should be (OCR missed the label, wrapped in a narrow
  cell): the value reached no field;
- options printed with tick boxes and none read as ticked, on a scan: the tick (■) was lost;
- a sign-off row under the grid (盖章, a blank date) is no indicator (tests/test_real_pdfs.py).
"""

from __future__ import annotations

import copy

from test_review import CLEAN, _table

from jixiao.check import check, verify
from jixiao.chunk import chunk_rows
from jixiao.extract import RulesExtractor, doubts
from jixiao.findings import ReviewConfig
from jixiao.models import ExtractedTable, Provenance
from jixiao.readers import read_pages


def _speck_table(value_text: str, confidence: float) -> ExtractedTable:
    data = copy.deepcopy(CLEAN)
    data["indicators"][1].update(value_text=value_text, operator="≥", value=float(value_text.lstrip("≥")), unit=None)
    return ExtractedTable.model_validate({**_table(data).model_dump(), "evidence": {
        "indicators[1].value_text": {"page": 1, "bbox": None, "line": None, "confidence": confidence}}})


def test_a_number_starting_with_a_bare_point_on_a_scan_is_checked_however_sure_ocr_was():
    v = verify(_speck_table("≥.95", 0.97), "t", None, ReviewConfig())
    (f,) = [f for f in v.findings if f.rule == "OCR-01"]
    assert f.indicator == "服务质量合格率" and "“.95”以小数点开头" in f.message
    # the same value read as surely, without the point, is no finding; nor is a decimal number
    for fine in ("≥95", "≥0.95"):
        assert not [f for f in verify(_speck_table(fine, 0.97), "t", None, ReviewConfig()).findings if f.rule == "OCR-01"]


def _read_as(tmp_path, text: str, scanned: bool):
    """A text export's table, its lines marked as OCR'd (with confidences) when `scanned`."""
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    pages = list(read_pages(path))
    if scanned:
        for rows in pages:
            for r in rows:
                for c in r.cells:
                    for ln in c.lines:
                        ln.conf = 0.99

    def prov(pages, used):
        return Provenance(source_file=str(path), sha256="0" * 64, pages=pages, table_index=0, backend=used, tool_version="0")

    (table,) = [t for rd in RulesExtractor().readings(chunk_rows(iter(pages)), str(path), prov) for t in rd.tables]
    (checked,) = check([(table, None, None)])
    return table, [f for f in checked.findings if f.rule == "EXTRACT-01"]


TICKS = """项目支出绩效目标表
项目名称 | 某区道路养护
主管部门 | 某区交通运输局
项目属性 | {attr} | 项目期 | 2024年
年度资金总额 | 30
一级指标 | 二级指标 | 三级指标 | 指标值
产出指标 | 数量指标 | 道路养护里程 | 30公里
满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥90%
"""


def test_tick_boxes_with_no_tick_read_on_a_scan_are_said(tmp_path):
    table, flags = _read_as(tmp_path, TICKS.format(attr="持续性项目新增性项目口"), scanned=True)
    assert table.project_attribute == "持续性项目新增性项目口" and "持续性项目新增性项目口" in table.reading.unknown_labels
    assert len(flags) == 1 and "持续性项目新增性项目口" in flags[0].message
    # a tick that was read chooses the option, and nothing is said
    table, flags = _read_as(tmp_path, TICKS.format(attr="持续性项目■新增性项目口"), scanned=True)
    assert table.project_attribute == "持续性项目" and not flags
    # from a text layer the characters are the document's own: no box ticked is what it says (ATTR-01's business)
    table, flags = _read_as(tmp_path, TICKS.format(attr="持续性项目□新增性项目□"), scanned=False)
    assert not flags and not doubts(table.reading)


ORPHAN = """抗疫特别国债项目绩效目标表
项目名称 | 2020年非营利性民办园房租补贴
{dept} | 项目预算金额(万元) | 193.8
绩效目标 | 保障补贴对象享受房租补贴的权益
一级指标 | 二级指标 | 三级指标 | 指标值
产出指标 | 数量指标 | 补贴民办幼儿园数量 | 20个
满意度指标 | 服务对象满意度指标 | 受益租户满意度 | ≥95%
"""


def test_a_header_value_whose_label_was_lost_is_a_lost_value(tmp_path):
    table, flags = _read_as(tmp_path, ORPHAN.format(dept="天津市宁河区教育局"), scanned=True)
    assert table.competent_department is None and table.reading.lost_values == ["天津市宁河区教育局"]
    assert len(flags) == 1 and flags[0].severity == "错误" and "天津市宁河区教育局" in flags[0].message
    # with its label the value is read, and nothing is said
    table, flags = _read_as(tmp_path, ORPHAN.format(dept="主管预算部门 | 天津市宁河区教育局"), scanned=False)
    assert table.competent_department == "天津市宁河区教育局" and not flags
