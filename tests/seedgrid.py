"""The seed's seven tables as logical grids (cells with row/column spans), for writing them as
HTML, spreadsheets and Word documents in tests.  The grid is the one scripts/make_fixtures.py
draws the seed PDFs from (the official template: merged fund label, level-1 and level-2 cells)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SeedCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    lines: list[str]


def _fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def seed_grids() -> tuple[str, list[tuple[list[SeedCell], int, int]]]:
    """The title and, for each table, (cells, rows, columns) on a grid of column boundaries."""
    mf = _fixtures()
    text = (ROOT / "tests" / "data" / "seed-tables.txt").read_text(encoding="utf-8")
    tables = [mf.parse_table(b) for b in mf.split_tables(text)]
    layout = mf.make_layout(tables, 8)
    out = []
    for t in tables:
        grid = mf.build_grid(t, layout)
        xs = sorted({round(c[k], 3) for c in grid["cells"] for k in ("x0", "x1")})
        cells = [SeedCell(c["r0"], xs.index(round(c["x0"], 3)), c["r1"] - c["r0"],
                          xs.index(round(c["x1"], 3)) - xs.index(round(c["x0"], 3)), c["lines"])
                 for c in grid["cells"]]
        out.append((cells, grid["nrows"], len(xs) - 1))
    return mf.TITLE, out
