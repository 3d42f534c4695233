"""Real tables of tests/data/real/ as printed-and-scanned pages, for the scan path's tests and bench.

Each table's HTML page (tests/realhtml.py's rebuild, or the hand-written tests/data/realhtml/real-NN.html)
is laid out on A4 landscape pages by PyMuPDF's own HTML renderer (`pymupdf.Story`, MuPDF's built-in
CJK font, every cell ruled 1px black with collapsed borders), rasterised at 200 dpi in grey, put
through scripts/make_fixtures.py's `degrade()` (the step that made the seed's scan fixture: a small
turn and shift, blur, grey uneven paper, sensor noise, dust, JPEG q55-75) and put back into a PDF as
an image-only page.  Deterministic: fixed seeds.  Nothing is written to the repository.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pymupdf

from realhtml import page_html

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
HAND = ROOT / "tests" / "data" / "realhtml"
DPI = 200
CSS = """@font-face {font-family: cjk; src: url(cjk.ttf);}
* {font-family: cjk; font-size: 9pt;}
table {border-collapse: collapse;}
td {border: 1px solid black; padding: 2px 3px;}
"""


def _degrade():
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.degrade


def html_of(stem: str) -> str:
    """The table's web page: the hand-written one where there is one, else realhtml's rebuild."""
    hand = HAND / f"{stem}.html"
    if hand.exists():
        text = hand.read_bytes().decode("utf-8")
    else:
        lines = (REAL / f"{stem}.txt").read_text(encoding="utf-8").splitlines(keepends=True)
        text = page_html("".join(lines[3:])).decode("utf-8")
    return re.sub(r"<script.*?</script>", "", text, flags=re.S | re.I)  # Story would print it


def printed(stem: str, out: Path) -> Path:
    """The page as MuPDF prints it: a text PDF, A4 landscape, as many pages as it takes."""
    archive = pymupdf.Archive()
    archive.add(pymupdf.Font("cjk").buffer, "cjk.ttf")
    story = pymupdf.Story(html_of(stem), user_css=CSS, archive=archive)
    writer = pymupdf.DocumentWriter(str(out))
    page = pymupdf.paper_rect("a4-l")
    more = 1
    while more:
        dev = writer.begin_page(page)
        more, _ = story.place(page + (36, 36, -36, -36))
        story.draw(dev)
        writer.end_page()
    writer.close()
    return out


def scanned(stem: str, folder: Path, seed: int = 20240) -> Path:
    """The printed page scanned: each page a degraded 200 dpi grey JPEG, nothing else on it."""
    degrade = _degrade()
    out = folder / f"{stem}-scan.pdf"
    with pymupdf.open(printed(stem, folder / f"{stem}-print.pdf")) as src, pymupdf.open() as doc:
        for i, p in enumerate(src):
            pix = p.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False)
            gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
            jpg, _angle, _q = degrade(gray.copy(), np.random.default_rng(seed + i))
            page = doc.new_page(width=p.rect.width, height=p.rect.height)
            page.insert_image(page.rect, stream=jpg)
        doc.save(out)
    return out
