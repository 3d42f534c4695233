"""Workbench benchmark: a 1,000-table run (the seed PDF replicated, as in bench/load.py), then the
time for `jixiao serve` to answer the overview page (goal: under 1 s), first and warm.

usage: python bench/serve.py [--tables 1000] [--decided 0.5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--decided", type=float, default=0.5, help="share of findings given a decision first")
    args = ap.parse_args()
    import httpx
    import pymupdf

    from workbench_helpers import Served

    source = ROOT / "tests" / "data" / "seed-tables.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        pdf, out = Path(tmp) / f"seed-{args.tables}.pdf", Path(tmp) / "out"
        src, doc = pymupdf.open(source), pymupdf.open()
        while doc.page_count < args.tables:
            doc.insert_pdf(src, to_page=min(src.page_count, args.tables - doc.page_count) - 1)
        doc.save(pdf, garbage=1)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(pdf), "-o", str(out), "--no-images"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(done.stderr[-2000:])
        print(f"jixiao run, {args.tables} tables: {time.perf_counter() - start:.1f} s")
        from jixiao.workbench.runview import RunView

        view = RunView(out, "bench")
        decided = 0
        for p in view.projects():
            for n, v in enumerate(p.findings):
                if n < args.decided * len(p.findings):
                    view.store.decide(v.key, v.slot, p.ref, "accepted", v.f.message)
                    decided += 1
        with Served(out, reviewer="bench") as s:
            times = []
            for _ in range(4):
                t = time.perf_counter()
                r = httpx.get(s.url + "/", timeout=60)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200 and r.text.count("<tr data-status") == args.tables
            t = time.perf_counter()
            assert httpx.get(s.url + "/p/500", timeout=60).status_code == 200
            project = time.perf_counter() - t
    print(f"overview of {args.tables} projects ({decided} decisions stored): first {times[0]:.2f} s, "
          f"warm {min(times[1:]):.2f} s (goal < 1 s); one project page {project:.2f} s")


if __name__ == "__main__":
    main()
