"""Model backend figures, printed from the call log of a real run against a live endpoint.

  - prompt tokens per table beyond the chunk text (instructions, worked example, and the schema:
    in the prompt for json_object/prompt modes, as response_format for json_schema), target <= 1,500;
  - calls per table when the first answer is valid (target 1.0);
  - calls of an identical second run (target 0: served from the cache).

Chunk and instruction tokens are counted with the server's own tokenizer (llama.cpp's /tokenize);
other servers are reported without that split.

usage: python bench/llm_usage.py --base-url http://127.0.0.1:8765/v1 --model qwen2.5-coder-1.5b [FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import urllib.request
from pathlib import Path

from jixiao.extract.llm import LLMExtractor
from jixiao.settings import ModelSettings as Settings
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file

ROOT = Path(__file__).resolve().parent.parent


def tokens(server_root: str, text: str) -> int | None:
    try:
        req = urllib.request.Request(f"{server_root}/tokenize", data=json.dumps({"content": text}).encode(),
                                     headers={"Content-Type": "application/json"})
        return len(json.loads(urllib.request.urlopen(req, timeout=30).read())["tokens"])
    except Exception:
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path, default=ROOT / "examples" / "seed-tables.pdf")
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    root = args.base_url.rstrip("/").removesuffix("/v1")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "jixiao.db")
        settings = Settings(model=args.model, base_url=args.base_url, timeout=args.timeout, workers=1)
        llm = LLMExtractor(settings, store)
        first = list(extract_file(args.file, llm))
        calls_first = len(store.calls(10**6))
        second = list(extract_file(args.file, LLMExtractor(settings, store)))
        calls_second = len(store.calls(10**6)) - calls_first
        overhead = {}
        for mode in ("json_schema", "json_object"):
            n = [tokens(root, m["content"]) for m in llm.messages("", mode)]
            overhead[mode] = sum(n) if None not in n else None
        schema = tokens(root, llm.schema_text)
    valid_first = [t for t in first if t.llm.status == "ok" and t.llm.attempts == 1]
    print(f"file: {args.file} ({len(first)} tables), model {args.model} at {args.base_url}")
    if overhead["json_schema"] is not None:
        print(f"prompt tokens beyond the chunk: json_schema mode {overhead['json_schema']} in the prompt "
              f"+ {schema} schema as response_format = {overhead['json_schema'] + schema}; "
              f"json_object mode {overhead['json_object']} (target <= 1500)")
    else:
        print("prompt tokens beyond the chunk: this server has no /tokenize endpoint")
    per_call = [t.llm.prompt_tokens / max(1, t.llm.calls) for t in first if t.llm.calls]
    if per_call:
        print(f"prompt tokens per call, chunk included: mean {sum(per_call) / len(per_call):.0f}")
    if valid_first:
        print(f"calls per table when the first answer is valid: "
              f"{sum(t.llm.calls for t in valid_first) / len(valid_first):.2f} (target 1.00, {len(valid_first)} tables)")
    print(f"tables: {sum(t.llm.status == 'ok' for t in first)} valid, "
          f"{sum(t.llm.status == 'failed' for t in first)} failed with reasons, "
          f"{sum(t.llm.attempts > 1 for t in first)} re-asked; calls in total {calls_first}")
    print(f"identical second run: {calls_second} calls (target 0), "
          f"{sum(t.llm.cache_hit for t in second)}/{len(second)} tables from the cache")


if __name__ == "__main__":
    main()
