"""The real published tables (tests/data/real/): field-F1 of the rules reading against hand-made
gold, EXTRACT-01 on the readings that fall short, and `jixiao run` against `jixiao review` of
the gold tables end to end.

Each real-NN.txt starts with a 3-line '# ' header the tool never sees in real use: it is
stripped into a copy of the same name before reading.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jixiao.report import read_findings

from jixiao.pipeline import extract_file
from jixiao.score import compare

REAL = Path(__file__).parent / "data" / "real"
FILES = sorted(REAL.glob("real-*.txt"))

# The goal is a mean of 0.98 with no file below 0.90; these floors are what the reader
# reaches today (see bench/real.py), so that a change that reads the corpus worse fails here.
MEAN_FLOOR = 0.83


def stripped(src: Path, folder: Path) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    assert all(x.startswith("# ") for x in lines[:3])
    out = folder / src.name
    out.write_text("".join(lines[3:]), encoding="utf-8")
    return out


def gold_of(src: Path) -> list[dict]:
    return json.loads(src.with_name(src.stem + ".gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def readings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    out = {}
    for src in FILES:
        tables = list(extract_file(stripped(src, folder)))
        f1 = compare(gold_of(src), [json.loads(t.model_dump_json()) for t in tables])[2]
        out[src.stem] = (f1, tables)
    return out


def test_real_corpus_is_read_at_the_floor(readings):
    scores = {k: f1 for k, (f1, _t) in readings.items()}
    assert len(scores) == 15
    assert sum(scores.values()) / len(scores) >= MEAN_FLOOR, scores


def test_every_real_table_is_matched_or_flagged(readings):
    """A table read badly must say so: below 0.95 it carries a reading the checker flags."""
    for name, (f1, tables) in readings.items():
        if f1 < 0.95:
            assert tables and all(t.reading is not None and (t.reading.lost_values or t.reading.unknown_labels
                                                             or t.reading.coverage < 0.5) for t in tables), name


def test_seed_text_reading_is_not_flagged():
    tables = list(extract_file(Path(__file__).parent / "data" / "seed-tables.txt"))
    assert tables
    assert all(not t.reading.lost_values and not t.reading.unknown_labels and t.reading.coverage >= 0.5 for t in tables)


def _jixiao(*args):
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True)


def _findings(folder: Path) -> set[tuple]:
    data = read_findings(folder / "findings.json")
    return {(f["table"], f["rule"], f["indicator"]) for f in data if not f["rule"].startswith("EXTRACT")}


@pytest.mark.slow
def test_run_on_the_corpus_agrees_with_review_of_the_gold(tmp_path):
    """Findings of `jixiao run` on the pages vs `jixiao review` of the gold tables as extractions."""
    pages = tmp_path / "pages"
    pages.mkdir()
    results = []
    for src in FILES:
        copy = stripped(src, pages)
        gold = [dict(t, provenance={"source_file": str(copy), "sha256": "", "pages": [], "table_index": i,
                                    "backend": "rules", "tool_version": "gold"}, evidence={}, notes=[])
                for i, t in enumerate(gold_of(src))]
        path = tmp_path / f"{src.stem}.gold-result.json"
        path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
        results.append(path)
    _jixiao("run", pages, "-o", tmp_path / "run")
    _jixiao("review", *results, "-o", tmp_path / "review")
    got, want = _findings(tmp_path / "run"), _findings(tmp_path / "review")
    tp = len(got & want)
    f1 = 2 * tp / (len(got) + len(want)) if got or want else 1.0
    print(f"end-to-end findings F1 {f1:.3f}")
    assert f1 >= E2E_FLOOR, (sorted(want - got)[:20], sorted(got - want)[:20])


# The goal is 0.9; this is what today's reading reaches (it rises with the field-F1).
E2E_FLOOR = 0.78
