"""Rules alone, the model alone and the hybrid on the real published tables (tests/data/real/).

For each real-NN.txt (its 3 '# ' header lines stripped, as bench/real.py does) and each backend:
field-F1 against real-NN.gold.json, model calls, completion tokens and wall time.  Each backend
that calls the model gets a fresh cache, so no answer is reused across backends.

- rules: the rules reader (`--backend rules`);
- model: the model's own answers (`--backend llm`); a table the model failed on scores 0 here
  (jixiao itself keeps the rules reading for it, which the column `llm` shows);
- hybrid: `--backend auto` with a model: the model only where the rules reading is unsure.

Inputs (--input): `text` the real-NN.txt captures; `pdf` the same tables printed as text-layer PDFs
and `scan` printed and scanned (tests/realscan.py; read with `--ocr auto`), where the rules reading
has doubts a text capture does not give.  --damage-vocabulary reads with a vocabulary that has lost
the 数量/质量 level labels (as tests/test_real.py does), so that the rules are unsure of most
tables: the hybrid's merge is then measured where the model is needed (the requests are the same
as with the whole vocabulary: the table's text, so a kept --cache serves the model's answers).

With --share-cache the hybrid reuses the model run's answers (the requests are the same: same
prompt, same sized max_tokens, temperature 0), and its calls and seconds are counted as those of
the model run for the tables it sends (plus its own rules time): for a slow local server.

usage: python bench/hybrid.py --base-url http://127.0.0.1:8765/v1 --model qwen2.5-coder-1.5b
                              [--backends rules,model,hybrid] [--share-cache] [--out results.json]
                              [--input text|pdf|scan] [--damage-vocabulary] [--cache DIR] [NN ...]
Rows are printed as they finish (and kept in --out, so a long run can be read while it goes on).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real import REAL, stripped_copy  # noqa: E402

from jixiao.extract import RulesExtractor  # noqa: E402
from jixiao.extract.hybrid import HybridExtractor  # noqa: E402
from jixiao.extract.llm import LLMExtractor  # noqa: E402
from jixiao.extract.llm_store import Store  # noqa: E402
from jixiao.pipeline import extract_file  # noqa: E402
from jixiao.score import compare  # noqa: E402
from jixiao.settings import ModelSettings, ReadOptions  # noqa: E402


def f1(gold: list, tables: list[dict]) -> float:
    return compare(gold, tables, False)[2]


def dump(t) -> dict:
    return json.loads(t.model_dump_json())


def run_one(backend: str, path: Path, gold: list, args, folder: Path) -> dict:
    if backend == "rules":
        extractor = RulesExtractor()
    else:
        settings = ModelSettings(model=args.model, base_url=args.base_url, max_retries=0, workers=1,
                                 timeout=args.timeout)
        db = "model" if args.share_cache else backend
        llm = LLMExtractor(settings, Store(folder / f"{db}.db"))
        extractor = llm if backend == "model" else HybridExtractor(llm)
    started = time.monotonic()
    tables = list(extract_file(path, extractor, ReadOptions(ocr="auto")))
    seconds = time.monotonic() - started
    runs = [t.llm for t in tables if t.llm is not None]
    row = {"file": path.stem.split("-print")[0].split("-scan")[0], "input": args.input, "backend": backend, "seconds": round(seconds, 1), "tables": len(tables),
           "calls": sum(u.calls for u in runs), "completion_tokens": sum(u.completion_tokens for u in runs),
           "failed": sum(u.status == "failed" for u in runs), "sent": len(runs),
           "routed": [u.routed for u in runs if u.routed], "errors": [e for u in runs for e in u.errors][-2:]}
    delivered = [dump(t) for t in tables]
    if backend == "model":  # the model's own answers: a failed table is no answer
        row["f1"] = f1(gold, [d for d, t in zip(delivered, tables) if t.llm is None or t.llm.status == "ok"])
        row["f1_delivered"] = f1(gold, delivered)
    else:
        row["f1"] = f1(gold, delivered)
    return row


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default="http://127.0.0.1:8765/v1")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--backends", default="rules,model,hybrid")
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--share-cache", action="store_true")
    ap.add_argument("--cache", type=Path, help="keep the model's answers in this folder (a rerun is then "
                    "served from it: F1 re-scored, no calls, cache times)")
    ap.add_argument("--input", choices=["text", "pdf", "scan"], default="text")
    ap.add_argument("--damage-vocabulary", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    if args.damage_vocabulary:
        damage_vocabulary()
    files = sorted(REAL.glob("real-*.txt"))
    if args.files:  # in the order given
        files = [f for w in args.files for f in files if f.stem.endswith(w)]
    backends = args.backends.split(",")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
            folder = args.cache
        for f in files:
            path = source(f, args.input, folder)
            gold = json.loads(f.with_name(f.stem + ".gold.json").read_text(encoding="utf-8"))
            for backend in backends:
                row = run_one(backend, path, gold, args, folder)
                model_row = next((r for r in rows if r["file"] == f.stem and r["backend"] == "model"), None)
                if backend == "hybrid" and args.share_cache and model_row and row["sent"]:
                    row.update(calls=model_row["calls"], completion_tokens=model_row["completion_tokens"],
                               seconds=round(row["seconds"] + model_row["seconds"], 1), shared=True)
                rows.append(row)
                extra = f" (delivered {row['f1_delivered']:.3f})" if "f1_delivered" in row else ""
                print(f"{f.stem} {args.input} {backend:6} F1 {row['f1']:.3f}{extra}  calls {row['calls']}  "
                      f"sent {row['sent']}  failed {row['failed']}  {row['completion_tokens']} tok  "
                      f"{row['seconds']:.1f} s" + (f"  errors: {row['errors']}" if row['failed'] else ""), flush=True)
                if args.out:
                    args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    summary(rows, backends)


def source(f: Path, kind: str, folder: Path) -> Path:
    """The input to read for real-NN.txt: its capture, or the table printed (and scanned)."""
    if kind == "text":
        return stripped_copy(f, folder)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from realscan import printed, scanned

    if kind == "pdf":
        return printed(f.stem, folder / f"{f.stem}-print.pdf")
    out = folder / f"{f.stem}-scan.pdf"
    return out if out.exists() else scanned(f.stem, folder)  # a kept --cache keeps the scan too


def damage_vocabulary() -> None:
    """The vocabulary without the 数量/质量 level labels (tests/test_real.py's damaged reader)."""
    from jixiao import levels
    from jixiao.extract.rules import labels, vocabulary

    vocabulary.LEVEL2_KEYWORDS = [kv for kv in vocabulary.LEVEL2_KEYWORDS if kv[0] not in ("数量", "质量")]
    vocabulary.LEVEL2_BARE = vocabulary.LEVEL2_BARE - {"数量", "质量"}
    levels.LEVEL2_NAMES = tuple(n for n in levels.LEVEL2_NAMES if n not in ("数量指标", "质量指标"))
    labels.LEVEL2_NAMES = levels.LEVEL2_NAMES
    labels.reset()


def summary(rows: list[dict], backends: list[str]) -> None:
    print("\nbackend  mean field-F1  tables sent  calls/table  completion tok/table  s/table  failed")
    for b in backends:
        got = [r for r in rows if r["backend"] == b]
        if not got:
            continue
        n = len(got)
        mean = lambda k: sum(r[k] for r in got) / n  # noqa: E731
        extra = f" (delivered {mean('f1_delivered'):.3f})" if b == "model" else ""
        print(f"{b:8} {mean('f1'):.3f}{extra}  {sum(r['sent'] > 0 for r in got)}/{n}  {mean('calls'):.2f}  "
              f"{mean('completion_tokens'):.0f}  {mean('seconds'):.1f}  {sum(r['failed'] for r in got)}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--summary":  # re-print the summary of a saved --out
        rows = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        summary(rows, list(dict.fromkeys(r["backend"] for r in rows)))
    else:
        main(sys.argv[1:])
