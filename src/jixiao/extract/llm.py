"""The model backend: each table chunk to any OpenAI-compatible endpoint, strict schema out.

- Structured-output ladder, probed once per (base URL, model) and remembered: strict json_schema
  through the SDK's parse helper -> strict tool call -> json_object with the schema in the prompt
  -> plain prompt with the JSON taken from the answer.  It steps down only when the server rejects
  a feature on the wire, never because an answer failed validation.
- The answer is always validated locally with the pydantic contract; a validation failure is
  re-asked with the errors (paths and messages only), up to max_reasks times (at temperature 0,
  not again once the model repeats its invalid answer word for word).
- Faults: refusals, cut answers (max_tokens raised once), content filters, blank answers (asked
  once more), timeouts, and 429/5xx through the SDK's own retries (no second retry loop).  A
  table that fails is reported with its reasons; it never stops the others.
- Runaway answers are cut early: max_tokens is sized from the table's text (`budget`), and an
  answer is streamed and stopped as soon as its tail starts repeating itself (`repeating_tail`);
  small models under a JSON grammar otherwise loop on whitespace or on one indicator until the
  budget runs out.
- Validated results are cached and every call is logged in SQLite (llm_store).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from pydantic import ValidationError

from ..chunk import Chunk
from .llm_store import Store, public_url
from .pacing import Limiter, estimate_tokens
from ..models import TableData
from ..settings import MODES, ModelSettings

TOOL_NAME = "record_table"
# A server that cannot do a structured-output feature says so in a 400/422/500 naming it.
_WIRE_REJECTION = re.compile(
    r"response_format|json_schema|json schema|tool_choice|tools|function|grammar|structured|not supported|"
    r"unsupported|unavailable|unknown (?:field|parameter)|extra_forbidden|unrecognized", re.I)
_THINK = re.compile(r"<think>.*?</think>", re.S)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def prompts_dir() -> Path:
    """prompts/ of a source checkout, else the copy installed under <prefix>/share/jixiao."""
    here = Path(__file__).resolve().parents[3] / "prompts"
    if (here / "system.j2").is_file():
        return here
    return Path(sys.prefix) / "share" / "jixiao" / "prompts"


class LLMError(Exception):
    """A table the model could not give: the message says why, in one line."""


class _WireRejected(Exception):
    pass


@dataclass
class Outcome:
    """What the model gave for one chunk: a validated table, or the reasons it failed."""

    table: TableData | None
    mode: str | None
    prompt_hash: str
    cache_hit: bool = False
    calls: int = 0
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: list[str] = field(default_factory=list)


# max_tokens sized from the table's text: the JSON answer transcribes the table and repeats the
# level names and keys per indicator: about 1.4-1.5 tokens a character of the table's text
# (whitespace removed) on Qwen2.5's tokenizer (real-02: 524 tokens for 386 characters; real-07:
# about 1,200 for its 16 indicators), so 2.5 leaves room.
TOKENS_PER_CHAR = 2.5
TOKENS_BASE = 300
TOKENS_FLOOR = 1024
_SPACE = re.compile(r"\s+")


def budget(chunk_text: str, ceiling: int = 4096) -> int:
    """The max_tokens of one table's answer: from its text, between a floor and the ceiling."""
    chars = len(_SPACE.sub("", chunk_text))
    return max(min(TOKENS_FLOOR, ceiling), min(ceiling, int(TOKENS_BASE + TOKENS_PER_CHAR * chars)))


# A tail that repeats: at least this many characters, made of at least this many copies of a
# unit of at most MAX_PERIOD characters (whitespace runs, one indicator object over and over).
REPEAT_MIN_CHARS = 240
REPEAT_MIN_COPIES = 3
REPEAT_MAX_PERIOD = 600


def repeating_tail(text: str, min_chars: int = REPEAT_MIN_CHARS, min_copies: int = REPEAT_MIN_COPIES,
                   max_period: int = REPEAT_MAX_PERIOD) -> int | None:
    """The period of a repeating tail of text (None: it does not repeat itself).

    A tail is repeating when its last L >= max(min_chars, min_copies * period) characters repeat
    with that period: min_copies copies or more of one unit, min_chars characters at least."""
    n = len(text)
    for p in range(1, min(max_period, n // min_copies) + 1):
        need = max(min_chars, min_copies * p) - p  # characters equal to those one period back
        if need + p > n or text[n - 1] != text[n - 1 - p]:
            continue
        if text[n - need:] == text[n - need - p:n - p]:
            return p
    return None


def _compact_schema(model=TableData) -> str:
    from openai.lib._pydantic import to_strict_json_schema

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("title", "description")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(to_strict_json_schema(model)), ensure_ascii=False, separators=(",", ":"))


class LLMExtractor:
    """The model backend; the rules reader reads every chunk too (second opinion and fallback)."""

    name = "llm"
    # what the model is asked for: one table (a subclass asks for something else through the same client,
    # ladder, cache and log: the review's second opinion, second_opinion.py)
    answer_model: type = TableData
    tool_name, tool_description = TOOL_NAME, "记录一张绩效目标表"
    prompt_names = ("system.j2", "user.j2")

    def __init__(self, settings: ModelSettings, store: Store | None = None, http_client=None,
                 fuzzy_threshold: float = 0.75):
        from openai import OpenAI
        import httpx2

        self.s = settings
        self.fuzzy_threshold = fuzzy_threshold  # grounding of the model's values, as the checker does
        self.store = store or Store()
        self.client = OpenAI(
            api_key=settings.api_key or "not-needed",  # local servers take any key
            base_url=settings.base_url,
            max_retries=settings.max_retries,
            timeout=httpx2.Timeout(settings.timeout, connect=settings.connect_timeout),
            http_client=http_client,
        )
        self.base_url = str(self.client.base_url)
        self.pacer = Limiter(settings.rpm, settings.tpm)  # rpm, tpm, the server's rate-limit headers
        folder = prompts_dir()
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=False,
                                 keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
        self.system_t, self.user_t = (env.get_template(n) for n in self.prompt_names)
        self.example = None
        if settings.example and self.answer_model is TableData:
            self.example = {"text": (folder / "example.txt").read_text(encoding="utf-8").strip(),
                            "json": (folder / "example.json").read_text(encoding="utf-8").strip()}
        self.schema_text = _compact_schema(self.answer_model)
        sources = [(folder / n).read_text(encoding="utf-8") for n in self.prompt_names]
        if self.example:
            sources += [self.example["text"], self.example["json"]]
        self.prompt_hash = hashlib.sha256("\0".join(sources).encode()).hexdigest()[:16]
        self.schema_hash = hashlib.sha256(self.schema_text.encode()).hexdigest()[:16]
        self._mode_lock = threading.Lock()

    # -- prompts --------------------------------------------------------------------------------
    def messages(self, chunk_text: str, mode: str) -> list[dict]:
        schema = self.schema_text if mode in ("json_object", "prompt") else None
        return [
            {"role": "system", "content": self.system_t.render(schema=schema).strip()},
            {"role": "user", "content": self.user_t.render(example=self.example, chunk_text=chunk_text).strip()},
        ]

    # -- one chunk ------------------------------------------------------------------------------
    def _modes(self) -> list[str]:
        if self.s.structured_mode != "auto":
            return [self.s.structured_mode]
        known = self.store.mode_for(self.base_url, self.s.model)
        return list(MODES[MODES.index(known):]) if known in MODES else list(MODES)

    def _cache_key(self, mode: str, chunk_text: str) -> str:
        parts = [public_url(self.base_url), self.s.model, mode, self.schema_hash, self.prompt_hash, chunk_text,
                 self.s.temperature, self.s.seed, self.s.max_tokens]
        if self.s.max_tokens is None:  # sized: the ceiling bounds the answer
            parts.append(self.s.max_tokens_ceiling)
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def extract(self, chunk: Chunk, source: str = "") -> Outcome:
        text = chunk.text
        modes = self._modes()
        out = Outcome(None, None, self.prompt_hash)
        if self.s.use_cache:
            hit = self.store.cached(self._cache_key(modes[0], text))
            if hit is not None:
                out.table, out.mode, out.cache_hit = self.answer_model.model_validate(hit), modes[0], True
                return out
        pages = ",".join(map(str, chunk.pages))
        for n, mode in enumerate(modes):
            try:
                out.table = self._ask(mode, text, out, source, pages)
            except _WireRejected as e:
                out.errors.append(f"{mode} rejected by the server: {e}")
                if n + 1 < len(modes):
                    continue
                out.errors.append("no structured-output mode works with this endpoint")
                return out
            except LLMError as e:
                out.errors.append(str(e))
                out.mode = mode
                return out
            out.mode = mode
            if self.s.structured_mode == "auto":
                with self._mode_lock:
                    if self.store.mode_for(self.base_url, self.s.model) != mode:
                        self.store.set_mode(self.base_url, self.s.model, mode)
            if self.s.use_cache:
                self.store.remember(self._cache_key(mode, text), self.s.model, mode, out.table.model_dump(mode="json"))
            return out
        return out

    def _ask(self, mode: str, chunk_text: str, out: Outcome, source: str, pages: str) -> TableData:
        base = self.messages(chunk_text, mode)
        messages = list(base)
        fixed = self.s.max_tokens is not None
        max_tokens = self.s.max_tokens if fixed else budget(chunk_text, self.s.max_tokens_ceiling)
        reasks = raised = blanks = 0
        last = None  # the invalid answer last re-asked about
        while True:
            out.attempts += 1
            content, finish, refusal = self._call(mode, messages, max_tokens, out, source, pages)
            if refusal:
                raise LLMError(f"the model refused: {refusal[:200]}")
            if finish == "repeating":
                raise LLMError(f"the answer started repeating itself ({content}); stopped, not asked again")
            if finish == "length":
                more = max_tokens * 2 if fixed else max(max_tokens, self.s.max_tokens_ceiling)
                if raised or more == max_tokens:
                    what = "twice" if raised else "at the ceiling"
                    raise LLMError(f"answer cut off at max_tokens={max_tokens} {what}; the table may be too long")
                raised = 1
                max_tokens = more  # a cut JSON is invalid even under a grammar: one longer try
                continue
            if finish == "content_filter":
                raise LLMError("the answer was stopped by the provider's content filter")
            if not (content or "").strip():
                if blanks:
                    raise LLMError("blank answer twice")
                blanks = 1  # some providers (DeepSeek JSON mode) answer blank now and then
                continue
            try:
                return self.answer_model.model_validate_json(
                    _json_text(content) if mode in ("json_object", "prompt") else content)
            except (ValidationError, ValueError) as e:
                summary = _error_summary(e)
                if reasks >= self.s.max_reasks:
                    raise LLMError(f"answer still invalid after {reasks} re-ask(s): {summary}") from None
                if content == last and not self.s.temperature:
                    # the same answer to the re-ask: asking again would send the very same request,
                    # which at temperature 0 gets the very same answer (a call paid for nothing)
                    raise LLMError(f"answer still invalid after {reasks} re-ask(s), the last answer the same as "
                                   f"the one before it: {summary}") from None
                last = content
                reasks += 1
                out.errors.append(f"re-asked: {summary}")
                messages = base + [
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": "上面的 JSON 未通过校验，错误如下，请改正后只输出完整的 JSON：\n" + summary},
                ]

    def _call(self, mode: str, messages: list[dict], max_tokens: int, out: Outcome, source: str,
              pages: str) -> tuple[str | None, str | None, str | None]:
        import openai

        kwargs: dict = {"model": self.s.model, "messages": messages, "temperature": self.s.temperature,
                        "max_tokens": max_tokens}
        if self.s.seed is not None:
            kwargs["seed"] = self.s.seed
        if "dashscope" in self.base_url:
            kwargs["extra_body"] = {"enable_thinking": False}  # Qwen3: JSON modes need non-thinking
        api = self.client.chat.completions.with_raw_response
        if self.s.stream and mode != "tools":  # tool-call arguments are not watched: not streamed
            return self._stream(mode, kwargs, out, source, pages, messages)
        if mode == "json_schema":
            call = lambda: api.parse(response_format=self.answer_model, **kwargs)  # noqa: E731
        elif mode == "tools":
            tool = openai.pydantic_function_tool(self.answer_model, name=self.tool_name, description=self.tool_description)
            call = lambda: api.create(tools=[tool], tool_choice={"type": "function", "function": {"name": TOOL_NAME}},  # noqa: E731
                                      **kwargs)
        elif mode == "json_object":
            call = lambda: api.create(response_format={"type": "json_object"}, **kwargs)  # noqa: E731
        else:
            call = lambda: api.create(**kwargs)  # noqa: E731
        ticket = self._paced(messages, max_tokens)
        started = time.monotonic()
        request = {k: v for k, v in kwargs.items() if k != "extra_body"}
        log = {"base_url": self.base_url, "model": self.s.model, "mode": mode, "attempt": out.attempts,
               "source_file": source, "pages": pages, "chunk_sha": hashlib.sha256(messages[1]["content"].encode()).hexdigest()[:16],
               "request": request}
        out.calls += 1
        try:
            raw = call()
            body = raw.http_response.json()
            log["request"] = _sent(raw.http_response.request, request)
            usage = body.get("usage") or {}
            self.pacer.done(ticket, usage.get("total_tokens"), usage.get("completion_tokens"), raw.http_response.headers)
        except openai.APIStatusError as e:
            self.pacer.done(ticket, None, None, e.response.headers)
            _status_failure_of(self, e, log, request, started)
        except openai.APITimeoutError:
            self.store.log(**log, error="timeout", duration_ms=_ms(started))
            raise LLMError(f"no answer within {self.s.timeout:g} s") from None
        except openai.APIConnectionError as e:
            self.store.log(**log, error=f"connection: {e}", duration_ms=_ms(started))
            raise LLMError(f"cannot reach {public_url(self.base_url)}: {e}") from None
        return self._whole(body, mode, out, log, started)

    def _paced(self, messages: list[dict], max_tokens: int) -> list:
        """Wait for the limits (rpm, tpm, the server's headers) to let a request go: its ticket."""
        return self.pacer.wait(estimate_tokens(messages, min(max_tokens, self.pacer.expected_completion())))

    def _whole(self, body: dict, mode: str, out: Outcome, log: dict,
               started: float) -> tuple[str | None, str | None, str | None]:
        """A whole (not streamed) answer: usage counted, logged, its content or tool arguments."""
        usage = body.get("usage") or {}
        out.prompt_tokens += usage.get("prompt_tokens") or 0
        out.completion_tokens += usage.get("completion_tokens") or 0
        self.store.log(**log, response=body, prompt_tokens=usage.get("prompt_tokens"),
                       completion_tokens=usage.get("completion_tokens"), duration_ms=_ms(started))
        choices = body.get("choices") or []
        if not choices:
            raise _WireRejected("the answer has no choices")
        choice = choices[0]
        message = choice.get("message") or {}
        content = message.get("content")
        if mode == "tools":
            calls = message.get("tool_calls") or []
            if not calls:
                if choice.get("finish_reason") in ("length", "content_filter"):
                    return None, choice.get("finish_reason"), message.get("refusal")
                raise _WireRejected("the tool was not called (tools ignored)")
            content = calls[0].get("function", {}).get("arguments")
        return content, choice.get("finish_reason"), message.get("refusal")

    def _stream(self, mode: str, kwargs: dict, out: Outcome, source: str, pages: str,
                messages: list[dict]) -> tuple[str | None, str | None, str | None]:
        """One streamed call, stopped as soon as the answer's tail repeats itself.

        Returns (content, finish_reason, refusal); finish_reason "repeating" (content: what
        repeated) when it was stopped.  Closing the stream drops the connection, which stops the
        generation on the server too (llama.cpp, vLLM)."""
        import httpx2
        import openai
        from openai.lib._parsing._completions import type_to_response_format_param

        kwargs = dict(kwargs, stream=True, stream_options={"include_usage": True})
        if mode == "json_schema":  # what the SDK's parse helper sends, streamed
            kwargs["response_format"] = type_to_response_format_param(TableData)
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        ticket = self._paced(messages, kwargs["max_tokens"])
        started = time.monotonic()
        request = {k: v for k, v in kwargs.items() if k != "extra_body"}
        log = {"base_url": self.base_url, "model": self.s.model, "mode": mode, "attempt": out.attempts,
               "source_file": source, "pages": pages,
               "chunk_sha": hashlib.sha256(messages[1]["content"].encode()).hexdigest()[:16], "request": request}
        out.calls += 1
        parts: list[str] = []
        finish = refusal = None
        usage: dict = {}
        deltas = checked = 0
        try:
            stream = self.client.chat.completions.create(**kwargs)
            log["request"] = _sent(stream.response.request, request)
            if "event-stream" not in stream.response.headers.get("content-type", "event-stream"):
                with stream:  # a server that ignores "stream": its whole answer
                    body = json.loads(stream.response.read())
                usage = body.get("usage") or {}
                self.pacer.done(ticket, usage.get("total_tokens"), usage.get("completion_tokens"), stream.response.headers)
                return self._whole(body, mode, out, log, started)
            with stream:
                for event in stream:
                    if event.usage is not None:
                        usage = event.usage.model_dump()
                    if not event.choices:
                        continue
                    choice = event.choices[0]
                    delta = choice.delta
                    if delta is not None and delta.content:
                        parts.append(delta.content)
                        deltas += 1
                    if delta is not None and getattr(delta, "refusal", None):
                        refusal = (refusal or "") + delta.refusal
                    if choice.finish_reason:
                        finish = choice.finish_reason
                    if deltas - checked >= 8:  # every few tokens: the tail so far
                        checked = deltas
                        tail = "".join(parts)[-4 * REPEAT_MAX_PERIOD:]
                        if (period := repeating_tail(tail)) is not None:
                            unit = tail[-period:]
                            finish = "repeating"
                            parts = [f"{len(parts)} tokens in, a unit of {period} character(s) repeated: "
                                     f"{json.dumps(unit[:40], ensure_ascii=False)}"]
                            break
        except openai.APIStatusError as e:
            self.pacer.done(ticket, None, None, e.response.headers)
            _status_failure_of(self, e, log, request, started)
        except (openai.APITimeoutError, httpx2.TimeoutException):
            self.store.log(**log, error="timeout", duration_ms=_ms(started))
            raise LLMError(f"no answer within {self.s.timeout:g} s") from None
        except (openai.APIConnectionError, httpx2.TransportError) as e:
            self.store.log(**log, error=f"connection: {e}", duration_ms=_ms(started))
            raise LLMError(f"cannot reach {public_url(self.base_url)}: {e}") from None
        content = "".join(parts)
        completion = usage.get("completion_tokens") or deltas  # a server without usage in streams: one a delta
        self.pacer.done(ticket, usage.get("total_tokens") or (usage.get("prompt_tokens") or 0) + completion or None,
                        completion, stream.response.headers)
        out.prompt_tokens += usage.get("prompt_tokens") or 0
        out.completion_tokens += completion
        body = {"streamed": True, "choices": [{"index": 0, "finish_reason": finish,
                                                "message": {"role": "assistant", "content": content, "refusal": refusal}}],
                "usage": usage or None}
        self.store.log(**log, response=body, prompt_tokens=usage.get("prompt_tokens"), completion_tokens=completion,
                       duration_ms=_ms(started))
        return content, finish, refusal

    def info(self, outcome: Outcome) -> dict:
        """The LLMInfo fields of one outcome, but its status and disagreements."""
        return dict(model=self.s.model, base_url=public_url(self.base_url), structured_mode=outcome.mode,
                    prompt_hash=outcome.prompt_hash, cache_hit=outcome.cache_hit, calls=outcome.calls,
                    attempts=outcome.attempts, prompt_tokens=outcome.prompt_tokens,
                    completion_tokens=outcome.completion_tokens, errors=outcome.errors)

    def mode_known(self) -> bool:
        """Whether this endpoint's structured-output mode is settled (else the first table probes it)."""
        return self.s.structured_mode != "auto" or self.store.mode_for(self.base_url, self.s.model) is not None

    # -- many chunks ----------------------------------------------------------------------------
    def readings(self, chunks: Iterable[Chunk], source: str, provenance) -> Iterator:
        """Each chunk's model reading, with the rules reading of the same chunk beside it."""
        from . import Reading, rules_results

        for chunk, outcome in self.map(chunks, source):
            results = rules_results(chunk)
            yield Reading(chunk, self._tables(chunk, outcome, results, provenance), [r.table for r in results])

    def _tables(self, chunk: Chunk, outcome: Outcome, results: list, provenance) -> list:
        from ..diff import diff_tables
        from ..ground import evidence_for
        from ..models import ExtractedTable, FieldDiff, LLMInfo
        from . import ocr_notes, rules_tables

        info = self.info(outcome)
        if outcome.table is None:
            # the model failed on this table: the rules reading stays available, marked as such
            tables = rules_tables(chunk, results, provenance,
                                  ["model failed: " + "; ".join(outcome.errors[-2:])])
            for t in tables:
                t.llm = LLMInfo(**info, status="failed", disagreements=[])
            return tables
        diffs = []
        if len(results) == 1:
            diffs = [FieldDiff(field=f, llm=m, rules=r) for f, m, r in diff_tables(results[0].table, outcome.table)]
        notes = ocr_notes(chunk) + ([] if len(results) == 1 else
                                    [f"the rules extractor read {len(results)} projects in this table"])
        return [ExtractedTable(**dict(outcome.table), provenance=provenance(chunk.pages, "llm"),
                               evidence=evidence_for(outcome.table, chunk, self.fuzzy_threshold), notes=notes,
                               llm=LLMInfo(**info, status="ok", disagreements=diffs))]

    def map(self, chunks: Iterable[Chunk], source: str = "") -> Iterator[tuple[Chunk, Outcome]]:
        """Outcomes in chunk order, with at most `workers` requests in flight.

        The first chunk runs alone while the mode of this endpoint is still unknown, so the ladder
        is probed once, not by every worker at the same time.
        """
        it = iter(chunks)
        first = next(it, None)
        if first is None:
            return
        if not self.mode_known():
            yield first, self.extract(first, source)
            pending: list[Chunk] = []
        else:
            pending = [first]
        with ThreadPoolExecutor(max_workers=max(1, self.s.workers)) as pool:
            window: list = [(c, pool.submit(self.extract, c, source)) for c in pending]
            for chunk in it:
                window.append((chunk, pool.submit(self.extract, chunk, source)))
                while len(window) > 2 * self.s.workers:  # bounded: a long document is never all queued
                    c, fut = window.pop(0)
                    yield c, fut.result()
            for c, fut in window:
                yield c, fut.result()


def _status_failure_of(extractor, e, log: dict, request: dict, started: float):
    """An HTTP error answer, logged, then raised as what it means: the server cannot do this
    structured-output mode (the ladder steps down), rate limited after the SDK's retries, or a
    failure of this table."""
    import openai

    message = _status_message(e)
    log["request"] = _sent(e.response.request, request)
    extractor.store.log(**log, error=message, duration_ms=_ms(started))
    if e.status_code in (400, 404, 422, 500, 501) and _WIRE_REJECTION.search(message):
        raise _WireRejected(message) from None
    if isinstance(e, openai.RateLimitError):
        raise LLMError(f"rate limited (HTTP 429) after {extractor.s.max_retries} retries; "
                       "run again later: finished tables come from the cache") from None
    raise LLMError(message) from None


def _sent(http_request, fallback: dict) -> dict:
    """The request body as it went on the wire (the parse helper adds response_format itself);
    headers, and so the key, are never part of it."""
    try:
        return json.loads(http_request.content)
    except Exception:
        return fallback


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _status_message(e) -> str:
    try:
        detail = e.response.json()
        detail = detail.get("error", detail) if isinstance(detail, dict) else detail
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    except Exception:
        detail = e.message
    return f"HTTP {e.status_code}: {str(detail)[:300]}"


def _json_text(content: str) -> str:
    """The JSON object in a free-form answer: <think> blocks dropped, fences or outer braces kept."""
    text = _THINK.sub("", content).strip()
    if m := _FENCE.search(text):
        return m.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start:end + 1] if start >= 0 and end > start else text


def _error_summary(e: Exception) -> str:
    """Field paths and messages only: the input is never echoed back to the model."""
    if isinstance(e, ValidationError):
        lines = [f"{'.'.join(str(x) for x in err['loc']) or '(root)'}: {err['msg']}"
                 for err in e.errors(include_input=False, include_url=False)[:20]]
        more = f"\n…另有 {e.error_count() - 20} 处" if e.error_count() > 20 else ""
        return "\n".join(lines) + more
    return f"(root): 不是有效的 JSON（{str(e).splitlines()[0][:120]}）"
