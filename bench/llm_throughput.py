"""Model backend throughput with 1, 2 and 4 workers (issue 14): what `--workers` buys.

The same N distinct tables (the first N pages of the seed PDF, one table a page) are extracted
with the project's own model backend, exactly as `jixiao extract --backend llm --workers W
--no-cache` does (LLMExtractor over extract_file), once per worker count.  No cache: every table
is a real request.  For each run it prints wall seconds, tables/s, completion tokens/s, prompt
tokens, the mean latency of a request, failed tables and re-asks, and the speed-up against the
first worker count given.

A llama.cpp server keeps prompts it has seen (in the slot, and in a RAM prompt cache since
2025), so a second run of the same tables would skip most prompt processing and look faster than
it is.  With --local-slots S the local server (scripts/local-llm-server.sh) is therefore started
fresh, with S slots (LLM_SLOTS), before every run, and stopped at the end; a server already
running there is stopped first.  Without it the server at --base-url is used as it is.

usage: python bench/llm_throughput.py [--tables 4] [--workers 1 2 4] [--local-slots 1 4]
       python bench/llm_throughput.py --base-url URL --model NAME   # any OpenAI-compatible endpoint
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from jixiao.extract.llm import LLMExtractor
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file
from jixiao.settings import ModelSettings

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "scripts" / "local-llm-server.sh"
LOCAL_PORT = os.environ.get("JIXIAO_LLM_PORT", "8765")
LOCAL_URL, LOCAL_MODEL = f"http://127.0.0.1:{LOCAL_PORT}/v1", "qwen2.5-coder-1.5b"


def first_pages(source: Path, n: int, target: Path) -> Path:
    import pymupdf

    src, out = pymupdf.open(source), pymupdf.open()
    out.insert_pdf(src, to_page=min(n, src.page_count) - 1)
    out.save(target)
    return target


def server_slots(base_url: str) -> int | None:
    """The server's parallel slots, where it says (llama.cpp's /props)."""
    try:
        root = base_url.rstrip("/").removesuffix("/v1")
        return json.loads(urllib.request.urlopen(f"{root}/props", timeout=10).read()).get("total_slots")
    except Exception:
        return None


def local_server(action: str, slots: int = 1) -> None:
    subprocess.run([str(SERVER), action], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "LLM_SLOTS": str(slots)})
    if action == "stop":  # `stop` only signals: wait until the port is free for the next start
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{LOCAL_URL.removesuffix('/v1')}/health", timeout=1)
            except Exception:
                return
            time.sleep(0.2)


def run(pdf: Path, settings: ModelSettings, store: Store) -> dict:
    seen = {c["id"] for c in store.calls(10**6)}
    load = os.getloadavg()[0]
    started = time.monotonic()
    tables = list(extract_file(pdf, LLMExtractor(settings, store)))
    wall = time.monotonic() - started
    calls = [c for c in store.calls(10**6) if c["id"] not in seen]
    return {"wall": wall, "tables": len(tables), "load": (load, os.getloadavg()[0]),
            "ok": sum(t.llm.status == "ok" for t in tables), "failed": sum(t.llm.status == "failed" for t in tables),
            "reasks": sum(e.startswith("re-asked") for t in tables for e in t.llm.errors),
            "prompt": sum(t.llm.prompt_tokens for t in tables),
            "completion": sum(t.llm.completion_tokens for t in tables),
            "why": sorted({e.replace("\n", "; ")[:120] for t in tables for e in t.llm.errors}),
            "calls": len(calls), "call_errors": sum(bool(c["error"]) for c in calls),
            "latency": sum(c["duration_ms"] or 0 for c in calls) / max(1, len(calls)) / 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=ROOT / "examples" / "seed-tables.pdf",
                    help="a PDF with one table a page")
    ap.add_argument("--tables", type=int, default=4, help="the first N pages of --source")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--base-url", default=LOCAL_URL)
    ap.add_argument("--model", default=LOCAL_MODEL)
    ap.add_argument("--local-slots", type=int, nargs="*", default=None,
                    help="start the local server fresh with these slot counts before every run")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--max-reasks", type=int, default=2,
                    help="as [llm] max_reasks; 0 makes one request a table (a slow server: the run stays short)")
    args = ap.parse_args()
    local = args.local_slots or [None]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = first_pages(args.source, args.tables, Path(tmp) / "tables.pdf")
        print(f"{args.tables} tables ({args.source.name}, pages 1-{args.tables}), model {args.model} at "
              f"{args.base_url}, max_reasks {args.max_reasks}, {os.cpu_count()} CPUs; "
              f"load average before: {os.getloadavg()[0]:.2f}")
        try:
            for slots in local:
                base = None
                for workers in args.workers:
                    if slots is not None:
                        local_server("stop")
                        local_server("start", slots)
                    # one call log per server: the structured-output mode is probed once, by the first run
                    store = Store(Path(tmp) / f"slots{slots}.db")
                    settings = ModelSettings(model=args.model, base_url=args.base_url, timeout=args.timeout,
                                             workers=workers, use_cache=False,
                                             max_reasks=args.max_reasks)
                    r = run(pdf, settings, store)
                    store.close()
                    if base is None:
                        base = r["wall"]
                        print(f"\nserver slots: {server_slots(args.base_url) or 'unknown'}"
                              f"{' (started fresh before each run)' if slots is not None else ''}")
                        print("workers  wall s  tables/s  compl tok/s  prompt tok  compl tok  calls  "
                              "mean latency s  failed  re-asks  speed-up  load avg (start/end)")
                    print(f"{workers:>7}  {r['wall']:6.1f}  {r['tables'] / r['wall']:8.4f}  "
                          f"{r['completion'] / r['wall']:11.1f}  {r['prompt']:10}  {r['completion']:9}  "
                          f"{r['calls']:5}  {r['latency']:14.1f}  {r['failed']:6}  {r['reasks']:7}  "
                          f"{base / r['wall']:7.2f}x  {r['load'][0]:.2f}/{r['load'][1]:.2f}", flush=True)
                    for why in r["why"]:
                        print(f"         - {why}")
                    if r["call_errors"]:
                        print(f"         ({r['call_errors']} call(s) answered with an error; see the call log)")
        finally:
            if args.local_slots:
                local_server("stop")


if __name__ == "__main__":
    main()
