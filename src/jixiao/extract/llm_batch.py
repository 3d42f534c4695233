"""`--llm-batch`: the model requests of a run sent through the OpenAI Batch API, at half the price.

Before the run proper, every table chunk of the inputs that the cache cannot answer becomes one
line of a JSONL file: the same messages, schema and structured mode the online path would send
(built by LLMExtractor).  The file is uploaded, a batch is created and polled until it ends.
Each answer is then validated exactly as an online answer is; a valid one is cached under the key
the online path looks up, so the run proper finds it there and grounds it, diffs it and reports it
like any other answer.  Lines that failed, expired, were cancelled or came back invalid are simply
not cached: the run proper asks them online (with its re-asks).

The batch ID is kept in the output folder's manifest (`.jixiao-run.sqlite`, table `llm_batches`),
keyed by the exact request file, so a run killed while its batch is queued picks up the same
batch when started again instead of paying for a second one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..chunk import Chunk

ENDPOINT = "/v1/chat/completions"
FINAL = {"completed", "failed", "expired", "cancelled"}


@dataclass
class BatchReport:
    """What a batch did: requests sent, answers cached, lines left to the online path."""

    batch_id: str | None = None
    status: str | None = None
    requests: int = 0
    cached: int = 0
    invalid: int = 0
    failed: int = 0
    resumed: bool = False
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.requests:
            return "model batch: nothing to send (every table is in the cache)"
        left = self.requests - self.cached
        return (f"model batch {self.batch_id}{' (resumed)' if self.resumed else ''}: {self.status}, "
                f"{self.requests} request(s), {self.cached} answer(s) cached, {left} left to ask online"
                + (f" ({self.invalid} invalid, {self.failed} failed)" if left else ""))


def request_body(llm, mode: str, chunk_text: str) -> dict:
    """The chat-completions body the online path sends for this chunk in this mode (unstreamed: a
    batch line has no stream to watch; answers that run away end at the same max_tokens)."""
    import openai
    from openai.lib._parsing._completions import type_to_response_format_param

    from .llm import budget

    s = llm.s
    max_tokens = s.max_tokens if s.max_tokens is not None else budget(chunk_text, s.max_tokens_ceiling)
    body: dict = {"model": s.model, "messages": llm.messages(chunk_text, mode), "temperature": s.temperature,
                  "max_tokens": max_tokens}
    if s.seed is not None:
        body["seed"] = s.seed
    if "dashscope" in llm.base_url:
        body["enable_thinking"] = False  # as the online path sends it (extra_body): JSON modes need non-thinking
    if mode == "json_schema":
        body["response_format"] = type_to_response_format_param(llm.answer_model)
        body["stream"] = False  # what the SDK's parse helper sends
    elif mode == "tools":
        body["tools"] = [openai.pydantic_function_tool(llm.answer_model, name=llm.tool_name,
                                                       description=llm.tool_description)]
        body["tool_choice"] = {"type": "function", "function": {"name": llm.tool_name}}
    elif mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


class BatchLedger:
    """Batch IDs in the run's manifest file, so a restarted run finds its batch."""

    def __init__(self, folder: Path):
        from ..manifest import MANIFEST

        self.db = sqlite3.connect(folder / MANIFEST, timeout=30)
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS llm_batches (requests_sha TEXT PRIMARY KEY, batch_id TEXT, "
                            "input_file_id TEXT, status TEXT, ts REAL)")

    def find(self, sha: str) -> str | None:
        row = self.db.execute("SELECT batch_id FROM llm_batches WHERE requests_sha = ?", (sha,)).fetchone()
        return row[0] if row else None

    def record(self, sha: str, batch_id: str, file_id: str, status: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO llm_batches VALUES (?, ?, ?, ?, ?)",
                            (sha, batch_id, file_id, status, time.time()))

    def close(self) -> None:
        self.db.close()


def _answer_text(body: dict, mode: str) -> tuple[str | None, str | None]:
    choices = body.get("choices") or []
    if not choices:
        return None, "the answer has no choices"
    choice = choices[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        return None, "refused"
    if choice.get("finish_reason") in ("length", "content_filter"):
        return None, f"finish_reason {choice['finish_reason']}"
    content = message.get("content")
    if mode == "tools":
        calls = message.get("tool_calls") or []
        content = calls[0].get("function", {}).get("arguments") if calls else None
    return content, None if (content or "").strip() else "blank answer"


def validate(llm, content: str, mode: str):
    """An answer checked as the online path checks it (llm._ask)."""
    from .llm import _json_text

    return llm.answer_model.model_validate_json(_json_text(content) if mode in ("json_object", "prompt") else content)


def prefetch(llm, chunks: Iterable[tuple[str, Chunk]], folder: Path, *, poll: float = 30.0,
             on_status: Callable[[str], None] | None = None, sleep: Callable[[float], None] = time.sleep) -> BatchReport:
    """Send the chunks the cache cannot answer as one batch, wait for it, cache its valid answers."""
    report = BatchReport()
    modes = llm._modes()
    mode = modes[0]
    lines, keys, seen = [], {}, set()
    for source, chunk in chunks:
        text = chunk.text
        key = llm._cache_key(mode, text)
        if key in seen or llm.store.cached(key) is not None:
            continue
        seen.add(key)
        custom_id = f"t{len(lines)}-{key[:16]}"
        keys[custom_id] = (key, text, source, ",".join(map(str, chunk.pages)))
        lines.append(json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
                                 "body": request_body(llm, mode, text)}, ensure_ascii=False, sort_keys=True))
    report.requests = len(lines)
    if not lines:
        return report
    payload = ("\n".join(lines) + "\n").encode()
    sha = hashlib.sha256(payload).hexdigest()
    ledger = BatchLedger(folder)
    try:
        batch_id = ledger.find(sha)
        client = llm.client
        if batch_id is None:
            uploaded = client.files.create(file=("jixiao-batch.jsonl", payload), purpose="batch")
            batch = client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
                                          metadata={"tool": "jixiao", "requests_sha": sha[:16]})
            ledger.record(sha, batch.id, uploaded.id, batch.status)
        else:
            report.resumed = True
            batch = client.batches.retrieve(batch_id)
        report.batch_id = batch.id
        while batch.status not in FINAL:
            if on_status:
                counts = batch.request_counts
                done = f" ({counts.completed}/{counts.total})" if counts else ""
                on_status(f"model batch {batch.id}: {batch.status}{done}")
            sleep(poll)
            batch = client.batches.retrieve(batch.id)
        ledger.record(sha, batch.id, batch.input_file_id, batch.status)
        report.status = batch.status
        if batch.errors and batch.errors.data:
            report.errors += [e.message or e.code or "" for e in batch.errors.data][:5]
        if batch.output_file_id:
            for line in client.files.content(batch.output_file_id).text.splitlines():
                if line.strip():
                    _take(llm, mode, json.loads(line), keys, report)
        if batch.error_file_id:
            report.failed += sum(1 for line in client.files.content(batch.error_file_id).text.splitlines()
                                 if line.strip())
    finally:
        ledger.close()
    return report


def _take(llm, mode: str, line: dict, keys: dict, report: BatchReport) -> None:
    found = keys.get(line.get("custom_id"))
    if found is None:
        return
    key, _text, source, pages = found
    response = line.get("response") or {}
    body = response.get("body") or {}
    usage = body.get("usage") or {}
    log = dict(base_url=llm.base_url, model=llm.s.model, mode=mode, attempt=1, source_file=source, pages=pages,
               chunk_sha=key[:16], request={"batch_custom_id": line.get("custom_id")}, duration_ms=0)
    if line.get("error") or response.get("status_code") != 200:
        report.failed += 1
        error = line.get("error") or body.get("error") or {"status_code": response.get("status_code")}
        llm.store.log(**log, error=f"batch: {json.dumps(error, ensure_ascii=False)[:300]}")
        return
    content, problem = _answer_text(body, mode)
    try:
        if problem:
            raise ValueError(problem)
        table = validate(llm, content, mode)
    except (ValidationError, ValueError) as e:
        report.invalid += 1
        llm.store.log(**log, response=body, error=f"batch answer invalid: {str(e).splitlines()[0][:200]}",
                      prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"))
        return
    llm.store.log(**log, response=body, prompt_tokens=usage.get("prompt_tokens"),
                  completion_tokens=usage.get("completion_tokens"))
    llm.store.remember(key, llm.s.model, mode, table.model_dump(mode="json"))
    report.cached += 1


def run_chunks(files: list[Path], read, doubtful_only: bool = False) -> Iterable[tuple[str, Chunk]]:
    """Every table chunk of the inputs that the run proper will send to the model, read as it will
    read them (with `doubtful_only`, the hybrid backend's: those whose rules reading it routes to
    the model).  Broken files are skipped: the run proper reports them."""
    from ..chunk import chunk_rows
    from ..readers import read_pages
    from . import rules_results
    from .hybrid import routing

    for path in files:
        try:
            for chunk in chunk_rows(read_pages(path, read)):
                if doubtful_only:
                    results = rules_results(chunk)
                    if routing(results) is None or len(results) > 1:  # as HybridExtractor.readings decides
                        continue
                yield str(path), chunk
        except Exception:  # noqa: BLE001 -- the run proper says why, once
            continue
