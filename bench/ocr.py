"""OCR speed, memory and accuracy, per engine, on the scan fixtures of tests/data.

Each engine runs in a fresh process over seed-tables-scan.pdf (7 pages, 200 dpi) and
seed-tables-scan-p1.png, through the whole rules pipeline (render, straighten, OCR, cells, chunk,
extract).  Prints, per engine: model load time, seconds per page (best of --repeat passes, model
load excluded), peak RSS, and field-F1 of each fixture against seed-gold.json.
Targets (issue 5): default engine <= 3 s a page on 2 cores, peak RSS <= 1 GB, F1 >= 0.97.

With --long N, also reads the scan replicated to N pages with the default engine, to show that
memory stays flat over a long scanned document.

With --jobs N (or -1: the cores), also times `jixiao extract` with --jobs 1 and --jobs N (start-up
and model loads included) of the 7-page scan (its pages spread over the processes) and of a batch
of four copies (whole files spread), and prints the speed-ups and whether the outputs match.

usage: python bench/ocr.py [--engines rapidocr,tesseract] [--repeat 2] [--long 28] [--jobs -1]
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
FIXTURES = ROOT / "tests" / "data"


def worker(engine: str, repeat: int, out_dir: str) -> None:
    import numpy as np  # noqa: F401  (imports are not part of the load time)

    from jixiao.readers import ocr
    from jixiao.settings import ReadOptions
    from jixiao.pipeline import extract_with_chunks

    start = time.perf_counter()
    ocr.rapid()  # both engines use RapidOCR's detector
    load = time.perf_counter() - start
    read = ReadOptions(ocr_engine=engine)
    result = {"engine": engine, "load_s": round(load, 2), "files": {}}
    for name in ("seed-tables-scan.pdf", "seed-tables-scan-p1.png"):
        path = FIXTURES / name
        best, tables = None, []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tables = [t.model_dump(mode="json") for _c, t in extract_with_chunks(path, read=read)]
            took = time.perf_counter() - t0
            best = took if best is None else min(best, took)
        pages = 7 if name.endswith(".pdf") else 1
        pred = Path(out_dir) / f"{engine}-{name}.json"
        pred.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
        result["files"][name] = {"pages": pages, "s_per_page": round(best / pages, 2), "pred": str(pred)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def long_worker(path: str) -> None:
    from jixiao.readers import ocr, read_pages

    ocr.rapid()
    start, pages = time.perf_counter(), 0
    for _rows in read_pages(Path(path)):
        pages += 1
    took = time.perf_counter() - start
    print(json.dumps({"pages": pages, "s_per_page": round(took / pages, 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def f1(pred: str, pages: int) -> str:
    gold = json.loads((FIXTURES / "seed-gold.json").read_text(encoding="utf-8"))[:pages]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(gold, f, ensure_ascii=False)
    out = subprocess.run([sys.executable, "-m", "jixiao.score", f.name, pred, "--min", "0"],
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    Path(f.name).unlink()
    return out.split(" (")[0].replace("field-F1 ", "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="rapidocr,tesseract")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--long", type=int, default=0, help="also read the scan replicated to this many pages")
    ap.add_argument("--jobs", type=int, default=0,
                    help="also time `jixiao extract --jobs 1` and `--jobs N` on the 7-page scan (N: this, or the cores "
                         "with --jobs -1) and print the speed-up")
    ap.add_argument("--long-worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.repeat, args.out)
        return
    if args.long_worker:
        long_worker(args.long_worker)
        return
    print(f"{os.cpu_count()} CPU(s); fixtures: seed-tables-scan.pdf (7 pages), seed-tables-scan-p1.png")
    print(f"{'engine':<10} {'load s':>7} {'s/page pdf':>11} {'s/page png':>11} {'peak RSS MB':>12} {'F1 pdf':>7} {'F1 png':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            run = subprocess.run([sys.executable, __file__, "--worker", engine, "--repeat", str(args.repeat),
                                  "--out", tmp], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{engine:<10} failed: {(run.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            pdf, png = r["files"]["seed-tables-scan.pdf"], r["files"]["seed-tables-scan-p1.png"]
            print(f"{engine:<10} {r['load_s']:>7} {pdf['s_per_page']:>11} {png['s_per_page']:>11} "
                  f"{r['peak_rss_mb']:>12} {f1(pdf['pred'], 7):>7} {f1(png['pred'], 1):>7}")
        if args.jobs:
            from jixiao.jobs import default_jobs

            n = default_jobs() if args.jobs < 0 else args.jobs
            # one scan (its pages spread over the processes) and a batch of four (whole files spread)
            batch = Path(tmp) / "batch"
            batch.mkdir()
            for k in range(4):
                (batch / f"scan{k}.pdf").write_bytes((FIXTURES / "seed-tables-scan.pdf").read_bytes())
            for what, source, pages, repeat in (("the 7-page scan", FIXTURES / "seed-tables-scan.pdf", 7, args.repeat),
                                                ("a batch of 4 such scans", batch, 28, 1)):
                times, outs = {}, {}
                for jobs in (1, n):
                    runs = []
                    outs[jobs] = Path(tmp) / f"{source.stem}-jobs{jobs}"
                    for _ in range(repeat):
                        t0 = time.perf_counter()  # the whole command: start-up, model loads, pages spread
                        done = subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", str(source), "--jobs",
                                               str(jobs), "-o", str(outs[jobs])], capture_output=True, text=True)
                        runs.append(time.perf_counter() - t0)
                        if done.returncode != 0:
                            sys.exit(done.stderr[-2000:])
                    times[jobs] = min(runs)
                same = all((outs[1] / f.name).read_bytes() == f.read_bytes() for f in outs[n].iterdir()) and \
                    len(list(outs[1].iterdir())) == len(list(outs[n].iterdir()))
                print(f"jixiao extract of {what}: --jobs 1 {times[1]:.1f} s ({times[1] / pages:.2f} s/page), "
                      f"--jobs {n} {times[n]:.1f} s ({times[n] / pages:.2f} s/page): speed-up {times[1] / times[n]:.2f}x, "
                      f"outputs {'identical' if same else 'DIFFERENT'}; load average {os.getloadavg()[0]:.2f}")
        if args.long:
            import pymupdf

            long = Path(tmp) / "long.pdf"
            with pymupdf.open(FIXTURES / "seed-tables-scan.pdf") as src, pymupdf.open() as doc:
                while doc.page_count < args.long:
                    doc.insert_pdf(src, to_page=min(src.page_count, args.long - doc.page_count) - 1)
                doc.save(long)
            run = subprocess.run([sys.executable, __file__, "--long-worker", str(long)], capture_output=True, text=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"rapidocr over {r['pages']} scanned pages: {r['s_per_page']} s/page, peak RSS {r['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
