"""Load benchmark: 1,000 tables (the seed PDF replicated, one table a page) through `jixiao run` on
the rules backend, extraction, checker and all four reports included, against a bare PyMuPDF
`get_text()` loop over the same file, both measured in this run, interleaved, best of --repeat.

Each side is a fresh process timed whole (interpreter start-up and imports included: what a user
waits for); the CPU time of each (user + system, its children's) is printed too, being steadier
than wall time on a shared machine.  Prints both ratios (goal, issue 14: `jixiao run` <= 4x the
time of the bare loop), tables/s and peak RSS.

The run is `jixiao run` as a user runs it: every report, review.html with its page crops (at most
`max_crops`, 400) included; `--no-images` leaves the crops out.

usage: python bench/load.py [--tables 1000] [--repeat 3] [--no-images]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# a child of its own per measurement, so that its CPU time and peak RSS are its alone
_PROBE = ("import resource, subprocess, sys; "
          "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
          "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
          "print(r.returncode, u.ru_utime + u.ru_stime, u.ru_maxrss)")
_RAW = "import pymupdf, sys\nwith pymupdf.open(sys.argv[1]) as doc:\n    for page in doc:\n        page.get_text()\n"


def build(tables: int, target: Path) -> None:
    import pymupdf

    source = ROOT / "tests" / "data" / "seed-tables.pdf"
    if not source.exists():
        source = ROOT / "examples" / "seed-tables.pdf"
    src, out = pymupdf.open(source), pymupdf.open()
    while out.page_count < tables:  # one table a page
        out.insert_pdf(src, to_page=min(src.page_count, tables - out.page_count) - 1)
    out.save(target, garbage=1)


def measure(cmd: list[str]) -> dict:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PROBE, *cmd], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rc, cpu, kb = done.stdout.split()
    if int(rc) not in (0, 1):
        sys.exit(f"{' '.join(cmd[:4])}… failed with {rc}")
    return {"wall": wall, "cpu": float(cpu), "mb": int(kb) / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best time is kept")
    ap.add_argument("--no-images", action="store_true", help="no page crops in review.html (they are capped at max_crops)")
    args = ap.parse_args()
    from jixiao.report import read_findings

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"seed-{args.tables}.pdf"
        build(args.tables, pdf)
        out = Path(tmp) / "out"
        run = [sys.executable, "-m", "jixiao.cli", "run", str(pdf), "-o", str(out)] + (["--no-images"] if args.no_images else [])
        raw = [sys.executable, "-c", _RAW, str(pdf)]
        results: dict[str, list[dict]] = {"raw": [], "run": []}
        for _ in range(args.repeat):  # interleaved, so that a busy moment does not favour one side
            results["raw"].append(measure(raw))
            shutil.rmtree(out, ignore_errors=True)  # a fresh run each time, never a resumed one
            results["run"].append(measure(run))
        tables = len(json.loads((out / f"{pdf.stem}.json").read_text(encoding="utf-8")))
        findings = len(read_findings(out / "findings.json"))
    best = {k: {"wall": min(r["wall"] for r in rs), "cpu": min(r["cpu"] for r in rs), "mb": max(r["mb"] for r in rs)}
            for k, rs in results.items()}
    r, j = best["raw"], best["run"]
    print(f"file: {args.tables} pages, one table a page, replicated from the seed; best of {args.repeat}")
    print(f"raw get_text() loop  {r['wall']:7.2f} s wall  (cpu {r['cpu']:6.2f} s)  peak RSS {r['mb']:7.1f} MB")
    print(f"jixiao run           {j['wall']:7.2f} s wall  (cpu {j['cpu']:6.2f} s)  peak RSS {j['mb']:7.1f} MB  "
          f"{tables / j['wall']:.1f} tables/s; {tables} tables, {findings} findings"
          f"{'' if args.no_images else ', page crops included'}")
    print(f"run ratio {j['wall'] / r['wall']:.2f}x wall, {j['cpu'] / r['cpu']:.2f}x cpu (goal <= 4.00)")


if __name__ == "__main__":
    main()
