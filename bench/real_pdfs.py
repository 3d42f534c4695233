"""Real tables printed as text-layer PDFs: field-F1 of the PDF path on real layouts.

Each table of tests/data/real/ is laid out from its web page by PyMuPDF's HTML renderer, as for the
scans (tests/realscan.py's `printed`, the same pages without the degrade step), and read as
`jixiao extract` reads a PDF.  Prints per table: pages, field-F1, the reading's doubts (what
EXTRACT-01 would say) and seconds; then the mean.

usage: python bench/real_pdfs.py [real-02 real-03 ...] [--verbose]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main(argv: list[str]) -> None:
    import pymupdf
    from realscan import REAL, printed

    from jixiao.extract import doubts
    from jixiao.pipeline import extract_file
    from jixiao.score import compare

    verbose = "--verbose" in argv
    stems = [a for a in argv if not a.startswith("--")] or sorted(p.stem for p in REAL.glob("real-*.txt"))
    print(f"{'table':<9} {'pages':>5} {'F1':>6} {'s':>5}  doubts")
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for stem in stems:
            pdf = printed(stem, Path(tmp) / f"{stem}-print.pdf")
            with pymupdf.open(pdf) as doc:
                pages = doc.page_count
            t0 = time.perf_counter()
            tables = list(extract_file(pdf))
            took = time.perf_counter() - t0
            gold = json.loads((REAL / f"{stem}.gold.json").read_text(encoding="utf-8"))
            _p, _r, f1, _m, lines = compare(gold, [json.loads(t.model_dump_json()) for t in tables], verbose)
            scores.append(f1)
            said = "; ".join(w for t in tables for w in doubts(t.reading)) or "-"
            print(f"{stem:<9} {pages:>5} {f1:>6.3f} {took:>5.2f}  {said}", flush=True)
            for line in lines:
                print("   ", line)
    print(f"mean field-F1 {sum(scores) / len(scores):.3f} over {len(scores)} tables, min {min(scores):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
