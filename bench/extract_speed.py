"""Extraction speed and memory against raw PyMuPDF text extraction.

Replicates the seed PDF to N pages (default 1,000), then runs, each in a fresh process:
  raw     -- pymupdf: page.get_text() over every page, in one process;
  jixiao  -- the full rules pipeline (readers, grid, chunk, extract, JSON records) over the same file;
  command -- the whole `jixiao extract FILE -o DIR` command (start-up and writing the JSON file too).
Prints pages/s and peak RSS of each and the ratios.  Targets (issue 14): time <= 1.5x raw,
peak RSS <= 1.1x raw.  PyMuPDF 2.0 loads a layout model (ONNX) when it is imported, which jixiao
keeps out (readers/_mupdf.py); `raw, no layout` is the bare loop without it too.

usage: python bench/extract_speed.py [--pages 1000] [--source tests/data/seed-tables.pdf]
"""

from __future__ import annotations

import argparse
import json
import os
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
    if mode == "command":
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", path, "-o", out], check=True,
                           capture_output=True)
            elapsed = time.perf_counter() - start  # the command alone: reading its output back is not its time
            count = len(json.loads(next(Path(out).glob("*.json")).read_text(encoding="utf-8")))
        child = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command alone, its start-up included
        print(json.dumps({"mode": mode, "seconds": elapsed, "cpu": child.ru_utime + child.ru_stime,
                          "items": count, "peak_mb": child.ru_maxrss / 1024}))
        return
    if mode in ("raw", "raw-nolayout"):
        if mode == "raw-nolayout":  # PyMuPDF without the layout model it loads at import (as jixiao reads)
            sys.modules["pymupdf.layout"] = sys.modules["pymupdf4llm"] = None
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
    ap.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if args.build:
        build(args.source, args.pages, args.build)
        return
    if not args.source.exists():
        args.source = ROOT / "examples" / "seed-tables.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"seed-x{args.pages}.pdf"
        # built in a process of its own: a child starts with its parent's peak RSS (Linux keeps
        # ru_maxrss across fork and exec), so this process must stay small for the workers' figures
        subprocess.run([sys.executable, __file__, "--build", str(pdf), "--pages", str(args.pages),
                        "--source", str(args.source)], check=True)
        runs: dict[str, list[dict]] = {"raw": [], "raw-nolayout": [], "jixiao": [], "command": []}
        for _ in range(args.repeat):  # interleaved, so a busy moment does not favour one side
            for mode in runs:
                runs[mode].append(run(mode, pdf))
        results = {}
        for mode, rs in runs.items():
            best = min(rs, key=lambda r: r["seconds"])
            best["cpu"] = min(r["cpu"] for r in rs)
            best["peak_mb"] = max(r["peak_mb"] for r in rs)
            results[mode] = best
    raw, bare, jx, cmd = results["raw"], results["raw-nolayout"], results["jixiao"], results["command"]
    print(f"file: {args.pages} pages replicated from {args.source.name}; load average {os.getloadavg()[0]:.2f}")
    for name, r in (("raw get_text()", raw), ("raw, no layout", bare), ("jixiao pipeline", jx),
                    ("jixiao extract", cmd)):
        print(f"{name:15s} {r['seconds']:7.2f} s  (cpu {r['cpu']:6.2f} s)  {args.pages / r['seconds']:8.1f} pages/s  "
              f"peak RSS {r['peak_mb']:7.1f} MB  ({r['items']} {'pages' if r in (raw, bare) else 'tables'})")
    for what, mine in (("pipeline", jx), ("command", cmd)):
        for name, base in (("PyMuPDF as installed", raw), ("PyMuPDF without its layout model", bare)):
            print(f"{what} against {name}: time {mine['seconds'] / base['seconds']:.2f}x "
                  f"(cpu {mine['cpu'] / base['cpu']:.2f}x; target <= 1.5)   "
                  f"peak RSS {mine['peak_mb'] / base['peak_mb']:.2f}x (target <= 1.1)")


if __name__ == "__main__":
    main()
