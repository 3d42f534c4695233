"""Text exports in the shapes the issue names: encodings, line ends, and flattened cells."""

import re

import pytest

from conftest import FIXTURES, GOLD, score
from jixiao.pipeline import extract_file

SEED = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8") 
FULL = "field-F1 1.000 (precision 1.000, recall 1.000, tables matched 7/7)"


def _tables(path):
    return [t.model_dump(mode="json") for t in extract_file(path)]


@pytest.mark.parametrize("encoding,bom,newline", [
    ("utf-8", b"", "\n"),
    ("utf-8", b"\xef\xbb\xbf", "\n"),
    ("utf-8", b"\xef\xbb\xbf", "\r\n"),
    ("gb18030", b"", "\r\n"),
    ("gbk", b"", "\n"),
])
def test_encodings_and_line_ends(tmp_path, encoding, bom, newline):
    path = tmp_path / "export.txt"
    path.write_bytes(bom + SEED.replace("\n", newline).encode(encoding))
    assert score(GOLD, _tables(path), tmp_path).strip().endswith(FULL)


FLATTENED = {
    # cells separated by ' | ' (spreadsheet exports)
    "pipes": lambda line: re.sub(r"(?<=\S)[ \u3000]+(?=\S)", " | ", line),
    # tab separated
    "tabs": lambda line: re.sub(r"(?<=\S)[ \u3000]+(?=\S)", "\t", line),
    # one cell per line
    "one_cell_per_line": lambda line: re.sub(r"[ \u3000]+", "\n", line.strip()),
    # cells run together with nothing between them
    "run_together": lambda line: re.sub(r"[ \u3000]+", "", line),
}


@pytest.mark.parametrize("shape", FLATTENED)
def test_flattened_cells(tmp_path, shape):
    path = tmp_path / f"{shape}.txt"
    path.write_text("\n".join(FLATTENED[shape](line) for line in SEED.split("\n")), encoding="utf-8")
    assert score(GOLD, _tables(path), tmp_path).strip().endswith(FULL)


def test_ascii_punctuation(tmp_path):
    """指标1: and (万元) read like their full-width forms; other characters stay as printed."""
    ascii_text = SEED.replace("：", ":").replace("（", "(").replace("）", ")")
    path = tmp_path / "ascii.txt"
    path.write_text(ascii_text, encoding="utf-8")
    tables = _tables(path)
    assert [t["project_name"] for t in tables][:3] == ["财政核定做实职业年金", "网评工作经费", "综合业务费"]
    assert tables[0]["funds"]["total_own_level"] == 4.83
    assert tables[0]["indicators"][0]["name"] == "做实职业年金缴纳人数"
    assert sum(len(t["indicators"]) for t in tables) == 56
    # the goal that prints brackets keeps them in the form the file has
    assert "乡镇(街道)" in tables[6]["overall_goals"][1]


def test_form_feed_is_a_page_break(tmp_path):
    path = tmp_path / "ff.txt"
    path.write_text("前言\f" + SEED.split("\n\n\n\n")[0], encoding="utf-8")
    tables = _tables(path)
    assert len(tables) == 1 and tables[0]["project_name"] == "财政核定做实职业年金"
    assert tables[0]["evidence"]["project_name"]["line"] == 4
