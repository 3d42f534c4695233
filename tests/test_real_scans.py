"""Real tables printed and scanned: the scan path measured on real layouts, not only on the seed's.

Four tables of tests/data/real/ are laid out by PyMuPDF's HTML renderer from their web pages, printed
at 200 dpi, degraded as the seed's scan fixture was (scripts/make_fixtures.py's degrade()) and put
back as image-only PDF pages (tests/realscan.py), then read with `--ocr auto` and scored against
their gold.  Nothing binary is committed: the scans are built here.

Measured (RapidOCR, 2 cores; bench/real_scans.py prints the same):
    real-02 (2 pages) 1.000   real-03 0.981   real-11 0.991   real-14 0.986   mean 0.989
The printed text PDFs themselves read 0.371 / 0.988 / 1.000 / 1.000: real-02's text layer reads
worse than its scan (not this test's subject).
"""

from __future__ import annotations

import json
import re

import pytest
from realscan import REAL, scanned

from jixiao.check import check
from jixiao.pipeline import extract_with_chunks
from jixiao.score import compare
from jixiao.settings import ReadOptions

pytestmark = pytest.mark.slow

TABLES = ["real-02", "real-03", "real-11", "real-14"]
FLOOR = 0.97  # every table; measured 0.981 at the lowest (real-03)
FLAGS = ("OCR-01", "EXTRACT-01", "COUNT-01", "GROUND")

# Values read wrongly that no OCR/EXTRACT/COUNT/GROUND finding points to, as measured.  The gap is
# real: a person reading only those findings would not be sent to these cells.
#  - real-11 value '.95' for '95': a speck read as a point; RapidOCR's confidence on it is not low
#    enough for OCR-01, and '.95' is a well-formed number.
#  - real-14 competent_department missing: the 主管预算部门 label and its value wrap to three lines
#    each in their narrow cells; the scan's line reading does not join them (the text layer does).
#    Only COMP-01 (主管部门 not filled) fires, which points at the cell but blames the form.
#  - real-03 project_attribute '持续性项目新增性项目口': the page marks the ticked option with ■ and the
#    other with 口; the scan loses the ■, so both options run together; ATTR-01 (not in the list)
#    flags it as outside the allowed values.
#  - real-03 an extra indicator from the signature line under the table (财政绩效管理科室(盖章)年月日),
#    which the text reading of the same page also takes; REL-03 flags it, not an OCR rule.
KNOWN_UNFLAGGED = {
    "real-11": {"ind[效益指标/可持续影响指标/项目维持时效].value_text"},
    "real-14": {"competent_department"},
    "real-03": {"project_attribute", "ind[满意度指标/服务对象满意度指标/财政资金管理科室(盖章)年月日]",
                "ind[满意度指标/服务对象满意度指标/财政资金管理科室(盖章)年月日].value_text"},
}


@pytest.fixture(scope="module")
def readings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realscans")
    out = {}
    for stem in TABLES:
        pairs = list(extract_with_chunks(scanned(stem, folder), read=ReadOptions(ocr="auto")))
        gold = json.loads((REAL / f"{stem}.gold.json").read_text(encoding="utf-8"))
        _p, _r, f1, _m, lines = compare(gold, [json.loads(t.model_dump_json()) for _c, t in pairs], verbose=True)
        out[stem] = (f1, lines, pairs)
    return out


def test_real_scans_read_at_the_floor(readings):
    scores = {k: round(f1, 3) for k, (f1, _l, _p) in readings.items()}
    assert all(f1 >= FLOOR for f1 in scores.values()), (scores, {k: v[1] for k, v in readings.items()})
    assert sum(scores.values()) / len(scores) >= 0.98, scores


def _unflagged(lines: list[str], pairs) -> set[str]:
    """The fields read wrongly (MISS/EXTRA lines of jixiao.score) that no OCR/EXTRACT/COUNT/GROUND
    finding points to: by indicator name, by the wrong text quoted in its message, or table-wide."""
    findings = [f for c in check([(t, ch, None) for ch, t in pairs]) for f in c.findings
                if f.rule.startswith(FLAGS)]
    if any(f.rule in ("EXTRACT-01", "COUNT-01") for f in findings):
        return set()
    names = {f.indicator for f in findings if f.indicator}
    text = " ".join(f.message for f in findings)
    out = set()
    for line in lines:
        m = re.match(r"(?:MISS|EXTRA) .*? ((?:ind\[(?:[^/\]]*/){2}([^\]]*)\]|[a-z_]+(?:\[\d+\])?)\S*?):? (?:gold=.*got=(.*)|(.*))$", line)
        assert m, line
        key, name, got = m.group(1), m.group(2), m.group(3) or m.group(4) or ""
        got = got.strip("'")
        if name and name in names:
            continue
        if got and got not in ("None", "<absent>", "True") and got in text:
            continue
        out.add(key)
    return out


def test_values_read_wrongly_are_flagged_but_for_the_known_gaps(readings):
    gaps = {k: _unflagged(lines, pairs) for k, (_f, lines, pairs) in readings.items()}
    # no new silent misreading: anything read wrongly without a finding is one of the known gaps
    # (listed in the README and the closing notes of issue #10, to be fixed, not to be kept)
    for stem, got in gaps.items():
        assert got <= KNOWN_UNFLAGGED.get(stem, set()), (stem, got, readings[stem][1])
