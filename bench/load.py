"""Load benchmark: 1,000 tables (the seed PDF replicated) through `jixiao run` on the rules backend,
extraction, checker and all four reports included.  Prints wall time, tables/s and peak RSS.
Targets (issue 6): >= 50 tables/s, <= 400 MB.

usage: python bench/load.py [--tables 1000] [--images]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--images", action="store_true", help="page crops in review.html (capped, see max_crops)")
    args = ap.parse_args()
    import pymupdf

    source = ROOT / "tests" / "data" / "seed-tables.pdf"
    if not source.exists():
        source = ROOT / "examples" / "seed-tables.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"seed-{args.tables}.pdf"
        src, out = pymupdf.open(source), pymupdf.open()
        while out.page_count < args.tables:  # one table a page
            out.insert_pdf(src, to_page=min(src.page_count, args.tables - out.page_count) - 1)
        out.save(pdf, garbage=1)
        cmd = [sys.executable, "-m", "jixiao.cli", "run", str(pdf), "-o", str(Path(tmp) / "out")]
        if not args.images:
            cmd.append("--no-images")
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            sys.exit(done.stderr[-2000:])
        tables = len(json.loads((Path(tmp) / "out" / f"{pdf.stem}.json").read_text(encoding="utf-8")))
        findings = len(json.loads((Path(tmp) / "out" / "findings.json").read_text(encoding="utf-8")))
    print(f"{tables} tables through jixiao run (rules, checker, reports{', page crops' if args.images else ''}): "
          f"{wall:.1f} s wall, {tables / wall:.1f} tables/s (target >= 50), peak RSS {peak_mb:.0f} MB "
          f"(target <= 400); {findings} findings")


if __name__ == "__main__":
    main()
