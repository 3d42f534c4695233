"""Test helpers: the repository's own fixtures (tests/data), scoring against gold, and a small PDF table drawer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data"
REAL = FIXTURES / "real"
GOLD = FIXTURES / "seed-gold.json"


def score(gold: Path, pred: list[dict] | Path, tmp_path: Path) -> str:
    """The output of jixiao.score (misses, then the field-F1 line) for a prediction (list of tables or a file)."""
    if not isinstance(pred, Path):
        path = tmp_path / "pred.json"
        path.write_text(json.dumps(pred, ensure_ascii=False), encoding="utf-8")
        pred = path
    out = subprocess.run([sys.executable, "-m", "jixiao.score", str(gold), str(pred), "--verbose"],
                         capture_output=True, text=True)
    return out.stdout


def read_one_table(tmp_path: Path, text: str):
    """The one table of a text export written in a test."""
    from jixiao.pipeline import extract_file

    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    tables = list(extract_file(path))
    assert len(tables) == 1
    return tables[0]


def indicator_rows(table) -> list[tuple]:
    return [(i.level1, i.level2, i.name, i.value_text, i.operator, i.value, i.unit) for i in table.indicators]


def draw_table(page: pymupdf.Page, rows: list[list[tuple[str, float, int]]], top: float = 60,
               left: float = 40, row_h: float = 18, fontsize: float = 8) -> float:
    """Draw a ruled table: each row is a list of (text, width, rowspan) cells; '' for no cell text.

    A cell with rowspan > 1 covers the rows below; those rows simply leave its width out of their
    own list, as Word does.  Returns the y below the table.
    """
    font = pymupdf.Font("cjk")
    occupied: dict[int, list[tuple[float, float]]] = {}
    y = top
    for r, cells in enumerate(rows):
        x = left
        for text, width, span in cells:
            while any(a <= x + 0.1 < b for a, b in occupied.get(r, [])):
                x = next(b for a, b in occupied[r] if a <= x + 0.1 < b)
            rect = pymupdf.Rect(x, y, x + width, y + row_h * span)
            page.draw_rect(rect, width=0.5)
            if text:
                tw = pymupdf.TextWriter(page.rect)
                tw.fill_textbox(rect + (2, 2, -2, -2), text, font=font, fontsize=fontsize)
                tw.write_text(page)
            for k in range(1, span):
                occupied.setdefault(r + k, []).append((x, x + width))
            x += width
        y += row_h
    return y


# -- recorded model traffic (vcrpy through pytest-recording) ---------------------------------
# Cassettes are recorded from real OpenAI-compatible servers on this machine by
# scripts/record_cassettes.sh and replayed offline (record mode "none", the default).

SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie"]


def _scrub_response(response):
    for name in list(response.get("headers", {})):
        if name.lower() in ("set-cookie", "openai-organization", "openai-project", "x-request-id"):
            del response["headers"][name]
    return response


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": SECRET_HEADERS,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        # the prompt is part of the body, so a changed prompt needs a re-recording
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(ROOT / "cassettes" / request.module.__name__.split(".")[-1])


def descendants(pid: int) -> dict[int, str]:
    """Processes started (directly or not) by `pid`, with their command lines (Ray's actors show
    `ray::FileReader` there, --jobs workers the run's own when forked, `multiprocessing.spawn` when spawned)."""
    parents, cmds = {}, {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            parents[int(p.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            cmds[int(p.name)] = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = {}, {pid}
    while frontier:
        frontier = {c for c, par in parents.items() if par in frontier and c not in found}
        found.update({c: cmds.get(c, "") for c in frontier})
    return found
