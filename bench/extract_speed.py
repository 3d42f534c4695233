"""Extraction speed and memory against raw PyMuPDF text extraction.

Replicates the seed PDF to N pages (default 1,000), then runs, each in a fresh process:
  raw     -- pymupdf: page.get_text() over every page, in one process;
  jixiao  -- the full rules pipeline (readers, grid, chunk, extract, JSON records) over the same file.
Prints pages/s and peak RSS of both and the ratios.  Targets (issue 2): time <= 2x raw,
peak RSS <= 1.25x raw.

usage: python bench/extract_speed.py [--pages 1000] [--source tests/data/seed-tables.pdf]
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


def build(source: Path, pages: int, target: Path) -> None:
    import pymupdf

    src = pymupdf.open(source)
    out = pymupdf.open()
    while out.page_count < pages:
        out.insert_pdf(src, to_page=min(src.page_count, pages - out.page_count) - 1)
    out.save(target, garbage=1)


def worker(mode: str, path: str) -> None:
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage0.ru_utime + usage0.ru_stime  # interpreter start-up is not counted
    start = time.perf_counter()
    count = 0
    if mode == "raw":
        import pymupdf

        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()
                count += 1
    else:
        from jixiao.pipeline import extract_file

        for table in extract_file(Path(path)):
            table.model_dump(mode="json")
            count += 1
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"mode": mode, "seconds": elapsed, "cpu": usage.ru_utime + usage.ru_stime - cpu0,
                      "items": count, "peak_mb": usage.ru_maxrss / 1024}))


def run(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", mode, str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--source", type=Path, default=ROOT / "tests" / "data" / "seed-tables.pdf")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each; the best time is kept")
    ap.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if not args.source.exists():
        args.source = ROOT / "examples" / "seed-tables.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"seed-x{args.pages}.pdf"
        build(args.source, args.pages, pdf)
        runs: dict[str, list[dict]] = {"raw": [], "jixiao": []}
        for _ in range(args.repeat):  # interleaved, so a busy moment does not favour one side
            for mode in runs:
                runs[mode].append(run(mode, pdf))
        results = {}
        for mode, rs in runs.items():
            best = min(rs, key=lambda r: r["seconds"])
            best["cpu"] = min(r["cpu"] for r in rs)
            best["peak_mb"] = max(r["peak_mb"] for r in rs)
            results[mode] = best
    raw, jx = results["raw"], results["jixiao"]
    print(f"file: {args.pages} pages replicated from {args.source.name}")
    for name, r in (("raw get_text()", raw), ("jixiao extract", jx)):
        print(f"{name:15s} {r['seconds']:7.2f} s  (cpu {r['cpu']:6.2f} s)  {args.pages / r['seconds']:8.1f} pages/s  "
              f"peak RSS {r['peak_mb']:7.1f} MB  ({r['items']} {'pages' if r is raw else 'tables'})")
    print(f"time ratio {jx['seconds'] / raw['seconds']:.2f}x (cpu {jx['cpu'] / raw['cpu']:.2f}x; target <= 2.00)   "
          f"RSS ratio {jx['peak_mb'] / raw['peak_mb']:.2f}x (target <= 1.25)")


if __name__ == "__main__":
    main()
