"""Real tables printed and scanned: field-F1 and seconds per page of the scan path on real layouts.

Each table of tests/data/real/ named below is laid out from its web page by PyMuPDF's HTML renderer,
printed at 200 dpi, degraded as the seed's scan fixture was and put back as image-only PDF pages
(tests/realscan.py), then read with `--ocr auto` (RapidOCR, the default engine) through the whole rules
pipeline and scored against its gold.  Prints per table: pages, field-F1 of the scan, field-F1 of
the printed text PDF it was made from, seconds per page (model load excluded; it is printed once).

usage: python bench/real_scans.py [real-02 real-03 ...]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TABLES = ["real-02", "real-03", "real-11", "real-14"]


def main() -> None:
    import pymupdf
    from realscan import REAL, scanned

    from jixiao.pipeline import extract_file
    from jixiao.readers import ocr
    from jixiao.score import compare
    from jixiao.settings import ReadOptions

    stems = sys.argv[1:] or TABLES
    start = time.perf_counter()
    ocr.rapid()
    print(f"{os.cpu_count()} CPU(s); RapidOCR model load {time.perf_counter() - start:.2f} s")
    print(f"{'table':<9} {'pages':>5} {'F1 scan':>8} {'F1 print':>9} {'s/page':>7}")
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for stem in stems:
            gold = json.loads((REAL / f"{stem}.gold.json").read_text(encoding="utf-8"))
            scan = scanned(stem, Path(tmp))
            with pymupdf.open(scan) as doc:
                pages = doc.page_count
            t0 = time.perf_counter()
            tables = list(extract_file(scan, read=ReadOptions(ocr="auto")))
            took = time.perf_counter() - t0
            f1 = compare(gold, [json.loads(t.model_dump_json()) for t in tables])[2]
            text = list(extract_file(Path(tmp) / f"{stem}-print.pdf"))
            f1_print = compare(gold, [json.loads(t.model_dump_json()) for t in text])[2]
            scores.append(f1)
            print(f"{stem:<9} {pages:>5} {f1:>8.3f} {f1_print:>9.3f} {took / pages:>7.2f}", flush=True)
    print(f"mean field-F1 of the scans {sum(scores) / len(scores):.3f}")


if __name__ == "__main__":
    main()
